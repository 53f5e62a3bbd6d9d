"""The shared, cached context of ``lingrok verify``: every data set, theory solve and GD run, once.

Claim checks (``lingrok/claims_*.py``) ask the context for what they need; the first request
computes it and records its provenance in :attr:`VerifyContext.runs` (data-set spec, eta, loss
reduction, step count, checkpoint schedule, precision, seed, engine), later requests reuse it.
Every GD run goes through :mod:`numerics.runs` (the path ``lingrok reproduce`` takes too): run,
measure, describe. Long runs checkpoint to ``state_dir`` (the run's ``state_path``) so that an
interrupted ``lingrok verify --out DIR`` resumes where it stopped.

This is the application layer: it calls both ``theory`` (max-margin geometry, residual limit,
sharpness) and ``numerics`` (data sets, GD, measurements); it never mixes their internals.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from numerics.datasets import PlantedSpec, concentrated_test, planted_dataset, standard_test
from numerics.measure import Measurements
from theory.geometry import PaperAssumptions, paper_assumptions
from theory.prediction import Prediction, predict
from theory.residual import ResidualLimit
from theory.stability import sharpness_at_init

from numerics.runs import GD_METHOD, GDRun, describe
from numerics.simulation import simulate, simulate_batch
from lingrok.ledger.config import VerifyConfig

__all__ = ["DataRecord", "RunRecord", "VerifyContext", "GD_METHOD"]


@dataclass(frozen=True, eq=False)
class DataRecord:
    """A training set: its spec, arrays, and (for controls) a shift x -> x + shift * w_true."""

    key: str
    spec: PlantedSpec
    X: np.ndarray
    y: np.ndarray
    shift: float = 0.0


@dataclass(frozen=True, eq=False)
class RunRecord:
    """One GD run (numerics.runs.GDRun) with its measurements (tests "standard" and "concentrated")."""

    key: str
    data: DataRecord
    eta: float
    reduction: str
    eta_lambda0: float  # eta * lambda_max(H(0)) for this reduction (> 2: unstable at the start)
    traj: GDRun
    meas: Measurements
    geometry: PaperAssumptions | None
    residual: ResidualLimit | None


class VerifyContext:
    """Cache of data sets, theory solves and runs for one configuration (see module docstring)."""

    def __init__(self, config: VerifyConfig, *, state_dir=None, progress: bool = False):
        self.config = config
        self.state_dir = None if state_dir is None else Path(state_dir)
        self.progress = progress
        self.runs: dict = {}
        self._memo: dict = {}

    # ---------------------------------------------------------------- utilities

    def log(self, message: str) -> None:
        """Progress message on stderr (silent unless ``progress``)."""
        if self.progress:
            print(f"[verify] {message}", file=sys.stderr, flush=True)

    def memo(self, name: str, compute):
        """Compute ``compute()`` once per context under ``name``."""
        if name not in self._memo:
            self._memo[name] = compute()
        return self._memo[name]

    def has(self, name: str) -> bool:
        """Whether ``name`` (e.g. "stable-runs", "gd:paper") has been computed already."""
        return name in self._memo

    def record(self, key: str, **description) -> None:
        """Add a provenance entry for run or data set ``key``."""
        self.runs[key] = description

    # ---------------------------------------------------------------- data sets

    def spec(self, key: str) -> PlantedSpec:
        cfg = self.config
        if key == "paper":
            return cfg.paper_spec
        if key == "small-paper":
            return cfg.small_paper_spec
        if key == "dim":
            return cfg.stable_spec("S35-35", d=cfg.dim_d)
        if key == "d1024":
            n = cfg.d1024_n
            k = cfg.d1024_k_per_class()
            return PlantedSpec(d=1024, n_pos=n // 2, n_neg=n - n // 2, k_pos=k, k_neg=k, gamma=1e-3, box=cfg.d1024_box,
                               gap=cfg.d1024_gap, sv_spread=cfg.d1024_sv_spread, seed=cfg.seed + 7)
        if key == "control-shifted":
            # two points (one per class, on the margin planes), shifted along w_true: b_s != 0 and, with
            # nothing else to pin the margin, eq. (7) trades bias for weight norm: eq. (7) != eq. (9)
            return PlantedSpec(d=2, n_pos=1, n_neg=1, k_pos=1, k_neg=1, gamma=1.0, seed=cfg.seed + 5)
        if key == "control-pinned":
            # S(6, 4) pins the margin hyperplanes: eq. (7) = eq. (9) but, shifted, b_hat != 0
            return PlantedSpec(d=2, n_pos=20, n_neg=20, k_pos=6, k_neg=4, gamma=1.0, gap=1.0, seed=cfg.seed + 6)
        return cfg.stable_spec(key)

    def data(self, key: str) -> DataRecord:
        def make():
            spec = self.spec(key)
            ds = planted_dataset(spec)
            shift = 1.5 if key.startswith("control") else 0.0
            X = ds.X + shift * spec.w_true if shift else ds.X
            self.record(f"data:{key}", kind="planted data set (numerics.datasets, explicit parametric construction)",
                        shift_along_w_true=shift, **{f"spec.{k}": v for k, v in asdict(spec).items()})
            return DataRecord(key, spec, np.asarray(X), np.asarray(ds.y), shift)

        return self.memo(f"data:{key}", make)

    def tests(self, key: str):
        """(standard, concentrated) test sets of ``key``'s spec (seeds derived from the config seed)."""
        def make():
            spec = self.spec(key)
            n = self.config.n_test
            seed = self.config.seed + 100
            return (standard_test(spec, n, seed=seed), concentrated_test(spec, n, alpha=self.config.alpha, seed=seed))

        return self.memo(f"tests:{key}", make)

    def geometry(self, key: str) -> PaperAssumptions:
        """eq. (7), eq. (9) and Assumptions 3.1-3.3 on data set ``key`` (theory.geometry)."""
        d = self.data(key)
        return self.memo(f"geometry:{key}", lambda: paper_assumptions(d.X, d.y))

    def prediction(self, key: str, eta: float) -> Prediction:
        """theory.predict's closed-form parts (no finite-time model) for data set ``key`` and step ``eta``."""
        d = self.data(key)
        return self.memo(f"prediction:{key}:{eta!r}",
                         lambda: predict(d.X, d.y, eta=eta, finite_time=False, geometry=self.geometry(key)))

    def residual(self, key: str, eta: float) -> ResidualLimit:
        """theta_tilde of Theorem 4.2 (augmented) for data set ``key`` and step ``eta`` (via theory.predict).

        Raises what theory.residual raised when the limit could not be computed.
        """
        p = self.prediction(key, eta)
        if p.residual is None:
            raise p.failures["residual"]
        return p.residual

    def lambda0(self, key: str, reduction: str = "sum") -> float:
        """lambda_max of the Hessian at w = 0, b = 0 (theory.stability.sharpness_at_init)."""
        d = self.data(key)
        return self.memo(f"lambda0:{key}:{reduction}",
                         lambda: sharpness_at_init(d.X, d.y, eta=1.0, reduction=reduction).lambda_max)

    def stable_eta(self, key: str) -> float:
        """eta with eta * lambda_max(H(0)) = stable_eta_lambda (< 2: GD linearly stable everywhere)."""
        return self.config.stable_eta_lambda / self.lambda0(key)

    # ---------------------------------------------------------------- runs

    def _reference(self, key: str, eta: float, with_theory: bool):
        """(eq. (7) geometry, residual limit, measurement reference incl. the support) or (None, None, {})."""
        if not with_theory:
            return None, None, {}
        geo = self.geometry(key)
        res = self.residual(key, eta)
        return geo, res, dict(w_hat=geo.eq7.w_hat, b_hat=geo.eq7.b_hat,
                              theta_tilde=np.append(res.w_tilde, res.b_tilde), support=res.support)

    def _test_sets(self, key: str) -> dict:
        std, conc = self.tests(key)
        return {"standard": (std.X, std.y), "concentrated": (conc.X, conc.y)}

    def _finish(self, key: str, gd: GDRun, with_theory: bool, meas: Measurements) -> RunRecord:
        """Record the provenance of run ``gd`` on data set ``key``, measured as ``meas``."""
        run_key = f"gd:{key}"
        data = self.data(key)
        eta_lambda = gd.eta * self.lambda0(key)
        cfg = self.config
        self.record(run_key, **describe(gd, data=f"data:{data.key}", eta_lambda=eta_lambda,
                                        test_sets=f"standard and concentrated (alpha = {cfg.alpha}), "
                                        f"{cfg.n_test} points each, seed {cfg.seed + 100}"))
        geo, res, _ = self._reference(key, gd.eta, with_theory)
        return RunRecord(run_key, data, gd.eta, gd.reduction, eta_lambda, gd, meas, geo, res)

    def single_run(self, key: str, *, eta: float, steps: int, with_theory: bool = True) -> RunRecord:
        """GD on data set ``key`` (numerics.simulation.simulate, resumable under ``state_dir``), measured."""
        def make():
            data = self.data(key)
            state = None
            if self.state_dir is not None:
                self.state_dir.mkdir(parents=True, exist_ok=True)
                state = self.state_dir / f"{key}-eta{eta:.6g}-steps{steps}.npz"
            self.log(f"GD on {key}: N = {data.X.shape[0]}, d = {data.X.shape[1]}, eta = {eta:.4g}, {steps:,} steps"
                     + (f" (resumable state {state})" if state else ""))
            _, _, theory = self._reference(key, eta, with_theory)
            support = theory.pop("support", None)
            sim = simulate(data.X, data.y, eta=eta, steps=steps, test=self._test_sets(key), state=state,
                           support=support, reference=theory, per_decade=self.config.per_decade, parity=True,
                           save_every_s=20.0)
            return self._finish(key, sim.run, with_theory, meas=sim.measurements)

        return self.memo(f"gd:{key}", make)

    def paper_run(self) -> RunRecord:
        """The paper-regime run: paper_spec, eta = paper_eta, summed loss, paper_steps."""
        return self.single_run("paper", eta=self.config.paper_eta, steps=self.config.paper_steps)

    def small_paper_run(self) -> RunRecord:
        return self.single_run("small-paper", eta=self.config.paper_eta, steps=self.config.small_paper_steps)

    def dim_run(self) -> RunRecord:
        """Stable regime in dimension dim_d (same construction as S35-35)."""
        return self.single_run("dim", eta=self.stable_eta("dim"), steps=self.config.dim_steps)

    def d1024_run(self) -> RunRecord:
        """d = 1024 at reduced N and steps, paper's eta; no max-margin solve (too costly at this size)."""
        return self.single_run("d1024", eta=self.config.paper_eta, steps=self.config.d1024_steps, with_theory=False)

    def stable_runs(self) -> dict:
        """All stable sets in one batched engine call (numerics.simulation.simulate_batch), measured; key -> RunRecord."""
        def make():
            cfg = self.config
            keys = [s[0] for s in cfg.stable_sets]
            datas = [self.data(k) for k in keys]
            etas = [self.stable_eta(k) for k in keys]
            self.log(f"GD on the stable sweep ({len(keys)} sets of N = {datas[0].X.shape[0]}, gamma = {cfg.stable_gamma}, "
                     f"eta lambda_max(H0) = {cfg.stable_eta_lambda}), {cfg.stable_steps:,} steps, batched")
            refs = [self._reference(k, eta, True)[2] for k, eta in zip(keys, etas)]
            sims = simulate_batch([d.X for d in datas], [d.y for d in datas], etas, steps=cfg.stable_steps,
                                  tests=[self._test_sets(k) for k in keys], supports=[r.pop("support") for r in refs],
                                  references=refs, per_decade=cfg.per_decade, parity=True)
            return {k: self._finish(k, sim.run, True, meas=sim.measurements) for k, sim in zip(keys, sims)}

        return self.memo("stable-runs", make)

    def derivation_reports(self) -> dict:
        """theory.derivations: id -> (passed, discrepancies)."""
        def make():
            from theory.derivations import all_derivations

            self.log("verifying the symbolic derivations (theory.derivations)")
            return {d.id: (bool(d.verify().passed), tuple(d.discrepancies)) for d in all_derivations()}

        return self.memo("derivations", make)

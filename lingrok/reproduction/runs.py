"""The paper's experiments (Section 5, Table 1, Figures 1, 2 and 4 of arXiv:2602.08302) as explicit setups.

Planting choices the paper leaves open are made explicit here, once, for every setup
(numerics.datasets.PlantedSpec): planted support vectors uniform on the box section of the
hyperplanes w_true^T x = +-gamma/2 (``sv_spread=None``), population points uniform in the box
beyond them with no extra gap (``gap=0``), box [-5, 5]^d, gamma = 1e-3, seed 0; test sets of the
paper's two kinds drawn with the same seed; eta = 1e-2 with the SUMMED loss of eq. (3); w = 0, b = 0.

Scales.

* ``paper``: d = 2 exactly as the paper (D(1000, 1000), S(350, 350), 2000 test points, 1e7 steps).
  d = 1024 cannot be run as the paper did on a 2-core machine: one GD step costs N d = 1e9
  multiply-adds at N = 1e6, so 1e7 steps are ~1e16 (days even with a fast BLAS; hours on a GPU).
  It runs at N = 8192 (S(1434, 1434): 35 % per class, as at d = 2, and 2868 > 2 d so that the
  planted support vectors pin the max-margin direction, see D1024_NOTE) for 1e4 steps (~5-10 min here).
  Longer runs hit a wall: once many margins lie in 708 < m < 745, sigma(-m) is subnormal and every
  product c_i x_ij of the exact engine is a subnormal operation (~20x slower on x86: 38 ms per
  step up to t ~ 1.6e4, then 0.64 s per step in our attempt at 2e4 steps).
  The full size is supported through ``backend="cupy"`` or ``"torch"`` (numerics.array_engine).
* ``full``: as ``paper``, but d = 1024 exactly at the paper's size (N = 1e6, 1e7 steps, 1e6 test
  points); meant for a GPU with ``backend="cupy"`` or ``"torch"``.
* ``quick``: the same setups with 10x fewer points (d = 2: D(100, 100), S(35, 35)), d = 1024 at
  N = 2048 for 200 steps: the whole reproduction in about a minute, for CI.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SCALES",
    "TARGETS",
    "PaperRow",
    "PAPER_TABLE1",
    "PAPER_PHASES_D2",
    "Setup",
    "table1_setups",
    "fig2_setups",
    "fig4_setups",
    "run_setup",
    "state_file",
    "table1_rows",
    "format_steps",
]

SCALES = ("paper", "quick", "full")
TARGETS = ("table1", "fig1", "fig2", "fig4", "all")

D1024_NOTE = (
    "At d = 1024 the planted support vectors fix the max-margin direction only if the two planted "
    "sets, projected on the margin hyperplane, cannot be separated by a tilt of w; random points in "
    "1023 dimensions are separable with high probability when there are fewer than about 2 x 1023 of "
    "them (Cover's theorem). With N = 4000 and S(700, 700) the eq. (7) solution indeed tilts: margin "
    "width 0.36 instead of gamma = 1e-3, b_hat = 0.15 (Assumption 3.1 fails). Hence S(1434, 1434) "
    "at N = 8192."
)


@dataclass(frozen=True)
class PaperRow:
    """One row of the paper's Table 1 as printed (T in GD steps; text keeps '<=', '~', '>=')."""

    d: int
    test: str
    eps: float
    T_tr: str
    T_te: str
    zeta: str


PAPER_TABLE1 = (
    PaperRow(2, "standard", 0.0, "5e5", "2e6", "4"),
    PaperRow(2, "concentrated", 0.0, "4e2", "7e6", "1.75e4"),
    PaperRow(2, "concentrated", 0.001, "<= 10", "~1e6", ">= 1.75e4"),
    PaperRow(1024, "standard", 0.0, "1e6", "1e6", "1"),
    PaperRow(1024, "concentrated", 0.0, "1e2", "5e6", "5e4"),
    PaperRow(1024, "concentrated", 0.001, "10", "4e6", ">= 5e4"),
)

# Section 4.3-4.5 of the paper, d = 2: phase 1 ~1e2..5e3, phase 2 ~5e3..5e4, phase 3 ~5e4..1e7 steps.
PAPER_PHASES_D2 = ((1e2, 5e3), (5e3, 5e4), (5e4, 1e7))


@dataclass(frozen=True)
class Setup:
    """A fully specified experiment.

    Attributes:
        key: short id ("d2", "d1024", "fig2-k150", ...); title: legend text.
        spec: numerics.datasets.PlantedSpec of the training set (every planting choice).
        eta: learning rate (summed loss); steps: GD updates; per_decade: checkpoints per decade
            (each paired with the next step).
        n_test: points per test set (standard and concentrated, seed = spec.seed); alpha: band.
        pgd: attack the standard test set with PGD at every checkpoint.
        predict: compute the theory's predictions (a QP; skipped at d = 1024, see D1024_NOTE).
        departures: how the setup departs from the paper ("" = as the paper describes it).
    """

    key: str
    title: str
    spec: object
    eta: float
    steps: int
    per_decade: int
    n_test: int
    alpha: float
    pgd: bool
    predict: bool
    departures: str


def _spec(d, n_pos, n_neg, k_pos, k_neg, seed=0):
    from numerics.datasets import PlantedSpec

    return PlantedSpec(d=d, n_pos=n_pos, n_neg=n_neg, k_pos=k_pos, k_neg=k_neg, gamma=1e-3, box=5.0, gap=0.0,
                       sv_spread=None, seed=seed)


def _check_scale(scale: str) -> None:
    if scale not in SCALES:
        raise ValueError(f"`scale` must be one of {SCALES}, got {scale!r}")


def table1_setups(scale: str) -> tuple[Setup, Setup]:
    """The d = 2 and d = 1024 setups of Table 1 at the given scale ("paper" or "quick")."""
    _check_scale(scale)
    if scale in ("paper", "full"):
        d2 = Setup("d2", "d = 2, D(1000,1000), S(350,350)", _spec(2, 1000, 1000, 350, 350), 1e-2, 10**7, 20, 2000,
                   10.0, True, True, "")
        d1024 = Setup("d1024", "d = 1024, D(4096,4096), S(1434,1434)", _spec(1024, 4096, 4096, 1434, 1434), 1e-2,
                      10**4, 10, 1000, 10.0, True, False,
                      "N = 8192 instead of 1e6, 1e4 steps instead of 1e7, 1000 test points instead of 1e6 "
                      "(compute: 1e16 multiply-adds for the paper's run); no prediction (the eq. (7) QP takes "
                      "minutes to hours at this size)")
        if scale == "full":
            d1024 = Setup("d1024", "d = 1024, D(500000,500000), S(175000,175000)",
                          _spec(1024, 500_000, 500_000, 175_000, 175_000), 1e-2, 10**7, 10, 10**6, 10.0, False, False,
                          "S(175000, 175000) (35 % per class; the paper does not give S at d = 1024); no PGD and no "
                          "prediction (CPU cost at this size). Needs --backend cupy or torch on a GPU: ~9 h on one "
                          "H200-class device in float64, 16 GB of host memory for the data and test set")
    else:
        d2 = Setup("d2", "d = 2, D(100,100), S(35,35)", _spec(2, 100, 100, 35, 35), 1e-2, 10**7, 10, 2000,
                   10.0, True, True, "N = 200 instead of 2000 (quick scale)")
        d1024 = Setup("d1024", "d = 1024, D(1024,1024), S(358,358)", _spec(1024, 1024, 1024, 358, 358), 1e-2, 200,
                      10, 300, 10.0, True, False,
                      "N = 2048, 200 steps, 300 test points (quick scale); the planted SVs (716 < 2 d) do not pin "
                      "the max-margin direction at this size; no prediction")
    return d2, d1024


def fig2_setups(scale: str) -> tuple[Setup, ...]:
    """Figure 2: balanced classes D(n, n), support-vector imbalance S(k, k') with k' = k, 5k/7, 3k/7, k/7."""
    _check_scale(scale)
    n, k, steps, pd = (100, 35, 10**7, 10) if scale == "quick" else (1000, 350, 10**7, 20)
    out = []
    for frac in (7, 5, 3, 1):
        kn = k * frac // 7
        note = "N = 200 instead of 2000 (quick scale)" if scale == "quick" else ""
        out.append(Setup(f"fig2-k{kn}", f"S({k},{kn})", _spec(2, n, n, k, kn), 1e-2, steps, pd, 2000, 10.0, False,
                         True, note + ("; " if note else "") + "the paper does not list its S(k+, k-) for Figure 2"))
    return tuple(out)


def fig4_setups(scale: str) -> tuple[Setup, ...]:
    """Figure 4: class imbalance toward +1 (D(n, n/2)) and toward -1 (D(n/2, n)), 35 % SVs per class."""
    _check_scale(scale)
    n, steps, pd = (100, 10**7, 10) if scale == "quick" else (1000, 10**7, 20)
    k, h = round(0.35 * n), n // 2
    kh = round(0.35 * h)
    note = "the paper does not list its D(n+, n-), S(k+, k-) for Figure 4"
    if scale == "quick":
        note = "N = 150 (quick scale); " + note
    return (
        Setup("fig4-pos", f"D({n},{h}), S({k},{kh}) (toward +1)", _spec(2, n, h, k, kh), 1e-2, steps, pd, 2000, 10.0,
              False, True, note),
        Setup("fig4-neg", f"D({h},{n}), S({kh},{k}) (toward -1)", _spec(2, h, n, kh, k), 1e-2, steps, pd, 2000, 10.0,
              False, True, note),
    )


def state_file(setup: Setup, state_dir, backend: str = "numba") -> Path:
    """The GD state file of ``setup`` in ``state_dir``: named by its key and a hash of everything the run depends on."""
    parts = (setup.spec, setup.eta, setup.steps, setup.per_decade) + (() if backend == "numba" else (backend,))
    text = repr(parts)
    return Path(state_dir) / f"{setup.key}-{hashlib.sha256(text.encode()).hexdigest()[:12]}.npz"


def run_setup(setup: Setup, *, backend: str = "numba", state_dir=None, progress=False):
    """Build the data of ``setup``, run and measure it (lingrok.compare.experiment.run_experiment).

    With ``state_dir`` the GD state is saved there and a finished or
    interrupted run is resumed from it: regenerating the report then costs only the measurements.
    """
    from numerics.datasets import concentrated_test, planted_dataset, standard_test

    from lingrok.compare.experiment import run_experiment

    state_path = None
    if state_dir is not None:
        Path(state_dir).mkdir(parents=True, exist_ok=True)
        state_path = state_file(setup, state_dir, backend)
    ds = planted_dataset(setup.spec)
    st = standard_test(setup.spec, setup.n_test, seed=setup.spec.seed)
    ct = concentrated_test(setup.spec, setup.n_test, alpha=setup.alpha, seed=setup.spec.seed)
    tests = {"standard": (st.X, st.y), "concentrated": (ct.X, ct.y)}
    return run_experiment(ds.X, ds.y, tests, eta=setup.eta, steps=setup.steps, support=ds.sv_index,
                          eps_values=(0.0, 1e-3), per_decade=setup.per_decade, parity=True,
                          pgd_test="standard" if setup.pgd else None, predict=setup.predict, alpha=setup.alpha,
                          backend=backend, state_path=state_path, progress=progress, label=setup.title)


def format_steps(value) -> str:
    """A GD-step count for tables: 1778280 -> '1.78e6', 0 -> '0', None -> '-', inf -> 'inf'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    value = float(value)
    if math.isinf(value):
        return "inf"
    if value == 0 or abs(value) < 1000:
        return f"{value:.3g}"
    mant, exp = f"{value:.2e}".split("e")
    return f"{mant.rstrip('0').rstrip('.')}e{int(exp)}"


def table1_rows(results: dict) -> list[dict]:
    """Table 1 with our numbers beside the paper's: one dict per paper row.

    Args:
        results: d (2 or 1024) -> lingrok.compare.experiment.ExperimentResult of that Table 1 setup.

    Returns:
        list of JSON-ready dicts: the paper's T_tr, T_te, zeta (as printed); ours per parity (even /
        odd steps) with brackets and a censoring flag; the predicted T_te (Theorem 4.6 headline and
        the exact asymptotic-hyperplane time) where computed; and how each number was obtained.
    """
    rows = []
    for paper in PAPER_TABLE1:
        res = results.get(paper.d)
        row = {"d": paper.d, "test": paper.test, "eps": paper.eps,
               "paper": {"T_tr": paper.T_tr, "T_te": paper.T_te, "zeta": paper.zeta}}
        if res is None:
            rows.append(row)
            continue
        for parity in ("even", "odd"):
            tr = res.time(paper.test, paper.eps, parity)
            row[parity] = {"T_tr": tr.T_tr, "T_tr_lower": tr.T_tr_lower, "T_te": tr.T_te, "T_te_lower": tr.T_te_lower,
                           "zeta": tr.zeta, "sup_train": tr.sup_train, "sup_test": tr.sup_test,
                           "censored": tr.censored}
        pred = res.prediction
        if pred is not None and pred.thm46:
            row["predicted"] = {"T_te_thm46": pred.thm46[paper.eps][0],
                                "T_te_thm46_bounds": list(pred.thm46[paper.eps][1:]),
                                "T_te_asymptotic": pred.asymptotic[(paper.test, paper.eps)]}
        row.update(n=res.n, steps=res.steps, eta=res.eta, per_decade=res.per_decade, method=res.method)
        rows.append(row)
    return rows

"""Built-in configurations of ``lingrok verify``: which data sets, step sizes and step counts.

Two regimes are simulated (docs/paper.md, open point "Sum or mean"):

* the paper's: summed loss, eta = 1e-2, where eta * lambda_max(H(0)) is about 58 for D(1000, 1000)
  (6 for the 10x smaller quick set): GD runs a period-2 cycle, far from the gradient flow that
  Sections 4.3-4.6 analyse;
* the stable one: summed loss with eta = ``stable_eta_lambda`` / lambda_max(H(0)) (< 2, so GD is
  linearly stable at every point, theory.stability), on planted D(100, 100)-sized sets with a
  larger margin gamma so that the grokking time k* = 2 / (eta gamma^2 sqrt(k+ k-)) fits the budget
  (every time scale of the theory goes like 1/gamma^2, derivation thm4.6-gd-offset).

``default_config`` is sized for ~5 minutes on two cores, ``quick_config`` for well under one.
``seed`` shifts every data-set and test-set seed, so a rerun with another seed is independent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from numerics.datasets import PlantedSpec, paper_2d_spec, quick_2d_spec

__all__ = ["VerifyConfig", "default_config", "quick_config", "config_by_name"]


@dataclass(frozen=True)
class VerifyConfig:
    """Everything ``lingrok verify`` simulates; every field appears in the ledger's provenance.

    Attributes:
        name: "default" or "quick".  seed: base seed (data sets use seed + offset).
        paper_spec: the paper-regime data set; paper_eta, paper_steps: its GD run (summed loss).
        small_paper_spec, small_paper_steps: a N = 200 run at the paper's eta (flow comparison).
        per_decade: log-spaced checkpoints per decade (plus the next step of each: both parities).
        n_test: test points per test set; alpha: concentrated band; eps_values: eps of Def. 3.4.
        stable_gamma, stable_gap: margin and population gap of the stable-regime sets.
        stable_eta_lambda: eta * lambda_max(H(0)) in the stable regime (< 2).
        stable_steps: GD steps of the stable sweep.
        stable_sets: (key, n_pos, n_neg, k_pos, k_neg) of the stable sweep (one batched run).
        dim_d: the second dimension of the dimension check (N = 200, stable regime).
        d1024_n, d1024_steps: reduced N and steps of the d = 1024 run (paper's eta).
        kick_set: stable set used for the eq. (10) kick test; kick_small, kick_big: bias kicks.
        pgd_n_test: standard test points attacked by PGD at every checkpoint used.
        flow_set: stable set on which the gradient flow is compared with GD.
        stable_box, stable_sv_spread: box half-width and support-vector spread of the stable sets (PlantedSpec's
            box and sv_spread; the paper states neither for its construction: the robustness variants change them).
        d1024_box, d1024_sv_spread: the same two choices for the d = 1024 set (the d = 1024 robustness variants).
        d1024_gap, d1024_k: the d = 1024 set's population gap (PlantedSpec's gap, 0) and support vectors per class
            (None: 35 % of the points per class, round(0.35 d1024_n / 2), as in the paper's sets); the d = 1024
            robustness variants change them.
    """

    name: str
    seed: int
    paper_spec: PlantedSpec
    paper_eta: float
    paper_steps: int
    small_paper_spec: PlantedSpec
    small_paper_steps: int
    per_decade: int
    n_test: int
    alpha: float
    eps_values: tuple
    stable_gamma: float
    stable_gap: float
    stable_eta_lambda: float
    stable_steps: int
    stable_sets: tuple
    dim_d: int
    dim_steps: int
    d1024_n: int
    d1024_steps: int
    kick_set: str
    kick_small: float
    kick_big: float
    pgd_n_test: int
    flow_set: str
    stable_box: float = 5.0
    stable_sv_spread: float | None = None
    d1024_box: float = 5.0
    d1024_sv_spread: float | None = None
    d1024_gap: float = 0.0
    d1024_k: int | None = None

    def stable_spec(self, key: str, d: int = 2) -> PlantedSpec:
        """The PlantedSpec of stable set ``key`` (in dimension ``d``)."""
        for i, (k, n_pos, n_neg, k_pos, k_neg) in enumerate(self.stable_sets):
            if k == key:
                return PlantedSpec(d=d, n_pos=n_pos, n_neg=n_neg, k_pos=k_pos, k_neg=k_neg,
                                   gamma=self.stable_gamma, gap=self.stable_gap, box=self.stable_box,
                                   sv_spread=self.stable_sv_spread, seed=self.seed + 10 + i)
        raise ValueError(f"`key` must be one of {[s[0] for s in self.stable_sets]}, got {key!r}")

    def d1024_k_per_class(self) -> int:
        """Support vectors per class of the d = 1024 set: ``d1024_k``, or round(0.35 d1024_n / 2) when it is None."""
        return int(round(0.35 * self.d1024_n / 2)) if self.d1024_k is None else self.d1024_k

    def to_dict(self) -> dict:
        out = asdict(self)
        for k in ("paper_spec", "small_paper_spec"):
            out[k] = asdict(getattr(self, k))
        return out


_STABLE_SETS = (
    # balanced classes, support-vector imbalance (Figure 2)
    ("S35-35", 100, 100, 35, 35),
    ("S35-20", 100, 100, 35, 20),
    ("S35-10", 100, 100, 35, 10),
    ("S35-5", 100, 100, 35, 5),
    # class imbalance toward +1 and toward -1 (Figure 4)
    ("C150-50", 150, 50, 35, 35),
    ("C50-150", 50, 150, 35, 35),
)


def default_config(seed: int = 0) -> VerifyConfig:
    """The full verification: the paper's 2-D run (N = 2000, 1e7 steps) and a 2e6-step stable sweep."""
    return VerifyConfig(
        name="default", seed=seed,
        paper_spec=paper_2d_spec(seed=seed), paper_eta=0.01, paper_steps=10_000_000,
        small_paper_spec=quick_2d_spec(seed=seed + 1), small_paper_steps=1_000_000,
        per_decade=20, n_test=2000, alpha=10.0, eps_values=(0.0, 0.001),
        stable_gamma=0.01, stable_gap=0.02, stable_eta_lambda=1.0, stable_steps=2_000_000,
        stable_sets=_STABLE_SETS, dim_d=16, dim_steps=2_000_000,
        d1024_n=2000, d1024_steps=2000,
        kick_set="S35-20", kick_small=1e-3, kick_big=1.0, pgd_n_test=500, flow_set="S35-20",
    )


def quick_config(seed: int = 0) -> VerifyConfig:
    """A fast verification: 10x smaller paper-regime set, 1e6 steps; stable sweep at gamma = 0.03 (times / 9)."""
    return VerifyConfig(
        name="quick", seed=seed,
        paper_spec=quick_2d_spec(seed=seed), paper_eta=0.01, paper_steps=1_000_000,
        small_paper_spec=quick_2d_spec(seed=seed + 1), small_paper_steps=300_000,
        per_decade=20, n_test=1000, alpha=10.0, eps_values=(0.0, 0.001),
        stable_gamma=0.03, stable_gap=0.06, stable_eta_lambda=1.0, stable_steps=300_000,
        stable_sets=_STABLE_SETS, dim_d=8, dim_steps=300_000,
        d1024_n=400, d1024_steps=300,
        kick_set="S35-20", kick_small=1e-3, kick_big=1.0, pgd_n_test=200, flow_set="S35-20",
    )


def config_by_name(name: str, seed: int = 0) -> VerifyConfig:
    """``"default"`` or ``"quick"``."""
    if name == "default":
        return default_config(seed)
    if name == "quick":
        return quick_config(seed)
    raise ValueError(f"`name` must be 'default' or 'quick', got {name!r}")

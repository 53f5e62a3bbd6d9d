"""Planted data sets of Section 5 / Appendix B of arXiv:2602.08302, made explicit and parametric.

The paper draws x uniformly in the box [-5, 5]^d, labels it by the side of the hyperplane
``w_true^T x = 0`` with ``w_true = (1, ..., 1) / sqrt(d)``, keeps only points with
``|w_true^T x| >= gamma / 2`` (Assumption 3.1 with margin gamma / 2), and "plants" k+ and k-
support vectors, S(k+, k-), among D(n+, n-) points per class. It does not say where on the
margin hyperplanes the planted points sit nor how far the other points stay from them; here
both are parameters of :class:`PlantedSpec`:

* planted support vectors of class +-1 lie on ``w_true^T x = +-gamma / 2`` inside the box,
  uniformly on the box section (``sv_spread=None``) or uniformly in a (d-1)-ball of radius
  ``sv_spread`` in the hyperplane around its foot point ``+-(gamma/2) w_true``;
* the other ``n - k`` points of each class are uniform in the box restricted to
  ``y w_true^T x >= gamma / 2 + gap``.

Sampling "uniform in the box restricted to a band of w_true^T x" is done EXACTLY (no
projection, no approximation) by conditioning on the last coordinate: draw x_1..x_{d-1}
uniform in the box; the admissible x_d form a set of length l(S), S = x_1 + ... + x_{d-1};
accept with probability l(S) / l_max and draw x_d uniformly on the admissible set. The joint
density is then proportional to the indicator of the restricted box, i.e. uniform. Its
acceptance rate is about 1.4 / sqrt(d) for a thin band (0.043 at d = 1024), whatever the band's
width, against 2 (alpha - 1/2) gamma f(0) ~ 0.0026 for naive rejection at gamma = 1e-3,
alpha = 10 (f(0) = 1 / (sqrt(2 pi) 2.89) is the density of w_true^T x at 0 for box 5).

Rows are SHUFFLED by a seeded permutation (neither class nor SV order survives);
``Dataset.sv_index`` lists the planted rows. All randomness comes from independent streams
``default_rng([seed, stream])``, so e.g. the planted SVs do not change when n_pos changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from numerics.validation import count

__all__ = [
    "PlantedSpec",
    "Dataset",
    "TestSet",
    "planted_dataset",
    "standard_test",
    "concentrated_test",
    "paper_2d_spec",
    "quick_2d_spec",
    "exact_projection_residual",
]

# independent random streams: default_rng([seed, STREAM])
_STREAM_SV_POS, _STREAM_SV_NEG, _STREAM_POP_POS, _STREAM_POP_NEG, _STREAM_SHUFFLE = 1, 2, 3, 4, 5
_STREAM_STANDARD, _STREAM_CONCENTRATED = 11, 12
_MAX_BATCH_FLOATS = 4_000_000  # cap on one rejection batch (32 MB of float64)
_MAX_TRIALS_PER_POINT = 100_000  # give up (ValueError) when acceptance is below 1e-5


def _positive(value, name: str, *, allow_zero: bool = False) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a real number, got {value!r}") from None
    if not math.isfinite(out):
        raise ValueError(f"`{name}` must be finite, got {out}")
    if out < 0 or (out == 0 and not allow_zero):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"`{name}` must be {bound}, got {out}")
    return out


@dataclass(frozen=True)
class PlantedSpec:
    """Parameters of a planted data set D(n_pos, n_neg) with S(k_pos, k_neg) (Section 5).

    Attributes:
        d: input dimension.
        n_pos, n_neg: points per class (paper: 1000 each at d = 2).
        k_pos, k_neg: planted support vectors per class (k <= n).
        gamma: margin parameter of Assumption 3.1: SVs at w_true^T x = +-gamma/2 (paper 1e-3).
        box: half-width of the input box [-box, box]^d (paper 5).
        gap: extra distance (along w_true) between the SV hyperplanes and the other points:
            population points satisfy y w_true^T x >= gamma/2 + gap (paper: unspecified; 0).
        sv_spread: None -> SVs uniform on the whole box section of their hyperplane; a float
            r > 0 -> uniform in the (d-1)-ball of radius r in the hyperplane around the foot
            point +-(gamma/2) w_true (clipped to the box by rejection).
        seed: integer seed (>= 0) of all random streams.

    Raises:
        ValueError: naming the argument and the fix, e.g. ``k_pos > n_pos`` or a hyperplane
            that misses the box (needs gamma/2 + gap < box sqrt(d)).
    """

    d: int
    n_pos: int
    n_neg: int
    k_pos: int
    k_neg: int
    gamma: float = 1e-3
    box: float = 5.0
    gap: float = 0.0
    sv_spread: float | None = None
    seed: int = 0

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "d", count(self.d, "d", 1))
        set_(self, "n_pos", count(self.n_pos, "n_pos", 1))
        set_(self, "n_neg", count(self.n_neg, "n_neg", 1))
        set_(self, "k_pos", count(self.k_pos, "k_pos", 0))
        set_(self, "k_neg", count(self.k_neg, "k_neg", 0))
        set_(self, "seed", count(self.seed, "seed", 0))
        set_(self, "gamma", _positive(self.gamma, "gamma"))
        set_(self, "box", _positive(self.box, "box"))
        set_(self, "gap", _positive(self.gap, "gap", allow_zero=True))
        if self.sv_spread is not None:
            set_(self, "sv_spread", _positive(self.sv_spread, "sv_spread"))
        if self.k_pos > self.n_pos:
            raise ValueError(f"`k_pos` must be <= n_pos = {self.n_pos}, got {self.k_pos}; lower k_pos or raise n_pos")
        if self.k_neg > self.n_neg:
            raise ValueError(f"`k_neg` must be <= n_neg = {self.n_neg}, got {self.k_neg}; lower k_neg or raise n_neg")
        reach = self.box * math.sqrt(self.d)  # max of w_true^T x over the box
        if not self.gamma / 2 < reach:
            raise ValueError(
                f"`gamma` = {self.gamma} puts the SV hyperplanes w_true^T x = +-gamma/2 outside the box "
                f"(needs gamma/2 < box sqrt(d) = {reach}); lower gamma or raise box"
            )
        has_population = self.n_pos > self.k_pos or self.n_neg > self.k_neg
        if has_population and not self.gamma / 2 + self.gap < reach:
            raise ValueError(
                f"`gap` = {self.gap} leaves no room for population points (needs gamma/2 + gap < "
                f"box sqrt(d) = {reach}); lower gap"
            )

    @property
    def n(self) -> int:
        """Total number of points N = n_pos + n_neg."""
        return self.n_pos + self.n_neg

    @property
    def w_true(self) -> np.ndarray:
        """The planted direction ``(1, ..., 1) / sqrt(d)`` (float64, every entry fl(1/sqrt(d)))."""
        return np.full(self.d, 1.0 / math.sqrt(self.d))


@dataclass(frozen=True, eq=False)
class Dataset:
    """A planted training set (rows shuffled).

    Attributes:
        X: (N, d) float64 inputs, read-only.
        y: (N,) float64 labels in {-1, +1}, read-only.
        sv_index: (k_pos + k_neg,) int64 sorted row indices of the planted support vectors.
        spec: the :class:`PlantedSpec` that generated it.
        w_true: (d,) the planted direction.
        plane_residual: max over planted SVs of the EXACT (rational) value
            ``|w_true^T x_s - y_s gamma/2|`` for the stored float64 entries (0.0 when k = 0);
            bounded by ``fl(1/sqrt d) * box * 2^-52`` by construction.
        population_margin: min over non-SV rows of ``y_i w_true^T x_i`` computed as
            ``X @ w_true`` in float64 (inf when there are none); >= gamma/2 + gap.
    """

    X: np.ndarray
    y: np.ndarray
    sv_index: np.ndarray
    spec: PlantedSpec
    w_true: np.ndarray
    plane_residual: float
    population_margin: float


@dataclass(frozen=True, eq=False)
class TestSet:
    """A test set drawn uniformly from the box restricted to ``lo <= |w_true^T x| <= hi``.

    Attributes:
        X: (n, d) inputs; y: (n,) labels = side of w_true^T x = 0 (class counts are random).
        kind: "standard" or "concentrated".
        lo, hi: the band of |w_true^T x| (hi = inf for the standard set).
        seed: the seed it was drawn with; spec: the training spec it belongs to.
    """

    __test__ = False  # not a pytest test class, despite the name

    X: np.ndarray
    y: np.ndarray
    kind: str
    lo: float
    hi: float
    seed: int
    spec: PlantedSpec


# --------------------------------------------------------------------------------------------
# exact arithmetic on stored floats


def _exact_sum(row: np.ndarray) -> Fraction:
    """Exact rational sum of a float64 vector (integer mantissas on a common exponent)."""
    mant, expo = np.frexp(row)
    ints = (mant * 2.0**53).astype(np.int64)  # exact: |mant| < 1 has a 53-bit mantissa
    shifts = expo.astype(np.int64) - 53
    base = int(shifts.min())
    total = 0
    for start in range(0, len(row), 512):  # 512 terms of |k| < 2^53 cannot overflow int64
        ii, ss = ints[start : start + 512], shifts[start : start + 512]
        order = np.argsort(ss, kind="stable")
        ii, ss = ii[order], ss[order]
        first = np.flatnonzero(np.r_[True, ss[1:] != ss[:-1]])
        for k, s in zip(np.add.reduceat(ii, first).tolist(), ss[first].tolist()):
            total += k << (s - base)
    return Fraction(total) * Fraction(2) ** base


def exact_projection_residual(X, targets, c: float) -> np.ndarray:
    """Exact ``c * sum_j x_ij - target_i`` (as float) for float rows x_i: the plane error of planted points.

    With ``w_true`` having all entries ``c = fl(1/sqrt(d))``, ``w_true^T x = c sum_j x_j`` in
    exact arithmetic, so this is the exact distance (times ||w_true|| ~ 1) of the stored point
    from the plane ``w_true^T x = target``.

    Args:
        X: (k, d) float64 rows; targets: (k,) float64 (e.g. y_s gamma/2); c: the entry of w_true.

    Returns:
        (k,) float64, each the correctly rounded exact residual.
    """
    X = np.asarray(X, dtype=np.float64)
    targets = np.broadcast_to(np.asarray(targets, dtype=np.float64), (X.shape[0],))
    cf = Fraction(c)
    return np.array([float(cf * _exact_sum(row) - Fraction(float(t))) for row, t in zip(X, targets)])


def _polish_onto_plane(pts: np.ndarray, target: float, c: float) -> None:
    """Move each row (in place, by a few ulps) so that ``c * sum(x)`` is as close to ``target`` as possible.

    The coordinate of smallest magnitude absorbs the exact residual; two passes.
    """
    goal = Fraction(target) / Fraction(c)  # exact sum the row should have
    for row in pts:
        for _ in range(2):
            resid = goal - _exact_sum(row)
            if resid == 0:
                break
            j = int(np.argmin(np.abs(row)))
            row[j] = row[j] + float(resid)


# --------------------------------------------------------------------------------------------
# samplers


def _batch_size(n_needed: int, rate: float, width: int) -> int:
    want = int(math.ceil(1.25 * n_needed / max(rate, 1e-6))) + 16
    return max(1, min(want, _MAX_BATCH_FLOATS // max(width, 1)))


def _sample_band(rng, n: int, d: int, box: float, intervals, c: float) -> np.ndarray:
    """``n`` points uniform in ``[-box, box]^d`` restricted to ``w_true^T x`` in a union of intervals.

    ``intervals``: list of (lo, hi) in projection units (hi may be inf, lo may be -inf),
    disjoint. Exact conditional-last-coordinate rejection (module docstring). Membership is
    re-checked on the float projection ``X @ w_true`` and the rare boundary violators redrawn.
    """
    out = np.empty((n, d))
    if n == 0:
        return out
    w = np.full(d, c)
    # admissible x_d for sum S of the other coordinates: x_d in [lo/c - S, hi/c - S] per interval
    scaled = [(lo / c, hi / c) for lo, hi in intervals]
    l_max = min(2 * box, sum(min(2 * box, hi - lo) for lo, hi in scaled))
    filled, trials, rate = 0, 0, 0.5
    while filled < n:
        if trials > _MAX_TRIALS_PER_POINT * n:
            raise ValueError(
                f"band {intervals} has acceptance below 1e-5 in the box [-{box}, {box}]^{d}; "
                "widen the band or reduce `gap`"
            )
        m = _batch_size(n - filled, rate, d)
        head = rng.uniform(-box, box, size=(m, d - 1))
        S = head.sum(axis=1)
        lows = np.stack([np.maximum(-box, lo - S) for lo, _ in scaled], axis=1)
        highs = np.stack([np.minimum(box, hi - S) for _, hi in scaled], axis=1)
        lens = np.maximum(highs - lows, 0.0)
        total = lens.sum(axis=1)
        u_acc, u_pick, u_pos = rng.random(m), rng.random(m), rng.random(m)
        keep = u_acc * l_max < total
        trials += m
        rate = max(float(keep.mean()), 1.0 / m)
        if not keep.any():
            continue
        lens, lows, total, head = lens[keep], lows[keep], total[keep], head[keep]
        # choose an interval with probability proportional to its admissible length
        cum = np.cumsum(lens, axis=1)
        which = np.minimum(((u_pick[keep] * total)[:, None] >= cum).sum(axis=1), lens.shape[1] - 1)
        rows = np.arange(len(which))
        last = lows[rows, which] + u_pos[keep] * lens[rows, which]
        pts = np.hstack([head, last[:, None]])
        proj = pts @ w
        inside = np.zeros(len(pts), dtype=bool)
        for lo, hi in intervals:
            inside |= (proj >= lo) & (proj <= hi)
        inside &= np.all(np.abs(pts) <= box, axis=1)
        pts = pts[inside]
        take = min(len(pts), n - filled)
        out[filled : filled + take] = pts[:take]
        filled += take
    return out


def _sample_section(rng, k: int, d: int, box: float, target: float, c: float) -> np.ndarray:
    """``k`` points uniform on the box section ``{x in box: c sum(x) = target}``, polished onto the plane.

    x_1..x_{d-1} uniform in the box, x_d solved from the plane equation, rejected if outside
    the box: the map to the plane is affine, so this is exactly uniform in (d-1)-volume.
    """
    out = np.empty((k, d))
    goal = target / c
    filled, trials, rate = 0, 0, 0.5
    while filled < k:
        if trials > _MAX_TRIALS_PER_POINT * k:
            raise ValueError("the box section of the SV hyperplane is too small; lower `gamma` or raise `box`")
        m = _batch_size(k - filled, rate, d)
        head = rng.uniform(-box, box, size=(m, d - 1))
        last = goal - head.sum(axis=1)
        keep = np.abs(last) <= box
        trials += m
        rate = max(float(keep.mean()), 1.0 / m)
        pts = np.hstack([head[keep], last[keep, None]])
        take = min(len(pts), k - filled)
        out[filled : filled + take] = pts[:take]
        filled += take
    _polish_onto_plane(out, target, c)
    return out


def _sample_ball_in_plane(rng, k: int, d: int, box: float, target: float, c: float, radius: float) -> np.ndarray:
    """``k`` points uniform in the (d-1)-ball of ``radius`` around the foot point ``target * w_unit``, in the box."""
    foot = np.full(d, target * c)
    out = np.empty((k, d))
    filled, trials = 0, 0
    if d == 1:  # the hyperplane is a point: the "ball" is its foot point
        out[:] = foot
        filled = k
    while filled < k:
        if trials > _MAX_TRIALS_PER_POINT * k:
            raise ValueError("`sv_spread` ball barely meets the box; lower sv_spread")
        m = max(16, 2 * (k - filled))
        g = rng.standard_normal((m, d))
        g -= g.mean(axis=1, keepdims=True)  # remove the component along (1, ..., 1)
        g /= np.linalg.norm(g, axis=1, keepdims=True)
        r = radius * rng.random(m) ** (1.0 / (d - 1))
        pts = foot + g * r[:, None]
        pts = pts[np.all(np.abs(pts) <= box, axis=1)]
        trials += m
        take = min(len(pts), k - filled)
        out[filled : filled + take] = pts[:take]
        filled += take
    _polish_onto_plane(out, target, c)
    return out


def planted_dataset(spec: PlantedSpec) -> Dataset:
    """Generate the planted training set described by ``spec`` (Section 5 / Appendix B of arXiv:2602.08302).

    Class +1: k_pos SVs on ``w_true^T x = +gamma/2`` and n_pos - k_pos points with
    ``w_true^T x >= gamma/2 + gap``; class -1 mirrored. All inside ``[-box, box]^d``. Planted
    points are on their hyperplane up to rounding: the exact residual is reported in
    ``Dataset.plane_residual`` (typically 1e-19..1e-16 against gamma/2 = 5e-4).

    Returns:
        :class:`Dataset` with rows shuffled and ``sv_index`` the planted rows.
    """
    if not isinstance(spec, PlantedSpec):
        raise ValueError(f"`spec` must be a PlantedSpec, got {type(spec).__name__}")
    d, box, c = spec.d, spec.box, float(spec.w_true[0])
    half, thr = spec.gamma / 2, spec.gamma / 2 + spec.gap

    def stream(key):
        return np.random.default_rng([spec.seed, key])

    def svs(key, k, target):
        if spec.sv_spread is None:
            return _sample_section(stream(key), k, d, box, target, c)
        return _sample_ball_in_plane(stream(key), k, d, box, target, c, spec.sv_spread)

    sv_pos = svs(_STREAM_SV_POS, spec.k_pos, +half)
    sv_neg = svs(_STREAM_SV_NEG, spec.k_neg, -half)
    pop_pos = _sample_band(stream(_STREAM_POP_POS), spec.n_pos - spec.k_pos, d, box, [(thr, math.inf)], c)
    pop_neg = _sample_band(stream(_STREAM_POP_NEG), spec.n_neg - spec.k_neg, d, box, [(-math.inf, -thr)], c)
    X = np.vstack([sv_pos, sv_neg, pop_pos, pop_neg])
    y = np.concatenate(
        [np.ones(spec.k_pos), -np.ones(spec.k_neg), np.ones(len(pop_pos)), -np.ones(len(pop_neg))]
    )
    is_sv = np.zeros(spec.n, dtype=bool)
    is_sv[: spec.k_pos + spec.k_neg] = True
    perm = stream(_STREAM_SHUFFLE).permutation(spec.n)
    X, y, is_sv = np.ascontiguousarray(X[perm]), y[perm], is_sv[perm]
    sv_index = np.flatnonzero(is_sv).astype(np.int64)
    if len(sv_index):
        resid = exact_projection_residual(X[sv_index], y[sv_index] * half, c)
        plane_residual = float(np.max(np.abs(resid)))
    else:
        plane_residual = 0.0
    pop = ~is_sv
    population_margin = float(np.min(y[pop] * (X[pop] @ spec.w_true))) if pop.any() else math.inf
    for arr in (X, y, sv_index):
        arr.setflags(write=False)
    w_true = spec.w_true
    w_true.setflags(write=False)
    return Dataset(X, y, sv_index, spec, w_true, plane_residual, population_margin)


def _test_set(spec: PlantedSpec, n: int, seed: int, kind: str, lo: float, hi: float, key: int) -> TestSet:
    if not isinstance(spec, PlantedSpec):
        raise ValueError(f"`spec` must be a PlantedSpec, got {type(spec).__name__}")
    n = count(n, "n", 1)
    seed = count(seed, "seed", 0)
    c = float(spec.w_true[0])
    rng = np.random.default_rng([seed, key])
    X = _sample_band(rng, n, spec.d, spec.box, [(-hi, -lo), (lo, hi)], c)
    y = np.where(X @ spec.w_true > 0, 1.0, -1.0)
    X.setflags(write=False)
    y.setflags(write=False)
    return TestSet(X, y, kind, lo, hi, seed, spec)


def standard_test(spec: PlantedSpec, n: int, seed: int = 0) -> TestSet:
    """The paper's standard test distribution P (Section 5): uniform in the box with ``|w_true^T x| >= gamma/2``.

    Labels are the side of ``w_true^T x = 0``; class counts are random (binomial). Drawn
    exactly (module docstring), not by naive rejection.

    Args:
        spec: the training spec (d, gamma, box); n: number of test points; seed: >= 0.

    Returns:
        :class:`TestSet` with ``kind="standard"``, ``lo = gamma/2``, ``hi = inf``.
    """
    return _test_set(spec, n, seed, "standard", spec.gamma / 2, math.inf, _STREAM_STANDARD)


def concentrated_test(spec: PlantedSpec, n: int, alpha: float = 10.0, seed: int = 0) -> TestSet:
    """The concentrated test distribution P_conc: uniform in the box with ``gamma/2 <= |w_true^T x| <= alpha gamma``.

    "Uniform in the box restricted to the band" = the Lebesgue-uniform law on
    ``{x in [-box, box]^d : gamma/2 <= |w_true^T x| <= alpha gamma}``: the projection
    u = w_true^T x has the box's own marginal density restricted to the band (nearly flat over
    so thin a band), and given u the point is uniform on the box section at u. Sampled exactly
    by conditional-last-coordinate rejection (module docstring), acceptance ~1.4/sqrt(d).

    Args:
        spec: the training spec; n: number of points; alpha: sensitivity parameter of
            Theorem 4.6 (> 1/2; paper 10); seed: >= 0.

    Returns:
        :class:`TestSet` with ``kind="concentrated"``, ``lo = gamma/2``, ``hi = alpha gamma``.

    Raises:
        ValueError: alpha <= 1/2 or non-finite, or the band misses the box.
    """
    alpha = _positive(alpha, "alpha")
    if not alpha > 0.5:
        raise ValueError(f"`alpha` must exceed 1/2 (the band is gamma/2 <= |u| <= alpha gamma), got {alpha}")
    return _test_set(spec, n, seed, "concentrated", spec.gamma / 2, alpha * spec.gamma, _STREAM_CONCENTRATED)


def paper_2d_spec(seed: int = 0) -> PlantedSpec:
    """The paper's d = 2 setting: D(1000, 1000) with S(350, 350), gamma = 1e-3, box 5 (Appendix B)."""
    return PlantedSpec(d=2, n_pos=1000, n_neg=1000, k_pos=350, k_neg=350, gamma=1e-3, seed=seed)


def quick_2d_spec(seed: int = 0) -> PlantedSpec:
    """A 10x smaller d = 2 setting for quick runs: D(100, 100) with S(35, 35), gamma = 1e-3."""
    return PlantedSpec(d=2, n_pos=100, n_neg=100, k_pos=35, k_neg=35, gamma=1e-3, seed=seed)

"""numerics.datasets: the planted construction of Section 5 / Appendix B of arXiv:2602.08302.

Invariants: counts, labels by side, margins gamma/2 (+ gap), box, planted points on their
hyperplane within a stated float bound (checked with exact rational arithmetic, independently
of the generator's own exact sum), determinism by seed, independence of the random streams,
and uniformity of the band samplers (which a projection-based shortcut would fail).
"""

import math
from fractions import Fraction

import numpy as np
import pytest

from checks.tolerances import (
    DATA_BALL_CROWD_FRACTION,
    DATA_BALL_SLACK,
    FLOAT64_EPS,
    PLANTED_PLANE_ULPS_OF_BOX,
    SAMPLER_SIGMAS,
)
from numerics.datasets import (
    PlantedSpec,
    concentrated_test,
    exact_projection_residual,
    paper_2d_spec,
    planted_dataset,
    quick_2d_spec,
    standard_test,
)

SPECS = {
    "d1": PlantedSpec(d=1, n_pos=12, n_neg=9, k_pos=3, k_neg=2, seed=1),
    "d2-paper-like": PlantedSpec(d=2, n_pos=60, n_neg=50, k_pos=21, k_neg=17, seed=2),
    "d3-gap": PlantedSpec(d=3, n_pos=40, n_neg=45, k_pos=5, k_neg=9, gap=0.25, seed=3),
    "d16-ball": PlantedSpec(d=16, n_pos=30, n_neg=30, k_pos=6, k_neg=4, sv_spread=2.0, seed=4),
    "d64-all-sv": PlantedSpec(d=64, n_pos=8, n_neg=5, k_pos=8, k_neg=5, gamma=0.1, box=1.0, seed=5),
    "d5-no-sv": PlantedSpec(d=5, n_pos=10, n_neg=10, k_pos=0, k_neg=0, seed=6),
}


def exact_residual_fraction(row, target, c):
    """c * sum(row) - target with Python's Fraction (independent of the module's integer sum)."""
    return Fraction(c) * sum((Fraction(float(v)) for v in row), Fraction(0)) - Fraction(float(target))


@pytest.fixture(scope="module", params=sorted(SPECS))
def case(request):
    spec = SPECS[request.param]
    return spec, planted_dataset(spec)


def test_counts_labels_and_box(case):
    spec, ds = case
    assert ds.X.shape == (spec.n, spec.d) and ds.y.shape == (spec.n,)
    assert np.sum(ds.y == 1) == spec.n_pos and np.sum(ds.y == -1) == spec.n_neg
    assert len(ds.sv_index) == spec.k_pos + spec.k_neg
    assert np.all(np.diff(ds.sv_index) > 0)
    assert np.sum(ds.y[ds.sv_index] == 1) == spec.k_pos
    assert np.all(np.abs(ds.X) <= spec.box)
    assert np.array_equal(ds.w_true, np.full(spec.d, 1 / math.sqrt(spec.d)))
    assert not ds.X.flags.writeable and not ds.y.flags.writeable


def test_population_keeps_its_margin_and_side(case):
    spec, ds = case
    pop = np.setdiff1d(np.arange(spec.n), ds.sv_index)
    proj = ds.X @ ds.w_true
    if len(pop):
        assert np.all(ds.y[pop] * proj[pop] >= spec.gamma / 2 + spec.gap)
        assert ds.population_margin == np.min(ds.y[pop] * proj[pop])
    else:
        assert ds.population_margin == math.inf
    # labels are the side of the hyperplane for every row, SVs included
    assert np.all(np.sign(proj) == ds.y)


def test_planted_points_lie_on_their_hyperplane(case):
    spec, ds = case
    c = float(ds.w_true[0])
    bound = PLANTED_PLANE_ULPS_OF_BOX * c * spec.box * FLOAT64_EPS
    resid = [
        exact_residual_fraction(ds.X[i], ds.y[i] * spec.gamma / 2, c) for i in ds.sv_index
    ]
    worst = max((abs(r) for r in resid), default=Fraction(0))
    assert worst <= Fraction(bound)
    assert ds.plane_residual == float(worst)
    # float evaluation (BLAS dot): within the dot product's rounding bound gamma_d sum |w_j x_j|
    sv = ds.X[ds.sv_index]
    proj = sv @ ds.w_true
    dot_bound = spec.d * FLOAT64_EPS * (np.abs(sv) @ ds.w_true) + bound
    assert np.all(np.abs(proj - ds.y[ds.sv_index] * spec.gamma / 2) <= dot_bound)


def test_ball_mode_stays_in_its_ball():
    spec = SPECS["d16-ball"]
    ds = planted_dataset(spec)
    foot = (ds.y[ds.sv_index] * spec.gamma / 2)[:, None] * ds.w_true
    dist = np.linalg.norm(ds.X[ds.sv_index] - foot, axis=1)
    assert np.all(dist <= spec.sv_spread * (1 + DATA_BALL_SLACK))
    assert dist.max() > DATA_BALL_CROWD_FRACTION * spec.sv_spread  # in 15 dimensions the points crowd the sphere


def test_exact_residual_helper_against_fractions():
    rng = np.random.default_rng(0)
    rows = rng.uniform(-5, 5, (20, 7)) * 10.0 ** rng.integers(-300, 300, (20, 7))
    rows[0, :3] = [5e-324, -2.5e-320, 1e308]
    targets = rng.uniform(-1, 1, 20)
    c = 1 / math.sqrt(7)
    got = exact_projection_residual(rows, targets, c)
    want = [float(exact_residual_fraction(r, t, c)) for r, t in zip(rows, targets)]
    assert got.tolist() == want


def test_same_seed_same_data_other_seed_other_data():
    spec = SPECS["d3-gap"]
    a, b = planted_dataset(spec), planted_dataset(spec)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y) and np.array_equal(a.sv_index, b.sv_index)
    other = planted_dataset(PlantedSpec(**{**spec.__dict__, "seed": spec.seed + 1}))
    assert not np.array_equal(a.X, other.X)


def test_streams_are_independent_of_other_counts():
    """The planted SVs of class +1 do not move when the population grows (separate random streams)."""
    spec = SPECS["d2-paper-like"]
    bigger = PlantedSpec(**{**spec.__dict__, "n_neg": 80, "n_pos": 90})
    sv = lambda ds: ds.X[ds.sv_index][ds.y[ds.sv_index] == 1]  # noqa: E731
    a, b = sv(planted_dataset(spec)), sv(planted_dataset(bigger))
    key = lambda arr: arr[np.lexsort(arr.T)]  # noqa: E731 - rows are shuffled differently
    assert np.array_equal(key(a), key(b))


# ------------------------------------------------------------------- test distributions


@pytest.mark.parametrize("d", [1, 2, 64])
def test_standard_and_concentrated_sets_obey_their_bands(d):
    spec = PlantedSpec(d=d, n_pos=5, n_neg=5, k_pos=1, k_neg=1, seed=7)
    std = standard_test(spec, 400, seed=3)
    alpha = 10
    half_gamma = spec.gamma / 2  # the bands' inner edge: the planted half-margin
    conc = concentrated_test(spec, 400, alpha=alpha, seed=3)
    for ts in (std, conc):
        proj = ts.X @ spec.w_true
        assert ts.X.shape == (400, d) and np.all(np.abs(ts.X) <= spec.box)
        assert np.all(np.abs(proj) >= half_gamma) and np.all(np.sign(proj) == ts.y)
    assert np.all(np.abs(conc.X @ spec.w_true) <= alpha * spec.gamma)
    assert (conc.kind, conc.lo, conc.hi) == ("concentrated", half_gamma, alpha * spec.gamma)
    assert std.hi == math.inf
    again = concentrated_test(spec, 400, alpha=10, seed=3)
    assert np.array_equal(again.X, conc.X)
    assert not np.array_equal(concentrated_test(spec, 400, alpha=10, seed=4).X, conc.X)


def test_concentrated_set_is_uniform_on_the_band_in_2d():
    """Given u = w_true^T x ~ 0, x is uniform on the box section: the coordinate along the
    plane, t = (x1 - x2)/sqrt(2), is uniform on [-5 sqrt 2, 5 sqrt 2] (variance 50/3); a
    projection of uniform box points onto the band would give a triangle (variance 25/3).
    |u| is nearly uniform on [gamma/2, alpha gamma] (the box's marginal is flat to 1e-3 there)."""
    spec = paper_2d_spec()
    n = 20000
    ts = concentrated_test(spec, n, alpha=10, seed=11)
    t = (ts.X[:, 0] - ts.X[:, 1]) / math.sqrt(2)
    var_t, var_var = 50 / 3, (2 * 5 * math.sqrt(2)) ** 4 / 180  # uniform: Var(t^2) = L^4/180
    assert abs(t.mean()) < SAMPLER_SIGMAS * math.sqrt(var_t / n)
    assert abs(np.mean(t**2) - var_t) < SAMPLER_SIGMAS * math.sqrt(var_var / n)
    frac = (np.abs(ts.X @ spec.w_true) - ts.lo) / (ts.hi - ts.lo)
    assert abs(frac.mean() - 0.5) < SAMPLER_SIGMAS * math.sqrt(1 / 12 / n)
    assert abs(np.mean(ts.y) - 0) < SAMPLER_SIGMAS / math.sqrt(n)


def test_population_is_uniform_beyond_its_margin_in_2d():
    """Population points are uniform in the box minus the slab: x1 has mean 0 and variance 25/3 by symmetry."""
    spec = PlantedSpec(d=2, n_pos=4000, n_neg=4000, k_pos=1, k_neg=1, seed=9)
    ds = planted_dataset(spec)
    x1 = ds.X[:, 0]
    n = len(x1)
    assert abs(x1.mean()) < SAMPLER_SIGMAS * math.sqrt(25 / 3 / n)
    # E[x1^2] over the box minus a slab of width ~1e-3: 25/3 to within 1e-3 relative
    assert abs(np.mean(x1**2) - 25 / 3) < SAMPLER_SIGMAS * math.sqrt((625 / 5 - (25 / 3) ** 2) / n)


def test_paper_specs():
    p = paper_2d_spec()
    assert (p.d, p.n_pos, p.n_neg, p.k_pos, p.k_neg, p.gamma, p.box) == (2, 1000, 1000, 350, 350, 1e-3, 5.0)
    q = quick_2d_spec()
    assert (q.n, q.k_pos, q.k_neg) == (200, 35, 35)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(k_pos=11), "`k_pos` must be <= n_pos"),
        (dict(k_neg=-1), "`k_neg` must be >= 0"),
        (dict(gamma=0.0), "`gamma` must be positive"),
        (dict(gamma=math.nan), "`gamma` must be finite"),
        (dict(gamma=20.0), "outside the box"),
        (dict(gap=7.5), "no room for population"),
        (dict(sv_spread=-1.0), "`sv_spread` must be positive"),
        (dict(d=True), "`d` must be an integer"),
        (dict(d=0), "`d` must be >= 1"),
        (dict(box=math.inf), "`box` must be finite"),
    ],
)
def test_spec_validation(kwargs, match):
    args = dict(d=2, n_pos=10, n_neg=10, k_pos=2, k_neg=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        PlantedSpec(**args)


def test_concentrated_alpha_validation():
    with pytest.raises(ValueError, match="`alpha` must exceed 1/2"):
        concentrated_test(quick_2d_spec(), 10, alpha=0.5)

"""numerics.engine / engine_kernels / schedule: exact full-batch GD, eqs. (3)-(5) of arXiv:2602.08302.

Invariants: step 0 is the initialisation; the compiled engine equals the plain-Python reference
BIT FOR BIT (skipping included); a batched run equals the single runs; a resumed run equals an
uninterrupted one; no warning at extreme margins. Agreement: the engine's exp and sigmoid vs
mpmath; one GD step vs mpmath; the paper's NumPy loop within a proven rounding bound.
"""

import io
import math
import sys
import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import example, given, settings, target
from hypothesis import strategies as st

from checks.tolerances import (
    FLOAT64_EPS,
    KERNEL_EXP_ULPS,
    KERNEL_SIGMOID_ULPS,
    LOSS_BOUND_SAFETY,
    NAIVE_VS_EXACT_SAFETY,
    SUBNORMAL_ATOL,
)
from numerics import engine_kernels as K
from numerics.datasets import PlantedSpec, paper_2d_spec, planted_dataset, quick_2d_spec
from numerics.engine import naive_gd, reference_gd, run_gd, run_gd_batch
from numerics.schedule import linear_schedule, log_schedule, merge_schedules

U = 2.0**-53


def bits(a):
    """Bit patterns (distinguishes -0.0 from +0.0)."""
    return np.ascontiguousarray(np.asarray(a, dtype=np.float64)).view(np.int64)


def assert_same_trajectory(a, b):
    assert np.array_equal(a.t, b.t)
    assert np.array_equal(bits(a.w), bits(b.w)), np.abs(a.w - b.w).max()
    assert np.array_equal(bits(a.b), bits(b.b)), np.abs(a.b - b.b).max()
    assert np.array_equal(bits(a.w_final), bits(b.w_final)) and bits(a.b_final) == bits(b.b_final)
    assert a.t_final == b.t_final


@pytest.fixture(scope="module")
def small():
    ds = planted_dataset(quick_2d_spec())
    return ds.X[:60].copy(), ds.y[:60].copy()


# ------------------------------------------------------------------- schedules


def test_log_schedule_contents():
    s = log_schedule(10**7)
    assert s[0] == 0 and s[-1] == 10**7 and np.all(np.diff(s) > 0)
    assert set(10 ** np.arange(8)) <= set(s.tolist())
    assert 130 <= len(s) <= 141  # 20 per decade, fewer distinct integers in the first decade
    odd = log_schedule(12345, per_decade=3, extra=[7, 999], with_next=True)
    assert {0, 1, 2, 7, 8, 999, 1000, 1001, 12345} <= set(odd.tolist())
    assert odd[-1] == 12345 and np.all(np.diff(odd) > 0)
    assert log_schedule(0).tolist() == [0]
    assert linear_schedule(10, 4, with_next=True).tolist() == [0, 1, 4, 5, 8, 9, 10]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: log_schedule(-1), "`steps` must be >= 0"),
        (lambda: log_schedule(10, per_decade=0), "`per_decade` must be >= 1"),
        (lambda: merge_schedules(10, [11]), "must lie in \\[0, steps=10\\]"),
        (lambda: merge_schedules(10, [1.5]), "must be integers"),
        (lambda: linear_schedule(10, 0), "`every` must be >= 1"),
    ],
)
def test_schedule_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------------- the kernel's exp and sigmoid


def exp_arguments():
    rng = np.random.default_rng(0)
    edge = np.array([0.0, -0.0, -1e-300, -5e-324, -0.5 * math.log(2), -math.log(2), -708.39, -708.4, -709.0,
                     -744.44, -745.13, -745.1332191019411, -745.1332191019412, -745.2, -746.0, -1e308])
    return np.concatenate([edge, -rng.uniform(0, 1, 800), -rng.uniform(0, 750, 1500), -np.exp(rng.uniform(-700, 700, 200))])


def ulp_error(num, ref):
    """|num - ref| in units of the float spacing at ref (subnormal spacing below 2^-1022)."""
    spacing = mpmath.mpf(float(np.spacing(float(ref)))) if ref >= 2.0**-1022 else mpmath.mpf(2) ** -1074
    return float(abs(mpmath.mpf(float(num)) - ref) / spacing)


def test_exp_twin_is_bitwise_equal_and_accurate():
    x = exp_arguments()
    fast = K.exp_nonpos_array(x)
    twin = np.array([K.exp_nonpos_py(v) for v in x])
    assert np.array_equal(bits(fast), bits(twin))
    worst = 0.0
    with mpmath.workdps(40):
        for v, e in zip(x.tolist(), fast.tolist()):
            worst = max(worst, ulp_error(e, mpmath.exp(mpmath.mpf(v))))
    assert worst <= KERNEL_EXP_ULPS, worst


def test_exp_is_exactly_zero_beyond_the_skip_threshold():
    """The skipping rule needs exp_nonpos(-m) == +0.0 for every float m >= M_ZERO = 745.2."""
    start = -K.M_ZERO
    dense = start - np.arange(20000) * np.spacing(K.M_ZERO)  # the first 20000 floats below -745.2
    sweep = -np.linspace(K.M_ZERO, 2000.0, 20001)
    far = -np.exp(np.linspace(math.log(2000.0), math.log(1.7e308), 2001))
    x = np.concatenate([dense, sweep, far])
    out = K.exp_nonpos_array(x)
    assert np.all(bits(out) == 0)  # +0.0 exactly, not -0.0
    # the exact cutoff is fl(-1075 ln 2); M_ZERO keeps a safety margin of 0.067 above it
    assert K.exp_nonpos_py(-745.1332191019411) == 2.0**-1074 and K.exp_nonpos_py(-745.1332191019412) == 0.0
    assert -745.1332191019412 == -1075 * math.log(2)
    s = K.sigmoid_neg_array(-x)
    assert np.all(bits(s) == 0)


def test_sigmoid_kernel_matches_mpmath_and_twin():
    m = np.concatenate([exp_arguments(), -exp_arguments(), np.linspace(-40, 40, 801)])
    fast = K.sigmoid_neg_array(m)
    twin = np.array([K.sigmoid_neg_py(v) for v in m])
    assert np.array_equal(bits(fast), bits(twin))
    worst = 0.0
    with mpmath.workdps(40):
        for v, s in zip(m.tolist(), fast.tolist()):
            worst = max(worst, ulp_error(s, 1 / (1 + mpmath.exp(mpmath.mpf(v)))))
    assert worst <= KERNEL_SIGMOID_ULPS, worst


# ------------------------------------------------------------------- invariants


def test_step_zero_is_the_initialisation(small):
    X, y = small
    run = run_gd(X, y, eta=0.01, steps=10)
    assert run.t[0] == 0 and np.all(bits(run.w[0]) == 0) and bits(run.b[0]) == 0
    w0 = np.array([0.25, -3.5])
    run = run_gd(X, y, eta=0.01, steps=10, w0=w0, b0=-0.125)
    assert run.w[0].tolist() == w0.tolist() and run.b[0] == -0.125
    assert run.t.tolist() == log_schedule(10).tolist() and run.complete and run.t_final == 10
    zero = run_gd(X, y, eta=0.01, steps=0, w0=w0)
    assert zero.t.tolist() == [0] and zero.w_final.tolist() == w0.tolist() and zero.complete


def _planted(d, n, seed, scale=1.0):
    spec = PlantedSpec(d=d, n_pos=n // 2, n_neg=n - n // 2, k_pos=3, k_neg=2, seed=seed)
    ds = planted_dataset(spec)
    return ds.X * scale, ds.y


CASES = {
    # name: (data builder, run kwargs, must skip)
    "2d-paper-eta": (lambda s: s, dict(eta=0.01, steps=300, checkpoints=linear_schedule(300, 7, with_next=True)), False),
    "2d-scaled-skips": (lambda s: (s[0] * 200, s[1]), dict(eta=0.05, steps=300), True),
    "2d-mean": (lambda s: s, dict(eta=0.5, steps=200, reduction="mean"), False),
    "2d-late-start": (lambda s: s, dict(eta=0.01, steps=300, w0=np.array([800.0, 800.0]), b0=0.1), True),
    "1d-skips": (lambda s: _planted(1, 30, 1, 300.0), dict(eta=0.02, steps=600, w0=np.array([2.0])), True),
    "3d-mean-skips": (lambda s: _planted(3, 40, 2, 1e4), dict(eta=0.5, steps=600, reduction="mean"), True),
    "7d-sum": (lambda s: _planted(7, 40, 3), dict(eta=0.01, steps=150), False),
    "huge-scale": (lambda s: (s[0] * 1e100, s[1]), dict(eta=1.0, steps=300), True),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_engine_equals_reference_bit_for_bit(name, small):
    build, kwargs, must_skip = CASES[name]
    X, y = build(small)
    fast = run_gd(X, y, **kwargs)
    ref = reference_gd(X, y, **kwargs)
    assert_same_trajectory(fast, ref)
    assert fast.n_exp + fast.n_skipped == X.shape[0] * kwargs["steps"]
    if must_skip:
        assert fast.n_skipped > 0  # the case really exercises the skipping rule


def test_engine_equals_reference_on_the_paper_data_while_skipping():
    """All 2000 points of the paper's 2-D set, from a late-time state where most rows are skipped."""
    ds = planted_dataset(paper_2d_spec())
    kw = dict(eta=0.01, steps=120, w0=np.array([1500.0, 1501.0]), b0=0.2, checkpoints=linear_schedule(120, 1))
    fast = run_gd(ds.X, ds.y, **kw)
    assert fast.skip_fraction > 0.5
    assert_same_trajectory(fast, reference_gd(ds.X, ds.y, **kw))


def test_batched_runs_equal_single_runs():
    datasets = [planted_dataset(PlantedSpec(d=2, n_pos=40, n_neg=35, k_pos=7, k_neg=4, seed=s)) for s in range(3)]
    Xs = [ds.X * f for ds, f in zip(datasets, (1.0, 50.0, 3.0))]
    ys = [ds.y for ds in datasets]
    etas = [0.01, 0.03, 0.2]
    kw = dict(steps=700, checkpoints=log_schedule(700, with_next=True))
    batch = run_gd_batch(Xs, ys, etas, **kw)
    for X, y, eta, got in zip(Xs, ys, etas, batch):
        assert_same_trajectory(got, run_gd(X, y, eta=eta, **kw))
        assert got.eta == eta


def test_resume_equals_straight_run(small, tmp_path):
    X, y = small
    kw = dict(eta=0.01, steps=3000, checkpoints=log_schedule(3000, with_next=True))
    straight = run_gd(X, y, **kw)
    path = tmp_path / "state.npz"
    part = run_gd(X, y, state_path=path, stop_at=1237, **kw)
    assert not part.complete and part.t_final == 1237 and part.t[-1] <= 1237
    assert np.array_equal(part.t, straight.t[straight.t <= 1237])
    resumed = run_gd(X, y, state_path=path, **kw)
    assert resumed.complete
    assert_same_trajectory(resumed, straight)
    again = run_gd(X, y, state_path=path, **kw)  # a finished state file just returns its run
    assert_same_trajectory(again, straight)


def test_interrupted_run_saves_and_resumes(small, tmp_path):
    X, y = small
    kw = dict(eta=0.01, steps=2000, checkpoints=linear_schedule(2000, 50))
    straight = run_gd(X, y, **kw)
    path = tmp_path / "state.npz"

    def interrupt(t, steps):
        if t >= 500:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_gd(X, y, state_path=path, save_every_steps=97, progress=interrupt, **kw)
    with np.load(path) as f:
        assert int(f["t"]) == 582  # the first multiple of 97 past 500
    assert_same_trajectory(run_gd(X, y, state_path=path, **kw), straight)
    assert not list(tmp_path.glob(".*tmp*"))  # no temp file left behind


def test_resume_with_another_configuration_is_refused(small, tmp_path):
    X, y = small
    path = tmp_path / "state.npz"
    run_gd(X, y, eta=0.01, steps=100, state_path=path, stop_at=50)
    with pytest.raises(ValueError, match="different run.*eta"):
        run_gd(X, y, eta=0.02, steps=100, state_path=path)
    with pytest.raises(ValueError, match="different run.*data_sha256"):
        run_gd(X[::-1].copy(), y[::-1].copy(), eta=0.01, steps=100, state_path=path)
    with pytest.raises(ValueError, match="different run.*steps"):
        run_gd(X, y, eta=0.01, steps=200, state_path=path)
    path.write_bytes(b"not a state file")
    with pytest.raises(ValueError, match="not a readable GD state file"):
        run_gd(X, y, eta=0.01, steps=100, state_path=path)


def test_progress_callback_and_silent_bar(small, capsys):
    X, y = small
    seen = []
    run_gd(X, y, eta=0.01, steps=5000, save_every_s=1e9, progress=lambda t, n: seen.append((t, n)))
    assert seen and seen[-1] == (5000, 5000) and all(a[0] < b[0] for a, b in zip(seen, seen[1:]))
    run_gd(X, y, eta=0.01, steps=100, progress=True)  # stderr is not a TTY under pytest: no bar
    assert capsys.readouterr().err == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_reaches_the_last_step(small, monkeypatch):
    """progress=True draws tqdm's bar on stderr when stderr is a terminal, up to steps/steps."""
    X, y = small
    monkeypatch.setattr(sys, "stderr", _Terminal())
    run_gd(X, y, eta=0.01, steps=5000, progress=True)
    err = sys.stderr.getvalue()
    assert "GD" in err and "100%" in err and "5.00k/5.00k" in err
    monkeypatch.setattr(sys, "stderr", _Terminal())
    run_gd(X, y, eta=0.01, steps=100, progress=False)
    assert sys.stderr.getvalue() == ""


# ------------------------------------------------------------------- agreement


def gd_step_bound_terms(theta, X, y, eta):
    """Per-step rounding bound (l1 norm) of one contract-arithmetic or BLAS GD step at theta."""
    n, d = X.shape
    Z = np.hstack([X, np.ones((n, 1))])
    A = np.abs(X) @ np.abs(theta[:d]) + abs(theta[d])  # sum_j |w_j x_ij| + |b|
    g_n = (n + 2) * U / (1 - (n + 2) * U)
    dm = (d + 1) * U / (1 - (d + 1) * U) * A
    grad_err = np.abs(Z).T @ (dm / 4 + 4 * U) + g_n * np.abs(Z).sum(axis=0)  # |sigma'| <= 1/4, |s| <= 1
    grad = np.abs(Z).sum(axis=0)
    return float(np.sum(eta * grad_err + U * (np.abs(theta) + 2 * eta * grad)))


def test_naive_numpy_loop_within_the_rounding_bound(small):
    """At eta = 1/L the GD map is non-expansive (convex, L-smooth), so the two float trajectories
    differ by at most the sum of both engines' per-step rounding bounds."""
    X, y = small
    n = X.shape[0]
    Z = np.hstack([X, np.ones((n, 1))])
    eta = 1.0 / (np.linalg.eigvalsh(Z.T @ Z)[-1] / 4)
    steps = 400
    kw = dict(eta=eta, steps=steps, checkpoints=linear_schedule(steps, 1))
    exact, naive = run_gd(X, y, **kw), naive_gd(X, y, **kw)
    th_e = np.hstack([exact.w, exact.b[:, None]])
    th_n = np.hstack([naive.w, naive.b[:, None]])
    bound = np.cumsum([gd_step_bound_terms(a, X, y, eta) + gd_step_bound_terms(b, X, y, eta) for a, b in zip(th_e, th_n)])
    diff = np.linalg.norm(th_e - th_n, axis=1)
    assert np.all(diff[1:] <= NAIVE_VS_EXACT_SAFETY * bound[:-1])
    assert diff.max() > 0  # different exp and summation order: they do differ, within the bound


step_problems = st.tuples(
    st.integers(1, 3), st.integers(0, 250), st.integers(0, 2**32 - 1), st.sampled_from(["sum", "mean"])
)


@settings(max_examples=20)
@given(problem=step_problems)
@example(problem=(2, 0, 0, "sum")).via("w = 0")
@example(problem=(2, 250, 1, "sum")).via("margins ~ +-1e250")
@example(problem=(1, 3, 2, "mean")).via("margins ~ 1e3: around the skip threshold")
def test_one_step_matches_mpmath(problem):
    """theta(1) = theta(0) + eta G(theta(0)) vs mpmath at 50 digits (eqs. (4)-(5))."""
    d, k, seed, reduction = problem
    rng = np.random.default_rng(seed)
    n = 7
    X = rng.uniform(-5, 5, (n, d))
    y = rng.choice([-1.0, 1.0], n)
    w0 = rng.uniform(-1, 1, d) * 10.0**k
    b0 = float(rng.uniform(-1, 1) * 10.0**k)
    eta = 0.01
    run = run_gd(X, y, eta=eta, steps=1, w0=w0, b0=b0, reduction=reduction)
    div = n if reduction == "mean" else 1
    worst = 0.0
    with mpmath.workdps(50):
        gmm = (d + 1) * U / (1 - (d + 1) * U)
        ms, ss, dss = [], [], []
        for xi, yi in zip(X.tolist(), y.tolist()):
            z = mpmath.fsum(mpmath.mpf(a) * mpmath.mpf(c) for a, c in zip(w0.tolist(), xi)) + mpmath.mpf(b0)
            A = mpmath.fsum(abs(mpmath.mpf(a) * mpmath.mpf(c)) for a, c in zip(w0.tolist(), xi)) + abs(mpmath.mpf(b0))
            m = yi * z
            s = 1 / (1 + mpmath.exp(m))
            near = max(abs(m) - gmm * A, 0)
            ss.append(s)
            dss.append(gmm * A / (1 + mpmath.exp(near)) / (1 + mpmath.exp(-near)) + 4 * U * s)
        theta0 = w0.tolist() + [b0]
        theta1 = run.w_final.tolist() + [run.b_final]
        for j in range(d + 1):
            col = [1.0] * n if j == d else X[:, j].tolist()
            G = mpmath.fsum(yi * s * c for yi, s, c in zip(y.tolist(), ss, col)) / div
            ref = mpmath.mpf(theta0[j]) + eta * G
            g_err = (mpmath.fsum(abs(c) * e for c, e in zip(col, dss))
                     + (n + 2) * U * mpmath.fsum(abs(c) * s for c, s in zip(col, ss))) / div
            bound = eta * g_err + 2 * U * (abs(ref) + eta * abs(G))
            err = float(abs(mpmath.mpf(theta1[j]) - ref) / (LOSS_BOUND_SAFETY * bound + SUBNORMAL_ATOL))
            worst = max(worst, err)
            assert err < 1, (j, theta1[j], ref)
    target(worst, label="one GD step vs mpmath")


def test_no_warnings_at_extreme_margins(small):
    """Margins up to ~1e308 and a huge eta: no overflow/invalid/divide anywhere, same bits as the reference."""
    X, y = small
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        kw = dict(eta=1e3, steps=60, w0=np.array([1e307, -1e306]), b0=1e300)
        fast = run_gd(X[:20] * 1.7, y[:20], **kw)
        assert_same_trajectory(fast, reference_gd(X[:20] * 1.7, y[:20], **kw))
        big = run_gd(X * 1e100, y, eta=1e5, steps=50)
        assert np.all(np.isfinite(big.w)) and np.all(np.isfinite(big.b))
        naive = naive_gd(X * 1e100, y, eta=1e5, steps=50)
        assert np.all(np.isfinite(naive.w))


def test_divergence_is_reported_not_returned_as_nan(small):
    X, y = small
    with pytest.raises(FloatingPointError, match="float64 range at step 1"):
        run_gd(X * 1e300, y, eta=1e300, steps=10)
    with pytest.raises(FloatingPointError, match="run 1 left the float64 range"):
        run_gd_batch([X, X * 1e300], [y, y], [0.01, 1e300], steps=10)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(eta=0.0), "`eta` must be positive"),
        (dict(eta=math.nan), "`eta` must be positive and finite"),
        (dict(steps=-1), "`steps` must be >= 0"),
        (dict(stop_at=20), "`stop_at` must be <= steps"),
        (dict(w0=np.zeros(3)), "`w0` must have shape"),
        (dict(reduction="avg"), "`reduction`"),
        (dict(checkpoints=[0, 11]), "must lie in"),
        (dict(save_every_steps=0), "`save_every_steps` must be >= 1"),
    ],
)
def test_run_gd_validation(small, kwargs, match):
    X, y = small
    args = dict(eta=0.01, steps=10)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        run_gd(X, y, **args)


def test_batch_validation(small):
    X, y = small
    with pytest.raises(ValueError, match="same shape"):
        run_gd_batch([X, X[:10]], [y, y[:10]], 0.01, steps=5)
    assert FLOAT64_EPS == 2 * U


certificate_cases = st.tuples(
    st.integers(1, 4),  # d
    st.integers(0, 2**32 - 1),  # seed
    st.floats(0.0, 6.0),  # log10 of the weight scale: margins from ~1 to ~1e6
    st.floats(0.0, 1.0),  # budget as a fraction of the largest certified radius
)


@settings(max_examples=40)
@given(case=certificate_cases)
@example(case=(2, 0, 2.9, 0.999)).via("margins around the threshold, budget at a row's radius")
@example(case=(1, 5, 3.0, 1.0))
def test_skip_certificate_is_sound(case):
    """Every row the refresh leaves out still has sigma(-m) == 0 after the worst move of size B.

    For a skipped row i the most dangerous parameter change of length B is
    theta = theta_r - B y_i z_i / ||z_i||, which lowers its margin by B ||z_i||; the margin is
    then evaluated with the contract's arithmetic and must still give exactly 0."""
    from numerics.engine import _prepare

    d, seed, log_scale, frac = case
    rng = np.random.default_rng(seed)
    n = 40
    X = rng.uniform(-5, 5, (n, d))
    y = rng.choice([-1.0, 1.0], n)
    theta_r = np.append(rng.uniform(-1, 1, d), rng.uniform(-1, 1)) * 10.0**log_scale
    prob = _prepare(X, y)
    guard, _ = K.certificate_constants(d)
    act = np.empty(n, dtype=np.int64)
    n_all = K._refresh(prob.XT, prob.y, prob.zn, theta_r, 0.0, guard, act)
    if n_all == n:
        return  # nothing certifiable at this scale
    m_r = y * (X @ theta_r[:d] + theta_r[d])
    radius = (m_r - K.M_ZERO) / np.linalg.norm(np.hstack([X, np.ones((n, 1))]), axis=1)
    budget = frac * radius.max()
    n_act = K._refresh(prob.XT, prob.y, prob.zn, theta_r, budget, guard, act)
    skipped = np.setdiff1d(np.arange(n), act[:n_act])
    worst = -math.inf
    for i in skipped:
        z = np.append(X[i], 1.0)
        theta = theta_r - budget * y[i] * z / np.linalg.norm(z)
        m = theta[0] * X[i, 0]
        for j in range(1, d):
            m = m + theta[j] * X[i, j]
        m = y[i] * (m + theta[d])
        assert K.sigmoid_neg_py(m) == 0.0, (i, m)
        worst = max(worst, K.M_ZERO - m)  # how close the certificate came to failing
    target(worst if skipped.size else -1e9, label="closest skipped margin to M_ZERO (negative = safe)")

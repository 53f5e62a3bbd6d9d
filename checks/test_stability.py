"""Edge of stability: theory.stability against numerics.stability_measure.

Claims checked:

* sigma'(0) = 1/4: eta lambda_max(H(0)) from theory equals a finite-difference Hessian, and bounds
  the sharpness everywhere (sigma' <= 1/4).
* Late time, eta H(theta_hat log t + theta_tilde) = M / t, M = sum_s alpha_s z_s z_s^T: the sympy
  derivation verifies (and a corrupted one does not), and a numeric instance agrees.
* Linearisation: started on the asymptote with a tiny bias kick, the period-2 amplitude grows
  before t_EoS = lambda_max(M)/2 and decays after (threshold test at (1 -+ r) t_EoS), and the
  exact (double-double) map amplifies one-ulp errors exactly until t_EoS.
* Free-running GD from w = 0 on planted 2-D data: the period-2 oscillation ends *before* the
  linearised prediction -- between (1 - r) and (1 + r) times t_EoS corrected for the logistic
  curvature, and well before the exponential-tail t_EoS -- and it oscillates along M's top
  eigenvector (the decision boundary).
* Stable early: eta lambda_max(H(0)) < 2 gives no sustained oscillation.
"""

import dataclasses

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, example, given, target
from hypothesis import strategies as st

from checks.tolerances import (
    EOS_DIRECTION_COS,
    EOS_FREE_R,
    EOS_LINEAR_R,
    FD_HESSIAN_RTOL,
    FLOAT64_EPS,
    GEO_PLANTED_RTOL,
    HESSIAN_ROUNDING_ULPS,
    STAB_ASYMPTOTE_HESSIAN_RTOL,
    STAB_BLOCK_FRACTION_ATOL,
    STAB_EIG_RTOL,
    STAB_IMPLIED_ALPHAS_RTOL,
    STAB_LOGISTIC_CROSSING_RTOL,
    STAB_LOGISTIC_LIMIT_RTOL,
    STAB_STABLE_TWIN_RTOL,
    STAB_THETA_HAT_ATOL,
    STAB_WINDOW_RESOLUTION,
    STAB_ZERO_ANGLE_ATOL,
    SUBNORMAL_ATOL,
    scaled_error,
)
from numerics.highprec import GDState
from numerics.stability_measure import (
    TripleSample,
    detect_period2,
    log_spaced_times,
    rounding_amplification,
    sample_triples,
)
from theory.derivation import eq
from theory.stability import (
    asymptotic_sharpness,
    augmented_features,
    late_time_hessian_derivation,
    late_time_stability,
    logistic_hessian,
    sharpness,
    sharpness_at_init,
)

U = np.array([1.0, 1.0]) / np.sqrt(2)  # w_true of the paper at d = 2
V = np.array([-1.0, 1.0]) / np.sqrt(2)  # along the decision boundary


# --- test problems: data builder, prediction, simulation ------------------------------------------


def planted_2d(gamma, k, n_pop, seed=0):
    """k support vectors per class on y w_true^T x = gamma/2, evenly spread along the boundary
    (s in [-6, 6], the negative class shifted by 1/2), plus n_pop population points per class
    at 0.5 + gamma/2 <= y w_true^T x <= 4. Returns X, y, SV indices, theta_hat = (2/gamma) (w_true, 0)."""
    rng = np.random.default_rng(seed)
    X = [gamma / 2 * U + s * V for s in np.linspace(-6.0, 6.0, k)]
    X += [-gamma / 2 * U + s * V for s in np.linspace(-5.5, 6.5, k)]
    y = [1.0] * k + [-1.0] * k
    for cls in (1.0, -1.0):
        for c, s in zip(rng.uniform(gamma / 2 + 0.5, 4.0, n_pop), rng.uniform(-5.0, 5.0, n_pop)):
            X.append(cls * c * U + s * V)
            y.append(cls)
    return np.array(X), np.array(y), np.arange(2 * k), np.r_[2 / gamma * U, 0.0]


def implied_alphas(Z_sv, theta_hat):
    """alpha_s = exp(-z_s^T c) with sum_s alpha_s z_s = theta_hat (Soudry et al. Thm 4, eq. (8)).

    The stationarity condition of the strictly convex F(c) = sum_s exp(-z_s^T c) + theta_hat^T c,
    solved by damped Newton; c = theta_tilde - theta_hat log(eta) is the GD offset.
    """
    c = np.zeros(Z_sv.shape[1])

    def F(v):
        return np.exp(-Z_sv @ v).sum() + theta_hat @ v

    def grad(v):
        return theta_hat - np.exp(-Z_sv @ v) @ Z_sv

    def acceptable(v, g, decrease):
        # near the solution F stops resolving progress: a step that shrinks the gradient is accepted too
        Fv = F(v)
        return np.isfinite(Fv) and (np.linalg.norm(grad(v)) < np.linalg.norm(g) or Fv <= F(c) + decrease)

    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(100):
            g = grad(c)
            if np.linalg.norm(g) < 1e-12 * np.linalg.norm(theta_hat):
                break
            e = np.exp(-Z_sv @ c)
            step = np.linalg.solve((Z_sv * e[:, None]).T @ Z_sv, -g)
            lam = 1.0
            while not acceptable(c + lam * step, g, 1e-4 * lam * (g @ step)) and lam > 1e-12:
                lam /= 2
            c = c + lam * step
    alphas = np.exp(-Z_sv @ c)
    # floor: z^T c has absolute rounding ~eps ||z|| ||c||, ||c|| ~ ||theta_hat|| |log eta|: 1e-8 relative
    # at gamma = 1e-3; 1e-6 moves t_EoS by ~1e-6 relative
    assert np.linalg.norm(alphas @ Z_sv - theta_hat) < STAB_IMPLIED_ALPHAS_RTOL * np.linalg.norm(theta_hat)
    return alphas


#: planted 2-D problems at the edge of stability: (gamma, eta, k SVs per class, population per class)
EOS_PROBLEMS = {
    "gamma0.1-eta0.03": (0.1, 0.03, 15, 5),
    "gamma0.05-eta0.05": (0.05, 0.05, 10, 5),
    "gamma0.03-eta0.03": (0.03, 0.03, 15, 5),
}


def _eos_problem(name):
    gamma, eta, k, n_pop = EOS_PROBLEMS[name]
    X, y, sv, theta_hat = planted_2d(gamma, k, n_pop)
    Z = augmented_features(X, y)
    assert np.all(Z @ theta_hat >= 1 - GEO_PLANTED_RTOL)  # theta_hat separates with the planted margin
    return X, y, eta, late_time_stability(implied_alphas(Z[sv], theta_hat), Z[sv], eta=eta)


def _finite_difference_hessian(X, y, theta, h=1e-5):
    Z = augmented_features(X, y)

    def grad(th):
        m = Z @ th
        return -(Z * (np.exp(-np.logaddexp(0.0, m)))[:, None]).sum(axis=0)  # l'(m) = -sigma(-m)

    p = theta.size
    H = np.empty((p, p))
    for j in range(p):
        e = np.zeros(p)
        e[j] = h
        H[:, j] = (grad(theta + e) - grad(theta - e)) / (2 * h)
    return (H + H.T) / 2


# --- theory: sharpness -------------------------------------------------------------------------

coords = st.floats(-5, 5, allow_nan=False)


@st.composite
def datasets(draw):
    n = draw(st.integers(2, 10))
    d = draw(st.integers(1, 3))
    X = np.array(draw(st.lists(st.lists(coords, min_size=d, max_size=d), min_size=n, max_size=n)))
    y = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
    return X, y


@given(datasets(), st.lists(st.floats(-3, 3), min_size=4, max_size=4))
@example((np.array([[1.0], [-1.0]]), np.array([1.0, -1.0])), [0.0] * 4)
def test_logistic_hessian_matches_finite_differences(data, theta_entries):
    X, y = data
    theta = np.array(theta_entries[: X.shape[1] + 1])
    H = logistic_hessian(theta, X, y)
    H_fd = _finite_difference_hessian(X, y, theta)
    scale = max(1.0, float(np.abs(H).max()))
    err = scaled_error(H_fd / scale, H / scale, rtol=0.0, atol=FD_HESSIAN_RTOL)
    target(err, label="finite-difference Hessian error / tolerance")
    assert err <= 1.0


@given(datasets(), st.lists(st.floats(-30, 30), min_size=4, max_size=4), st.floats(1e-3, 10))
def test_sharpness_at_init_bounds_sharpness_everywhere(data, theta_entries, eta):
    """sigma' <= 1/4 = sigma'(0): eta lambda_max(H(theta)) <= eta lambda_max(H(0)) for every theta."""
    X, y = data
    theta = np.array(theta_entries[: X.shape[1] + 1])
    init = sharpness_at_init(X, y, eta=eta)
    assert eta * sharpness(theta, X, y) <= init.eta_lambda * (1 + STAB_EIG_RTOL)
    assert init.eta_lambda == pytest.approx(eta * sharpness(np.zeros_like(theta), X, y), rel=STAB_EIG_RTOL)
    assert init.unstable == (init.eta_lambda > 2)
    mean = sharpness_at_init(X, y, eta=eta, reduction="mean")
    assert mean.lambda_max == pytest.approx(init.lambda_max / X.shape[0], rel=STAB_EIG_RTOL)


def test_paper_scale_sharpness_at_init_is_far_above_two():
    """2000 points uniform in [-5, 5]^2, eta = 1e-2, summed loss: eta lambda_max(H(0)) ~ 40-60 (issue)."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-5, 5, size=(2000, 2))
    y = np.where(X @ U >= 0, 1.0, -1.0)
    s = sharpness_at_init(X, y, eta=1e-2)
    m = sharpness_at_init(X, y, eta=1e-2, reduction="mean")
    assert 40 < s.eta_lambda < 60 and s.unstable
    assert m.eta_lambda == pytest.approx(s.eta_lambda / 2000) and not m.unstable


# --- theory: late-time linearisation -------------------------------------------------------------


def test_derivation_of_late_time_hessian_verifies():
    report = late_time_hessian_derivation().verify()
    assert report.passed, report.summary()


def test_corrupted_derivation_fails():
    """The checks can fail: doubling the right-hand side of eta H = M / t is caught."""
    d = late_time_hessian_derivation()
    bad_step = dataclasses.replace(d.steps[3], expr=eq(d.steps[3].expr.lhs, 2 * d.steps[3].expr.rhs))
    steps = d.steps[:3] + (bad_step,) + d.steps[4:]
    bad = dataclasses.replace(d, id="eos-corrupted", steps=steps, result=bad_step.expr)
    report = bad.verify()
    assert not report.passed and [s.index for s in report.failures] == [4]


@given(st.integers(0, 2**32 - 1), st.floats(1e2, 1e8), st.floats(1e-3, 10.0))
def test_exponential_loss_hessian_on_the_asymptote_is_M_over_eta_t(seed, t, eta):
    """Numeric instance: 3 support vectors in R^3, theta_hat = Z^-1 1, theta_tilde = Z^-1 log(eta / alpha)."""
    rng = np.random.default_rng(seed)
    Z = rng.uniform(-2, 2, size=(3, 3))
    assume(abs(np.linalg.det(Z)) > 0.1)
    alphas = rng.uniform(0.1, 10.0, size=3)
    theta = np.linalg.solve(Z, np.ones(3)) * np.log(t) + np.linalg.solve(Z, np.log(eta / alphas))
    q = np.exp(-Z @ theta)
    H = (Z * q[:, None]).T @ Z  # Hessian of sum_s exp(-z_s^T theta)
    M = (Z * alphas[:, None]).T @ Z
    tol = STAB_ASYMPTOTE_HESSIAN_RTOL
    err = scaled_error(eta * t * H, M, rtol=tol, atol=tol * np.abs(M).max())
    target(err)
    assert err <= 1.0


def test_one_dimensional_late_time_stability_is_analytic():
    """x = +-a: alpha = 1/(2a^2) each, M = diag(1, 1/a^2): t_EoS = 1/(2 a^2), unstable direction = b."""
    a = 0.03
    Z = np.array([[a, 1.0], [a, -1.0]])
    r = late_time_stability([1 / (2 * a * a)] * 2, Z, eta=50.0)
    assert r.t_eos == pytest.approx(1 / (2 * a * a), rel=STAB_EIG_RTOL)
    assert r.t_monotone == pytest.approx(2 * r.t_eos)
    np.testing.assert_allclose(r.theta_hat, [1 / a, 0.0], atol=STAB_THETA_HAT_ATOL)
    assert r.bias_fraction == pytest.approx(1.0) and r.boundary_fraction == 0.0
    assert r.normal_fraction + r.boundary_fraction + r.bias_fraction == pytest.approx(1.0)
    # logistic crossing: (1/t) (1/a^2) / (1 + q)^2 = 2 with q = alpha / (eta t)
    t = r.t_eos_logistic
    q = 1 / (2 * a * a) / (50.0 * t)
    assert t * (1 + q) ** 2 == pytest.approx(r.t_eos, rel=STAB_LOGISTIC_CROSSING_RTOL)
    assert float(asymptotic_sharpness(r.t_eos, [1 / (2 * a * a)] * 2, Z, eta=50.0, loss="exponential")) == (
        pytest.approx(2.0, rel=STAB_EIG_RTOL))
    logistic = float(asymptotic_sharpness(t, [1 / (2 * a * a)] * 2, Z, eta=50.0))
    assert logistic == pytest.approx(2.0, rel=STAB_LOGISTIC_CROSSING_RTOL)


@pytest.mark.parametrize("eta", [1e-2, 1.0, 1e6])
def test_logistic_crossing_is_earlier_and_tends_to_the_exponential_one(eta):
    X, y, sv, theta_hat = planted_2d(0.1, 6, 0)
    Z = augmented_features(X, y)[sv]
    r = late_time_stability(implied_alphas(Z, theta_hat), Z, eta=eta)
    assert 0.0 <= r.t_eos_logistic <= r.t_eos
    if eta == 1e6:  # q = alpha / (eta t) -> 0: the logistic factor disappears
        assert r.t_eos_logistic == pytest.approx(r.t_eos, rel=STAB_LOGISTIC_LIMIT_RTOL)
    if eta == 1e-2:  # eta / 4 * lambda_max(sum z z^T) < 2: the logistic sharpness never reaches 2
        assert r.t_eos_logistic == 0.0


# --- simulation: the linearisation, started on the asymptote -----------------------------------------


def _on_asymptote(a=0.03, eta=1000.0, start_fraction=0.8, kick=1e-12):
    """x = +-a; start at theta_hat log t0 + theta_tilde with b kicked by `kick`; t0 = 0.8 t_EoS.

    eta = 1000 puts the support-vector margins at log(eta t / alpha) ~ 6.7, so the logistic
    curvature is within e^-6.7 ~ 1e-3 of the exponential one."""
    X = np.array([[a], [-a]])
    y = np.array([1.0, -1.0])
    Z = augmented_features(X, y)
    alphas = np.linalg.solve(Z @ Z.T, np.ones(2))
    lt = late_time_stability(alphas, Z, eta=eta)
    t0 = int(start_fraction * lt.t_eos)
    theta0 = lt.theta_hat * np.log(t0) + np.linalg.solve(Z, np.log(eta / alphas))
    return X, y, eta, lt, t0, GDState.from_float(theta0[:1], theta0[1] + kick)


def _amplitude_at(X, y, eta, start, t0, times):
    s = sample_triples(X, y, eta=eta, times=np.asarray(times) - t0, precision="dd", start=start)
    return detect_period2(TripleSample(s.t + t0, s.w, s.b, s.precision, s.eta, s.reduction),
                          min_amplitude=1e-300).b_amplitude


def test_period2_amplitude_grows_before_and_decays_after_t_eos():
    X, y, eta, lt, t0, start = _on_asymptote()
    T = lt.t_eos
    r = EOS_LINEAR_R
    early, late = int((1 - r) * T), int((1 + r) * T)
    amp = _amplitude_at(X, y, eta, start, t0, [early, early + 3, late, late + 3])
    assert np.all(amp > 0)  # alternating throughout: eigenvalue 1 - M/t < 0 until 2 t_EoS
    assert amp[1] > amp[0]  # growing at (1 - r) t_EoS
    assert amp[3] < amp[2]  # decaying at (1 + r) t_EoS
    times = np.arange(t0, int(1.4 * T), 2)
    peak = times[np.argmax(_amplitude_at(X, y, eta, start, t0, times))]
    assert abs(peak / T - 1) < r


def test_exact_map_amplifies_one_ulp_exactly_until_t_eos():
    X, y, eta, lt, t0, start = _on_asymptote(kick=0.0)
    T = lt.t_eos
    cp = np.unique(np.r_[np.linspace(1, 0.15 * T, 6), np.linspace(0.25 * T, 0.75 * T, 6)].astype(int))
    r = rounding_amplification(X, y, eta=eta, checkpoints=cp, start=start)  # steps from t0 = 0.8 T
    t_abs = r.t + t0
    before = t_abs[1:] <= (1 - EOS_LINEAR_R) * T
    after = t_abs[:-1] >= (1 + EOS_LINEAR_R) * T
    assert before.any() and after.any()
    assert np.all(r.amplified[before]) and not np.any(r.amplified[after])
    assert r.window[0] == r.t[0] and abs((r.window[1] + t0) / T - 1) < STAB_WINDOW_RESOLUTION + EOS_LINEAR_R


# --- simulation: free-running GD from w = 0 ------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EOS_PROBLEMS))
def test_oscillation_ends_near_the_logistic_edge_of_stability(name):
    X, y, eta, lt = _eos_problem(name)
    assert sharpness_at_init(X, y, eta=eta).unstable and lt.t_eos_logistic > 0
    T = lt.t_eos_logistic
    expected = {int((1 - EOS_FREE_R) * T): True, int((1 + EOS_FREE_R) * T): False, int(lt.t_eos): False}
    times = sorted(expected)
    osc = detect_period2(sample_triples(X, y, eta=eta, times=times))
    assert osc.oscillating.tolist() == [expected[t] for t in times]
    assert osc.end_bracket[0] < T and osc.end_bracket[1] < lt.t_eos  # the end comes before both predictions


@pytest.mark.parametrize("name", sorted(EOS_PROBLEMS))
def test_oscillation_is_along_the_top_eigenvector_of_M(name):
    X, y, eta, lt = _eos_problem(name)
    s = sample_triples(X, y, eta=eta, times=[int((1 - EOS_FREE_R) * lt.t_eos_logistic)])
    v = np.concatenate([s.w[0], s.b[0][:, None]], axis=1)
    alternating_part = v[0] - 2 * v[1] + v[2]
    cos = abs(alternating_part @ lt.top_direction) / np.linalg.norm(alternating_part)
    assert cos > EOS_DIRECTION_COS
    assert lt.boundary_fraction > 0.9  # planted SVs spread along the boundary: it is the soft direction


def test_stable_step_size_gives_no_sustained_oscillation():
    X, y, sv, theta_hat = planted_2d(0.1, 15, 5)
    eta = 0.003  # eta lambda_max(H(0)) ~ 0.37 < 2
    assert not sharpness_at_init(X, y, eta=eta).unstable
    osc = detect_period2(sample_triples(X, y, eta=eta, times=log_spaced_times(30, 10_000, 30)))
    assert osc.end == -1


# --- measurement primitives ---------------------------------------------------------------------------


def test_detect_period2_on_synthetic_sequences():
    t = np.array([10, 20, 30])
    drift = 0.1 * np.array([t, t + 1, t + 2]).T  # linear drift (slower than the alternation), no alternation
    alt = 0.25 * (-1.0) ** np.array([t, t + 1, t + 2]).T
    w = np.stack([drift, drift + np.array([1.0, 1.0, 0.0])[:, None] * alt], axis=2)  # (K, 3, 2)
    b = drift * 0 + np.array([1.0, 0.0, 0.0])[:, None] * alt
    osc = detect_period2(TripleSample(t, w, b, "float64", 0.1, "sum"), min_amplitude=1e-3)
    np.testing.assert_array_equal(osc.alternating[:, 0], False)
    np.testing.assert_array_equal(osc.alternating[:, 1], [True, True, False])
    np.testing.assert_allclose(osc.amplitude[:2, 1], 0.25)  # the drift cancels exactly
    np.testing.assert_allclose(osc.b_amplitude, [0.25, 0.0, 0.0])
    assert osc.end == 20 and osc.end_bracket == (20, 30)
    with pytest.raises(ValueError, match="`min_amplitude` must be positive"):
        detect_period2(TripleSample(t, w, b, "float64", 0.1, "sum"), min_amplitude=0.0)


def test_log_spaced_times_and_validation():
    times = log_spaced_times(1, 1000, 10)
    assert times[0] == 1 and times[-1] == 1000 and np.all(np.diff(times) > 0)
    with pytest.raises(ValueError, match="need 1 <= `t_min`"):
        log_spaced_times(0, 10, 5)
    X, y, _, _ = planted_2d(0.1, 3, 0)
    with pytest.raises(ValueError, match="at least two step counts, all >= 1"):
        rounding_amplification(X, y, eta=0.1, checkpoints=[0, 5])
    with pytest.raises(ValueError, match="`times` must be"):
        sample_triples(X, y, eta=0.1, times=[5, 5])
    with pytest.raises(ValueError, match="`alphas` must be positive"):
        late_time_stability([1.0, -1.0], [[1.0, 1.0], [1.0, -1.0]], eta=1.0)
    with pytest.raises(ValueError, match="`eta` must be positive"):
        sharpness_at_init(X, y, eta=0.0)


def test_float64_twin_and_reference_distances():
    """On a stable run float64 stays within rounding of the reference and nothing is amplified above the floor."""
    X, y, _, _ = planted_2d(0.1, 3, 2)
    r = rounding_amplification(X, y, eta=0.003, checkpoints=[1, 10, 100, 1000], twin_precision="float64")
    assert np.all(r.dist_reference < STAB_STABLE_TWIN_RTOL)
    assert not np.any(r.amplified) and r.window == (-1, -1)


def test_symbolic_stability_interval_for_one_direction():
    """|1 - mu/t| <= 1 exactly for t >= mu/2 (mu > 0): the interval the derivation's sign steps establish."""
    t, mu = sp.symbols("t mu", positive=True)
    sol = sp.solve_univariate_inequality(sp.Abs(1 - mu / t) <= 1, t, relational=False)
    assert sol == sp.Interval(mu / 2, sp.oo)


# --- slow: the paper's planted data sets (numerics.datasets) --------------------------------------


def _planted_spec_problem(spec, eta):
    from numerics.datasets import planted_dataset

    ds = planted_dataset(spec)
    X, y = np.array(ds.X), np.array(ds.y)
    Z = augmented_features(X, y)
    theta_hat = np.r_[2 / spec.gamma * ds.w_true, 0.0]  # planted: b_hat = 0, w_hat = (2/gamma) w_true
    assert np.min(Z @ theta_hat) > 1 - GEO_PLANTED_RTOL
    sv = ds.sv_index
    return X, y, late_time_stability(implied_alphas(Z[sv], theta_hat), Z[sv], eta=eta)


@pytest.mark.slow
@pytest.mark.parametrize("n, k, gamma, eta", [(30, 20, 1e-2, 0.02), (100, 35, 1e-2, 0.01)])
def test_oscillation_end_on_planted_datasets(n, k, gamma, eta):
    from numerics.datasets import PlantedSpec

    spec = PlantedSpec(d=2, n_pos=n, n_neg=n, k_pos=k, k_neg=k, gamma=gamma, seed=0)
    X, y, lt = _planted_spec_problem(spec, eta)
    T = lt.t_eos_logistic
    times = [int((1 - EOS_FREE_R) * T), int((1 + EOS_FREE_R) * T)]
    osc = detect_period2(sample_triples(X, y, eta=eta, times=times))
    assert osc.oscillating.tolist() == [True, False]


@pytest.mark.slow
def test_paper_run_lies_inside_the_predicted_edge_of_stability_window():
    """Paper d = 2 (D(1000,1000), S(350,350), gamma = 1e-3, eta = 1e-2, sum): eta lambda_0 ~ 58 and
    t_EoS (logistic) ~ 3.3e7 > 1e7 = the paper's T: GD never leaves the period-2 regime in the paper's run."""
    from numerics.datasets import paper_2d_spec

    X, y, lt = _planted_spec_problem(paper_2d_spec(), 1e-2)
    assert sharpness_at_init(X, y, eta=1e-2).eta_lambda > 2
    assert (1 - EOS_FREE_R) * lt.t_eos_logistic > 1e7
    assert lt.boundary_fraction > 0.99  # the oscillation runs along the decision boundary


def test_t_eos_from_theory_residual_alphas_matches():
    """theory.residual (SVM + Newton in extended precision) and this file's Newton give one t_EoS."""
    from theory.residual import residual_limit

    X, y, eta, lt = _eos_problem("gamma0.1-eta0.03")
    res = residual_limit(X, y, eta)
    Z = augmented_features(X, y)
    other = late_time_stability(res.alphas[res.support], Z[res.support], eta=eta)
    assert other.t_eos == pytest.approx(lt.t_eos, rel=STAB_IMPLIED_ALPHAS_RTOL)
    assert other.t_eos_logistic == pytest.approx(lt.t_eos_logistic, rel=STAB_IMPLIED_ALPHAS_RTOL)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_direction_fractions_sum_to_one_for_generic_support_vectors(seed):
    """normal + boundary + bias fractions of the unstable direction partition it (generic z's, d = 3)."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(6, 4))
    r = late_time_stability(rng.uniform(0.5, 2.0, size=6), Z, eta=0.1)
    assert min(r.normal_fraction, r.boundary_fraction, r.bias_fraction) > 0
    assert r.normal_fraction + r.boundary_fraction + r.bias_fraction == pytest.approx(1.0, rel=STAB_EIG_RTOL)


# --- theory: extreme margins, reductions, reported direction (mutation-testing additions) ---------------


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_logistic_hessian_at_margins_beyond_exp_range(sign):
    """sigma'(m) for |m| = 800 underflows to 0 instead of overflowing to inf/inf: H stays finite, and
    equals the 40-digit Hessian at the same float theta within the first-order rounding bound of the
    code's own operations (no machine's output enters the tolerance)."""
    X = np.array([[1.0, 0.5], [-2.0, 1.0], [0.3, -1.0]])
    y = np.array([1.0, -1.0, 1.0])
    Z = augmented_features(X, y)
    theta = np.linalg.solve(Z, np.array([0.5, sign * 800.0, -sign * 800.0]))  # margins ~0.5, +-800, -+800
    H = logistic_hessian(theta, X, y)
    with mpmath.workdps(40):
        # Exact margins of the float Z and theta (the code's input), then sigma' at 40 digits.
        margins = [mpmath.fsum(mpmath.mpf(float(z)) * mpmath.mpf(float(t)) for z, t in zip(row, theta)) for row in Z]
        s = np.array([float(mpmath.exp(-abs(m)) / (1 + mpmath.exp(-abs(m))) ** 2) for m in margins])
    H_ref = (Z * s[:, None]).T @ Z
    assert np.all(np.isfinite(H))
    assert scaled_error(H, H_ref, rtol=0.0, atol=_hessian_rounding_bound(Z, theta, s)) <= 1


def _hessian_rounding_bound(Z, theta, s):
    """Entrywise first-order bound on |fl(H) - H| for H = sum_i sigma'(z_i^T theta) z_i z_i^T in float64.

    The margin z_i^T theta (d + 1 products and sums, any order, FMA or not) is off by at most
    gamma_{d+1} sum_j |z_ij theta_j| absolutely; |d log sigma'(m) / dm| = |tanh(m / 2)| <= 1 turns that
    into the same relative error of sigma'. exp, 1 + e, the square and the division add
    HESSIAN_ROUNDING_ULPS units of roundoff; the products s_i z_ij z_ik and the sum over N terms add
    gamma_{N+2}. Second-order terms are covered by the factor 2.
    """
    u = FLOAT64_EPS / 2
    n, k = Z.shape
    margin_err = (k + 1) * u * (np.abs(Z) @ np.abs(theta))
    rel = margin_err + HESSIAN_ROUNDING_ULPS * u + (n + 2) * u
    return 2.0 * (np.abs(Z) * (s * rel)[:, None]).T @ np.abs(Z) + SUBNORMAL_ATOL


def test_mean_reduction_hessian_matches_finite_differences_of_the_mean_loss():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(7, 2))
    y = np.where(rng.random(7) < 0.5, -1.0, 1.0)
    theta = rng.normal(size=3)
    H_fd = _finite_difference_hessian(X, y, theta) / 7  # the mean loss is the sum over N
    H = logistic_hessian(theta, X, y, reduction="mean")
    assert scaled_error(H, H_fd, rtol=0.0, atol=FD_HESSIAN_RTOL * np.abs(H_fd).max()) <= 1
    lam_ref = np.max(np.linalg.eigvalsh(H_fd))
    assert sharpness(theta, X, y, reduction="mean") == pytest.approx(lam_ref, rel=FD_HESSIAN_RTOL)


@pytest.mark.parametrize("seed", range(6))
def test_top_direction_is_the_signed_unit_top_eigenvector(seed):
    """top_direction: unit, M v = lambda_max v, largest entry positive; angle_to_normal in [0, pi/2] and
    consistent with the fractions (cos^2 and sin^2 of the angle split the w-part)."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(4, 3))
    alphas = rng.uniform(0.5, 2.0, size=4)
    r = late_time_stability(alphas, Z, eta=0.1)
    v = r.top_direction
    M = sum(a * np.outer(z, z) for a, z in zip(alphas, Z))
    assert np.linalg.norm(v) == pytest.approx(1.0, rel=STAB_EIG_RTOL)
    assert scaled_error(M @ v, r.lambda_max * v, rtol=0.0, atol=STAB_EIG_RTOL * r.lambda_max) <= 1
    probes = rng.normal(size=(200, 3))
    probes /= np.linalg.norm(probes, axis=1)[:, None]
    assert r.lambda_max >= np.max(np.einsum("ij,jk,ik->i", probes, M, probes)) * (1 - STAB_EIG_RTOL)
    assert v[np.argmax(np.abs(v))] > 0
    w_hat = (alphas @ Z)[:-1]
    n = w_hat / np.linalg.norm(w_hat)
    v_w = v[:-1]
    along = v_w @ n
    angle_ref = np.arctan2(np.linalg.norm(v_w - along * n), abs(along))
    assert 0.0 <= r.angle_to_normal <= np.pi / 2
    assert r.angle_to_normal == pytest.approx(angle_ref, abs=STAB_EIG_RTOL)


def test_angle_is_zero_not_nan_when_the_top_direction_is_the_normal():
    """Two SVs at +-1 in b, both 3 u in w: M = 18 u u^T (+) 2 in b, top eigenvector (u, 0) = w_hat / ||w_hat||.

    |v_w . n| / ||v_w|| rounds to 1 + eps at some rotations u (8 of these 32 here): the angle must still
    be 0, not arccos(1 + eps) = nan.
    """
    for phi in np.linspace(0.05, 3.1, 32):
        u = np.array([np.cos(phi), np.sin(phi)])
        Z = np.array([np.r_[3 * u, 1.0], np.r_[3 * u, -1.0]])
        r = late_time_stability([1.0, 1.0], Z, eta=1.0)
        assert r.lambda_max == pytest.approx(18.0, rel=STAB_EIG_RTOL)  # 2 * 3^2
        assert r.normal_fraction == pytest.approx(1.0, rel=STAB_EIG_RTOL) and r.bias_fraction < STAB_BLOCK_FRACTION_ATOL
        assert r.angle_to_normal == pytest.approx(0.0, abs=STAB_ZERO_ANGLE_ATOL), phi


def test_logistic_crossing_when_t_eos_is_tiny():
    """x = +-a, alphas 1e-6 each: t_EoS = 1e-6 steps; the crossing (1/t)(2 alpha)/(1 + q)^2 = 2 still to 1e-9.

    The logistic sharpness peaks at eta / 2 (at eta t = alpha), so eta = 10 > 4 makes it cross 2."""
    a, alpha, eta = 0.5, 1e-6, 10.0
    Z = np.array([[a, 1.0], [a, -1.0]])  # M = diag(2 alpha a^2, 2 alpha): lambda_max = 2 alpha
    r = late_time_stability([alpha, alpha], Z, eta=eta)
    assert r.t_eos == pytest.approx(alpha, rel=STAB_EIG_RTOL)
    t = r.t_eos_logistic
    q = alpha / (eta * t)
    assert 0 < t < r.t_eos
    assert t * (1 + q) ** 2 == pytest.approx(alpha, rel=STAB_LOGISTIC_CROSSING_RTOL)


def test_derivation_assumptions_admit_the_papers_setting():
    """A4 (t, eta, mu > 0) must hold at the paper's eta = 1e-2, the first GD step t = 1 and an eigenvalue mu = 1/2."""
    d = late_time_hessian_derivation()
    rels = [rel for a in d.assumptions for rel in a.relations]
    assert rels
    values = {"t": 1, "eta": sp.Rational(1, 100), "mu": sp.Rational(1, 2)}
    for rel in rels:
        subs = {sym: values[sym.name] for sym in rel.free_symbols}
        assert bool(rel.subs(subs)), rel


def test_derivation_sign_steps_split_time_exactly_at_mu_over_two():
    """Steps 6-7: '1 - mu/t > -1' holds exactly for t > mu/2 and '< -1' exactly for t < mu/2, and each
    step's substitution t(s), s > 0, starts at t_EoS = mu/2 (mu = 1 below)."""
    d = late_time_hessian_derivation()
    stable, unstable = d.steps[5], d.steps[6]
    for step, holds_above in ((stable, True), (unstable, False)):
        (t_sym, t_of_s), = step.given
        s_sym = next(iter(t_of_s.free_symbols - {sym for sym in t_of_s.free_symbols if sym.name == "mu"}))
        mu_sym = next(sym for sym in step.expr.free_symbols if sym.name == "mu")
        assert sp.limit(t_of_s.subs(mu_sym, 1), s_sym, 0, "+") == sp.Rational(1, 2)
        for t_val in (sp.Rational(1, 10), sp.Rational(2, 5), sp.Rational(1, 2), sp.Rational(3, 5), 10):
            truth = bool(step.expr.subs({mu_sym: 1, t_sym: t_val}))
            if t_val == sp.Rational(1, 2):
                assert not truth  # the eigenvalue is exactly -1 at t_EoS: neither strict inequality holds
            else:
                assert truth == ((t_val > sp.Rational(1, 2)) == holds_above), (step.expr, t_val)

"""The reduced model's modified flow (theory.phases.reduced_trajectory): its Newton matrix is the exact
Jacobian of its field, and a paper-size set whose reduced GD hands over at eta lambda_max(H) near 1
solves within the evaluation budget (before the exact Jacobian, `lingrok predict` crawled there for
tens of minutes: millions of LSODA evaluations on a 5-D set with N = 2000 at eta = 1e-2)."""

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.tolerances import FLOAT64_EPS, PHASE_JAC_FD_RTOL
from numerics.datasets import paper_2d_spec, planted_dataset
from theory.phases import _modified_field, _modified_jacobian
from theory.prediction import predict


def _central_differences(f, theta, h):
    cols = []
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = h
        cols.append((f(theta + e) - f(theta - e)) / (2 * h))
    return np.stack(cols, axis=1)


@settings(max_examples=40)
@given(seed=st.integers(0, 10_000), d=st.integers(1, 6), n=st.integers(2, 30), eta=st.floats(1e-3, 1.0),
       s=st.floats(0.0, 5.0), with_correction=st.booleans())
def test_flow_jacobian_is_the_exact_derivative(seed, d, n, eta, s, with_correction):
    """Against central differences at h = eps^(1/3) |theta|-scale: truncation h^2 |f'''| / 6 and rounding
    eps |f| / h are both ~eps^(2/3) relative for margins and |z| of O(1) (PHASE_JAC_FD_RTOL)."""
    rng = np.random.default_rng(seed)
    Z = rng.uniform(-1.5, 1.5, size=(n, d + 1))
    wt = rng.uniform(0.1, 3.0, size=n)
    theta = rng.uniform(-2.0, 2.0, size=d + 1)
    corr = 0.5 * eta if with_correction else 0.0
    h = FLOAT64_EPS ** (1 / 3) * max(1.0, float(np.abs(theta).max()))
    fd = _central_differences(lambda th: _modified_field(Z, wt, eta, corr, s, th), theta, h)
    J = _modified_jacobian(Z, wt, eta, corr, s, theta)
    scale = float(np.abs(J).max())
    assert np.abs(J - fd).max() <= PHASE_JAC_FD_RTOL * scale


def test_jacobian_check_detects_the_missing_correction_term():
    """Negative control: the old Newton matrix (the Hessian term only) fails the same check."""
    rng = np.random.default_rng(0)
    Z = rng.uniform(-1.5, 1.5, size=(12, 3))
    wt = rng.uniform(0.1, 3.0, size=12)
    theta = rng.uniform(-2.0, 2.0, size=3)
    eta, s = 0.5, 1.0
    h = FLOAT64_EPS ** (1 / 3) * 2.0
    fd = _central_differences(lambda th: _modified_field(Z, wt, eta, eta / 2, s, th), theta, h)
    hessian_only = _modified_jacobian(Z, wt, eta, 0.0, s, theta)
    assert np.abs(hessian_only - fd).max() > PHASE_JAC_FD_RTOL * float(np.abs(fd).max())


def test_paper_size_5d_set_at_the_papers_eta_gets_a_phase_prediction():
    """paper-2d's construction in d = 5 (N = 2000, seed 3), eta = 1e-2: the reduced GD reaches its step cap
    with eta lambda_max(H) = 0.9987, so the modified flow's correction is on and stiff. The phase part
    must finish within theory.phases' evaluation budget (it raises, and predict records a failure, if not)."""
    ds = planted_dataset(dataclasses.replace(paper_2d_spec(seed=3), d=5))
    p = predict(ds.X, ds.y, eta=1e-2, horizon=10**8)
    assert "phases" not in p.failures, p.failures.get("phases")
    assert p.phases is not None

"""theory.geometry's Goldfarb-Idnani QPs (eq. (7) and eq. (9) of arXiv:2602.08302) against Clarabel.

Clarabel (an interior-point conic solver, maintained by the Oxford Control Group) shares no code and no
method with the project's dual active-set solver, so agreement on random separable data checks both
the formulation (the constraint matrix, the free bias of eq. (9)) and the solver. Each answer carries
its own certificate: the primal point made feasible and the multipliers made dual feasible bound its
distance to the optimum through the duality gap (derivation and bounds in checks/tolerances.py); the
two answers must agree within the sum of the two certificates, and each certificate must be as tight
as the solver's stated accuracy promises.

Data: planted sets of numerics.datasets (b* = 0, many points exactly on the margin) and sets labelled
by a random hyperplane with a bias (b* != 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import clarabel
import numpy as np
import pytest
import scipy.sparse as sparse
from hypothesis import given
from hypothesis import strategies as st

from checks.tolerances import (
    CLARABEL_TOL,
    FLOAT64_EPS,
    QP_CERT_REL_GAP_MAX,
    QP_CERT_ROUNDING_TERMS,
    QP_MARGIN_ROUNDING_ULPS,
)
from numerics.datasets import PlantedSpec, planted_dataset
from theory.geometry import augmented_max_margin, svm_with_bias

SOLVERS = {"eq7": augmented_max_margin, "eq9": svm_with_bias}


def clarabel_solve(X, y, problem: str):
    """(w, b, multipliers) of eq. (7) or eq. (9) by Clarabel: min 1/2 theta^T P theta s.t. Z theta >= 1."""
    n, d = X.shape
    Z = y[:, None] * np.hstack([X, np.ones((n, 1))])
    P = sparse.diags(np.r_[np.ones(d), 1.0 if problem == "eq7" else 0.0]).tocsc()
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = CLARABEL_TOL
    # Clarabel's form: A theta + s = b, s >= 0; here -Z theta + s = -1
    solution = clarabel.DefaultSolver(P, np.zeros(d + 1), sparse.csc_matrix(-Z), -np.ones(n),
                                      [clarabel.NonnegativeConeT(n)], settings).solve()
    assert str(solution.status) == "Solved", solution.status
    theta = np.array(solution.x)
    return theta[:d], float(theta[d]), np.array(solution.z)


@dataclass(frozen=True)
class Certificate:
    """Bounds on a solver's distance to the optimum (checks/tolerances.py, QP cross-check)."""

    w_error: float  # >= ||w - w*||
    b_error: float  # >= |b - b*|
    rel_gap: float  # certified (f(theta') - D(alpha)) / f(theta')


def certificate(X, y, problem: str, w, b, alphas) -> Certificate:
    n, d = X.shape
    margins = y * (X @ w + b)
    v = max(0.0, 1.0 - float(np.min(margins)))  # largest constraint violation
    assert v < 0.5, v
    w1, b1 = w / (1.0 - v), b / (1.0 - v)  # feasible
    a = np.maximum(np.asarray(alphas, dtype=float), 0.0)
    if problem == "eq9":  # dual feasibility needs sum alpha y = 0: both classes to their mean sum
        pos, neg = a[y > 0].sum(), a[y < 0].sum()
        a = np.where(y > 0, a * (0.5 * (pos + neg) / pos), a * (0.5 * (pos + neg) / neg))
        g = X.T @ (a * y)
        f = 0.5 * float(w1 @ w1)
    else:
        g = np.r_[X.T @ (a * y), float(a @ y)]
        f = 0.5 * (float(w1 @ w1) + b1 * b1)
    dual = float(a.sum()) - 0.5 * float(g @ g)
    rounding = QP_CERT_ROUNDING_TERMS * (n + d + 2) * FLOAT64_EPS * (float(a.sum()) + 0.5 * float(g @ g) + f)
    radius = math.sqrt(2.0 * max(f - dual, 0.0) + 2.0 * rounding)  # >= ||w' - w*|| (eq. (7): ||theta' - theta*||)
    if problem == "eq9":
        R = float(np.max(np.linalg.norm(X, axis=1)))
        return Certificate(radius + v * float(np.linalg.norm(w1)), R * radius + v * abs(b1), (f - dual) / f)
    return Certificate(radius + v * float(np.linalg.norm(w1)), radius + v * abs(b1), (f - dual) / f)


def assert_agree(X, y, problem: str) -> None:
    gi = SOLVERS[problem](X, y)
    assert gi.status == "optimal", gi.message
    w_c, b_c, z_c = clarabel_solve(X, y, problem)
    cert_gi = certificate(X, y, problem, gi.w_hat, gi.b_hat, gi.alphas)
    cert_c = certificate(X, y, problem, w_c, b_c, z_c)
    # each solver within its stated accuracy
    assert cert_gi.rel_gap <= QP_CERT_REL_GAP_MAX, ("Goldfarb-Idnani", cert_gi)
    assert cert_c.rel_gap <= QP_CERT_REL_GAP_MAX, ("Clarabel", cert_c)
    # the two answers within the sum of their certificates
    w_tol = cert_gi.w_error + cert_c.w_error
    assert np.linalg.norm(gi.w_hat - w_c) <= w_tol, (np.linalg.norm(gi.w_hat - w_c), cert_gi, cert_c)
    assert abs(gi.b_hat - b_c) <= cert_gi.b_error + cert_c.b_error, (gi.b_hat, b_c, cert_gi, cert_c)
    # margin 1/||w||: |1/||u|| - 1/||v||| <= ||u - v|| / (||u|| ||v||), plus its own rounding (a few ulps)
    margin_c = 1.0 / float(np.linalg.norm(w_c))
    margin_tol = w_tol * gi.margin * margin_c + QP_MARGIN_ROUNDING_ULPS * FLOAT64_EPS * gi.margin
    assert abs(gi.margin - margin_c) <= margin_tol, (gi.margin, margin_c, margin_tol)


@st.composite
def planted_sets(draw):
    d = draw(st.integers(2, 5))
    n_pos, n_neg = draw(st.integers(3, 40)), draw(st.integers(3, 40))
    spec = PlantedSpec(d=d, n_pos=n_pos, n_neg=n_neg, k_pos=draw(st.integers(1, min(n_pos, 4))),
                       k_neg=draw(st.integers(1, min(n_neg, 4))), gamma=draw(st.floats(0.05, 1.0)), box=2.0,
                       gap=draw(st.floats(0.0, 0.2)), seed=draw(st.integers(0, 2**31 - 1)))
    data = planted_dataset(spec)
    return np.asarray(data.X, dtype=float), np.asarray(data.y, dtype=float)


@st.composite
def offset_sets(draw):
    """Points in [-2, 2]^d labelled by a random hyperplane w^T x + b = 0 (unit w, through a point of [-1, 1]^d,
    so both sides of it reach 1 into the box), none closer to it than `gap`."""
    d, n = draw(st.integers(1, 5)), draw(st.integers(4, 60))
    gap = draw(st.floats(0.05, 0.5))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    w = rng.normal(size=d)
    w /= np.linalg.norm(w)
    b = -float(w @ rng.uniform(-1.0, 1.0, size=d))
    X = rng.uniform(-2.0, 2.0, size=(40 * n, d))
    m = X @ w + b
    keep = np.abs(m) >= gap
    X, y = X[keep][:n], np.sign(m[keep][:n])
    for label in (1.0, -1.0):  # eq. (9) needs both classes: a point at w^T x + b = label (gap + 1) if missing
        if not np.any(y == label):
            X = np.vstack([X, (label * (gap + 1.0) - b) * w / (w @ w)])
            y = np.r_[y, label]
    return X, y


@pytest.mark.parametrize("problem", ["eq7", "eq9"])
@given(data=planted_sets())
def test_planted_sets_agree_with_clarabel(problem, data):
    assert_agree(*data, problem)


@pytest.mark.parametrize("problem", ["eq7", "eq9"])
@given(data=offset_sets())
def test_sets_with_a_bias_agree_with_clarabel(problem, data):
    assert_agree(*data, problem)


def test_the_certificate_catches_a_suboptimal_or_wrong_answer():
    """Negative controls: a feasible but 0.1% too long w fails the stated accuracy, and the solution of
    another data set (one support vector removed) disagrees beyond the certificates."""
    spec = PlantedSpec(d=3, n_pos=20, n_neg=20, k_pos=3, k_neg=3, gamma=0.2, box=2.0, gap=0.1, seed=7)
    data = planted_dataset(spec)
    X, y = np.asarray(data.X, dtype=float), np.asarray(data.y, dtype=float)
    for problem, solve in SOLVERS.items():
        gi = solve(X, y)
        longer = certificate(X, y, problem, 1.001 * gi.w_hat, 1.001 * gi.b_hat, gi.alphas)
        assert longer.rel_gap > QP_CERT_REL_GAP_MAX
        # drop every support vector of one class but one: the optimum moves by O(1) relative
        pos_sv = [i for i in gi.support if y[i] > 0]
        keep = np.setdiff1d(np.arange(len(y)), pos_sv[1:]) if len(pos_sv) > 1 else np.arange(len(y))
        other = solve(X[keep], y[keep])
        w_c, b_c, z_c = clarabel_solve(X, y, problem)
        tol = certificate(X, y, problem, w_c, b_c, z_c).w_error + certificate(
            X[keep], y[keep], problem, other.w_hat, other.b_hat, other.alphas).w_error
        assert len(pos_sv) > 1 and np.linalg.norm(other.w_hat - w_c) > tol

"""The large-step regime: the period-2 cycle of GD on the summed logistic loss, and when it ends.

GD of eqs. (3)-(5) of arXiv:2602.08302 is ``theta <- theta + eta g(theta)`` with
``g(theta) = sum_i sigma(-z_i^T theta) z_i`` (minus the gradient), ``z_i = y_i (x_i, 1)``. When
``eta lambda_max(H(0)) > 2`` (the paper's eta = 1e-2 on N = 2000 summed points gives 58) GD runs a
period-2 cycle. Write two consecutive iterates as ``theta_t = c + delta``,
``theta_{t+1} = c - delta`` (the *central path* c and the *cycle vector* delta). Then exactly
(derivation :func:`theory.derivations_large_step.large_step_cycle`):

* the two-step map: ``theta_{t+2} - theta_t = eta (g(c + delta) + g(c - delta))``, so the
  central path moves, per GD step, with the **cycle-averaged gradient**
  ``dc/dt = (eta / 2) (g(c + delta) + g(c - delta))`` (error O(|d^2c/dt^2|), the drift's own change
  over two steps);
* the cycle (constant delta): ``4 delta = eta (g(c - delta) - g(c + delta)) = 2 eta K(c, delta) delta``
  with the **secant curvature** ``K(c, delta) = sum_i kappa(m_i, d_i) z_i z_i^T``,
  ``m_i = z_i^T c``, ``d_i = z_i^T delta``, ``kappa(m, d) = sinh(d) / (2 d (cosh m + cosh d))``:
  the logistic sigma' averaged over the segment between the two iterates' margins m_i -+ d_i.
  So delta is an eigenvector of ``eta K(c, delta)`` with eigenvalue 2: the *cycle equation*.
* kappa(m, 0) = sigma'(m) (the Hessian at the centre); for small d,
  ``kappa = sigma'(m) + sigma'''(m) d^2 / 6 + O(d^4)``. sigma''' < 0 for |m| < log(2 + sqrt 3): the
  cycle is born and dies *supercritically* at ``eta lambda_max(H(c)) = 2`` (a flip); for larger
  margins (the exponential tail, ``kappa ~ e^{-m} sinh(d) / d``) it dies at a *fold*: the largest
  ``rho(a) = eta lambda_max K(c, a v)`` over the amplitude a drops below 2 while the centre is
  already stable. At the fold the secant and the tangent curvature agree, i.e. eta times the
  Hessian averaged over the two iterates equals 2 (the two-step multiplier is +1).

The reduced model integrates (c, delta) in log time ``s = log(1 + t)`` (t in GD steps), with the
cycle relaxing to the cycle equation at the exact linear rate: along an eigenvector of
``A = eta K(c, delta)`` with eigenvalue ``a > 1`` the alternating part is multiplied by ``a - 1``
per step (GD's Jacobian ``I - eta H`` at d = 0), so ``d delta/dt = log(A - I) delta`` (directions with
``a <= 1`` do not alternate and are damped at the floor rate ``e^{-5}`` per step). It starts at
``t0 = START_STEPS`` (2) from GD's own iterates there (theta(0..t0+2) by the exact map):
``delta = (theta(t0) - 2 theta(t0+1) + theta(t0+2)) / 4``, the alternating part free of a linear drift, and
``c = theta(t0) - delta``. theta(0) = 0 is not an iterate of the cycle: at eta lambda_max(H(0)) >> 2 the first
step overshoots every margin by O(eta lambda) (-46 at eta lambda = 100 on a planted set) and the second brings
the iterates onto the cycle. The original start, c = theta(1) / 2, delta = -theta(1) / 2 (``start_steps=0``),
misplaced the centre by units of margin there and moved one fold end by 1.29x; the pair
(theta(t0), theta(t0+1)) would put half a step of drift into delta. The predicted **end of the cycle**
is the last t at which some component of theta *visibly* alternates, by the rule of the detector of
:mod:`numerics.stability_measure`: the first differences of component j are ``cdot_j -+ 2 delta_j``,
so they alternate iff ``2 |delta_j| > |cdot_j|``, and the detector also asks ``|delta_j| >``
``amplitude_floor`` (1e-9). Past the flip or fold the amplitude decays like
``prod (eta lambda_max(H(c)) - 1)`` per step; early on (t ~ 1e2-1e3) the drift hides it first,
late the floor does. The integration stops once |delta| < amplitude_floor and then follows the
central path alone (delta = 0) to t_max.

Approximations and their error terms (stated, not fitted):

* **slow centre**: c changes by ``eta |g_bar|`` per step; the two iterates are c -+ delta only up to
  half a step of drift, ``|Delta m_i| <= (eta / 2) |g_bar^T z_i|`` (``drift_margin`` at the end). The
  end lies where the small-margin points' curvature, ``~ e^{-m}``, crosses a fixed level, so a margin
  error Delta m moves the end by a factor ``e^{Delta m}``.
* **period-2 only**: the reduced model follows a 2-cycle. Where that cycle is itself unstable (the
  two-step multiplier ``mu = rho((I - eta H(c + delta)) (I - eta H(c - delta))) > 1``: period
  doubling, period 3, chaos; seen from eta lambda_max(H(0)) ~ 13, mostly above 30, on small planted
  sets) GD does not follow it and can fall off the cycle into the basin of the stable centre before
  the fold: then the prediction is an **upper bound** (``chaotic`` is True and ``last_unstable_t``
  says until when). No time read off the model's path (fold, centre turning stable, last or onset of
  mu > 1) predicts that end within 1.5 on random sets, and on some the end moves by 3x under a 1e-9
  relative change of eta: an escape time from a chaotic transient, outside this model (docs/stability.md,
  "The chaotic class"). :mod:`theory.large_step_escape` models that escape (median of a survival
  function built from local escape rates); theory.prediction.cycle_forecast reports its median there.
* **early transient**: for cycles that die within ~100 steps the averaging over two steps is not
  slow; the model is then only an order-of-magnitude estimate (``short`` is True).

Published bounds (see the derivation page ``large-step-cycle``): Wu, Bartlett, Telgarsky & Yu
(COLT 2024) bound the oscillatory phase of separable logistic regression by O(eta) steps up to
data-dependent factors; Wu, Braverman & Lee (2023) show GD at large eta still converges in
direction to the max-margin solution; Meng et al. (arXiv:2406.05033) analyse cycles on
non-separable data. This module never simulates GD; it integrates the reduced two-step model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.special import expit

from theory.validation import dataset, positive_scalar

__all__ = [
    "CyclePrediction",
    "FOLD_MARGIN",
    "START_STEPS",
    "cycle_accuracy_times",
    "predict_cycle",
    "secant_curvature",
    "secant_weight",
    "two_step_multiplier",
]

#: |m| above which sigma'''(m) > 0: the cycle dies at a fold rather than a flip, log(2 + sqrt 3).
FOLD_MARGIN = math.log(2.0 + math.sqrt(3.0))
_DAMP_FLOOR = -5.0  # log-rate per step of non-alternating directions of delta (e^-5: gone in a few steps)
_DEFAULT_FLOOR = 1e-9  # numerics.stability_measure's amplitude threshold
_SHORT_STEPS = 100.0  # below this the two-step averaging is not slow (transient)
#: GD steps computed with the exact map before the reduced model takes over (see predict_cycle).
START_STEPS = 2
_UNSTABLE_MU = 1.0


def secant_weight(m, d) -> np.ndarray:
    """kappa(m, d) = [sigma(d - m) - sigma(-d - m)] / (2 d) = sinh(d) / (2 d (cosh m + cosh d)).

    The logistic sigma' averaged over [m - d, m + d]; kappa(m, 0) = sigma'(m) = 1/(2 (1 + cosh m)).
    Evaluated with every exponential scaled by e^{-max(|m|, |d|)} so nothing overflows.

    >>> float(secant_weight(0.0, 0.0))                    # sigma'(0)
    0.25
    >>> from scipy.special import expit
    >>> m, d = 1.3, 0.7
    >>> round(float(secant_weight(m, d) - (expit(d - m) - expit(-d - m)) / (2 * d)), 15)
    0.0

    Args:
        m: margins z_i^T c (any shape).  d: cycle displacements z_i^T delta (same shape).

    Returns:
        float64 array of the broadcast shape, in (0, 1/4].
    """
    m = np.abs(np.asarray(m, dtype=float))
    d = np.abs(np.asarray(d, dtype=float))
    top = np.maximum(m, d)
    small = d < 1e-6
    d_safe = np.where(small, 1.0, d)
    # sinh(d)/d scaled by e^{-top}; series 1 + d^2/6 below 1e-6 (error < 1e-13)
    shd = np.where(small, (1.0 + d * d / 6.0) * np.exp(-top),
                   -np.expm1(-2.0 * d_safe) / (2.0 * d_safe) * np.exp(d - top))
    den = np.exp(m - top) + np.exp(-m - top) + np.exp(d - top) + np.exp(-d - top)
    return shd / den


def secant_curvature(Z, c, delta) -> np.ndarray:
    """K(c, delta) = sum_i kappa(z_i^T c, z_i^T delta) z_i z_i^T, the curvature the cycle sees.

    The cycle equation is ``eta K(c, delta) delta = 2 delta``; K(c, 0) is the Hessian H(c) of eq. (3).

    Args:
        Z: (N, p) augmented features z_i = y_i (x_i, 1).  c, delta: (p,).

    Returns:
        (p, p) symmetric positive semi-definite matrix.
    """
    k = secant_weight(Z @ c, Z @ delta)
    return (Z * k[:, None]).T @ Z


def _hessian(Z, theta):
    e = np.exp(-np.abs(Z @ theta))
    return (Z * (e / (1.0 + e) ** 2)[:, None]).T @ Z


def two_step_multiplier(Z, c, delta, eta) -> float:
    """Spectral radius of (I - eta H(c + delta)) (I - eta H(c - delta)): the 2-cycle is stable below 1.

    Args:
        Z: (N, p) augmented features.  c, delta: (p,) centre and cycle vector.  eta: step size.
    """
    p = Z.shape[1]
    J = (np.eye(p) - eta * _hessian(Z, c + delta)) @ (np.eye(p) - eta * _hessian(Z, c - delta))
    return float(np.max(np.abs(np.linalg.eigvals(J))))


@dataclass(frozen=True)
class CyclePrediction:
    """The reduced two-step model along GD's path (t counts GD steps from w = 0, b = 0).

    Attributes:
        t: (K,) log-spaced GD steps at which the model is reported.
        center: (K, p) central path c(t) (w then b).  delta: (K, p) cycle vector (iterates c -+ delta).
        amplitude: (K,) |delta|.
        eta_lambda_center: (K,) eta lambda_max(H(c)): the centre is linearly stable below 2.
        eta_rho: (K,) eta lambda_max(K(c, delta)): the cycle equation holds where this is 2.
        multiplier: (K,) two-step multiplier of the cycle (stable below 1); nan once delta = 0.
        end: predicted end of the cycle (last t at which it alternates visibly); None if it
            outlasts t_max, 0.0 if GD is stable at t = 0 (eta lambda_max(H(0)) <= 2).
        end_kind: "flip" (centre margins of the curvature-carrying points below FOLD_MARGIN at
            the end), "fold", "none" (no cycle), "beyond" (outlasts t_max) or "unresolved" (the
            evaluation budget ran out).
        chaotic: the 2-cycle was unstable (multiplier > 1) at some reported t in the last decade
            before the end: GD need not follow it and the end is an upper bound.
        last_unstable_t: last reported t with multiplier > 1 (-1 if none).
        short: end < 100 steps: the two-step averaging is not slow; order-of-magnitude only.
        drift_margin: max_i (eta/2) |g_bar^T z_i| at the end over the points carrying 90% of the
            curvature: the margin error of the two-iterate picture, a factor e^{drift_margin} on the end.
        amplitude_floor: the |delta| that counts as no cycle.
        eta: step size (summed loss).  t_max: horizon of the integration.
        nfev: right-hand-side evaluations.  success: the integrator's status.  message: its message.
    """

    t: np.ndarray
    center: np.ndarray
    delta: np.ndarray
    amplitude: np.ndarray
    eta_lambda_center: np.ndarray
    eta_rho: np.ndarray
    multiplier: np.ndarray
    end: float | None
    end_kind: str
    chaotic: bool
    last_unstable_t: float
    short: bool
    drift_margin: float
    amplitude_floor: float
    eta: float
    t_max: float
    nfev: int
    success: bool
    message: str

    def iterates(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The two iterates c -+ delta at the k-th reported time."""
        return self.center[k] + self.delta[k], self.center[k] - self.delta[k]


class _BudgetExceeded(Exception):
    """The reduced model needed more right-hand-side evaluations than its budget."""


def _field(Z, eta, budget=None):
    calls = [0]

    def rhs(s, state):
        calls[0] += 1
        if budget is not None and calls[0] > budget:
            raise _BudgetExceeded(s)
        p = Z.shape[1]
        c, dl = state[:p], state[p:]
        m, d = Z @ c, Z @ dl
        cdot = 0.5 * eta * ((expit(-(m + d)) + expit(-(m - d))) @ Z)  # cycle-averaged gradient
        k = secant_weight(m, d)
        vals, vecs = np.linalg.eigh(eta * (Z * k[:, None]).T @ Z)
        rate = np.log(np.maximum(vals - 1.0, math.exp(_DAMP_FLOOR)))  # log(A - I) on alternating modes
        ddot = vecs @ (rate * (vecs.T @ dl))
        return math.exp(s) * np.r_[cdot, ddot]  # d/ds with s = log(1 + t)

    return rhs


def _visibility(Z, eta, floor):
    """Event: > 0 while some component of theta alternates visibly (the detector's rule), < 0 otherwise.

    With theta_t = c + delta, theta_{t+1} = c - delta + cdot, the first differences of component j are
    cdot_j -+ 2 delta_j: they alternate in sign iff 2 |delta_j| > |cdot_j|; the detector also needs
    |delta_j| > floor. Returns max_j min(log(|delta_j| / floor), log(2 |delta_j| / |cdot_j|)).
    """

    def visible(s, state):
        p = Z.shape[1]
        c, dl = state[:p], state[p:]
        m, d = Z @ c, Z @ dl
        cdot = 0.5 * eta * ((expit(-(m + d)) + expit(-(m - d))) @ Z)
        a = np.maximum(np.abs(dl), 1e-300)
        return float(np.max(np.minimum(np.log(a / floor), np.log(2.0 * a / np.maximum(np.abs(cdot), 1e-300)))))

    visible.terminal, visible.direction = False, -1
    return visible


def predict_cycle(X, y, *, eta, t_max=1e8, reduction="sum", amplitude_floor=_DEFAULT_FLOOR, rtol=1e-6,
                  per_decade=20, max_evaluations=100_000, start_steps=START_STEPS) -> CyclePrediction:
    """Predict the period-2 cycle of GD (eqs. (3)-(5) of arXiv:2602.08302) and when it ends.

    Integrates the reduced two-step model of the module docstring in s = log(1 + t) (LSODA,
    relative tolerance ``rtol``) from GD's own (c, delta) at t0 = ``start_steps`` until |delta| < amplitude_floor, then the
    central path alone (delta = 0) up to t_max.

    Args:
        X: (N, d) inputs.  y: (N,) labels in {-1, +1}.
        eta: step size (> 0); with reduction "mean" the model runs the summed loss at eta / N.
        t_max: horizon in GD steps.  amplitude_floor: |delta| below which there is no cycle.
        rtol: integrator tolerance.  per_decade: reported times per decade of t.
        max_evaluations: budget of right-hand-side evaluations (typical runs need 1e3-1e4; a 2-cycle that
            keeps hopping between branches can need 1e5-1e6). Beyond it the result has ``end`` None,
            ``end_kind`` "unresolved" and ``success`` False.
        start_steps: t0, the GD steps computed with the exact map (theta(0..t0+2), O(t0 N d) work) before the
            reduced model starts from GD's own (c, delta) at t0 (module docstring); reported times below t0 are
            the exact map's. 0 is the original start c = theta(1) / 2, delta = -theta(1) / 2. If the exact
            map's alternation is already hidden at t0 (amplitude below the floor, or not visible by the
            detector's rule), the end is the last step at which it showed.

    Returns:
        :class:`CyclePrediction`.

    Raises:
        ValueError: on malformed data or non-positive eta / t_max / amplitude_floor.
    """
    X, y = dataset(X, y)
    eta = positive_scalar("eta", eta)
    t_max = positive_scalar("t_max", t_max)
    amplitude_floor = positive_scalar("amplitude_floor", amplitude_floor)
    if reduction not in ("sum", "mean"):
        raise ValueError(f"`reduction` must be 'sum' or 'mean', got {reduction!r}")
    eta_sum = eta / X.shape[0] if reduction == "mean" else eta
    Z = y[:, None] * np.hstack([X, np.ones((X.shape[0], 1))])
    p = Z.shape[1]
    lam0 = float(np.linalg.eigvalsh(0.25 * Z.T @ Z)[-1])
    start_steps = int(start_steps)
    if start_steps < 0:
        raise ValueError(f"`start_steps` must be >= 0, got {start_steps}")
    pairs = _exact_pairs(Z, eta_sum, start_steps)  # (start_steps + 1, 2p): GD's own (c, delta) at t = 0..t0
    state0 = pairs[-1]
    s0, s_end = math.log1p(start_steps), math.log1p(t_max)
    s_grid = np.log1p(np.unique(np.r_[0.0, np.geomspace(1.0, t_max, int(per_decade * math.log10(max(t_max, 10))) + 1)]))
    if eta_sum * lam0 <= 2.0:
        return _result(Z, eta_sum, s_grid[:1], np.r_[pairs[0, :p], 0 * pairs[0, p:]][:, None], 0.0, amplitude_floor,
                       t_max, 0, True, "stable at initialisation: eta lambda_max(H(0)) <= 2", 0.0)
    s_exact = np.log1p(np.arange(start_steps, dtype=float))  # reported from the exact map before t0
    s_grid = s_grid[s_grid > s0]

    def dead(s, state):
        return math.log(max(float(np.linalg.norm(state[p:])), 1e-300) / amplitude_floor)

    dead.terminal, dead.direction = True, -1
    visible = _visibility(Z, eta_sum, amplitude_floor)
    head_s, head = np.r_[s_exact, s0], pairs.T  # the exact map's (c, delta), t = 0..t0
    if np.linalg.norm(state0[p:]) < amplitude_floor:  # GD's own cycle died within the first t0 steps
        end = _last_shown(visible, pairs)
        message = f"the exact map's alternation ended within its first {start_steps} steps"
        return _central_tail(Z, eta_sum, head_s, head, s_grid, s0, s_end, rtol, end, amplitude_floor, t_max,
                             0, True, message)
    try:
        sol = solve_ivp(_field(Z, eta_sum, max_evaluations), (s0, s_end), state0, method="LSODA", rtol=rtol,
                        atol=1e-12 * amplitude_floor, events=(dead, visible), dense_output=True)
    except _BudgetExceeded as exc:  # a cycle hopping between branches: stiff; no prediction
        t_stop = math.expm1(float(exc.args[0]))
        return _result(Z, eta_sum, head_s, head, None, amplitude_floor, t_max, int(max_evaluations), False,
                       f"unresolved: more than {max_evaluations} evaluations by t ~ {t_stop:.3g} steps", s0)
    s_stop = float(sol.t[-1])
    end = None
    if sol.t_events[0].size:  # the cycle is gone; it was last visible at the last downward crossing, if any
        hidden = sol.t_events[1]
        if visible(s_stop, sol.y[:, -1]) > 0:
            end = math.expm1(s_stop)
        elif hidden.size:
            end = math.expm1(float(hidden[-1]))
        elif start_steps and visible(s0, state0) <= 0:  # hidden from t0 on: last shown by the exact map
            end = _last_shown(visible, pairs)
        else:
            end = math.expm1(s_stop)
    inside = np.r_[s_grid[s_grid < s_stop], s_stop]
    grid, states = np.r_[head_s, inside], np.hstack([head, sol.sol(inside)])
    nfev, success, message = int(sol.nfev), bool(sol.success), str(sol.message)
    if end is None or s_stop >= s_end:
        return _result(Z, eta_sum, grid, states, end, amplitude_floor, t_max, nfev, success, message, s_stop)
    # after the cycle: the central path alone (delta = 0 stays 0)
    return _central_tail(Z, eta_sum, grid, states, s_grid, s_stop, s_end, rtol, end, amplitude_floor, t_max,
                         nfev, success, message)


def _exact_pairs(Z, eta, steps):
    """GD's own iterates as (c, delta) pairs at t = 0..steps, from theta(0) = 0 by the exact summed-loss map
    theta <- theta + eta sum_i sigma(-z_i^T theta) z_i.

    steps = 0: the model's original start, c = theta(1) / 2, delta = -theta(1) / 2. Otherwise row t removes a
    linear drift from three iterates, as the detector's amplitude does: with theta(t + s) = c + v s + delta (-1)^s,
    delta = (theta(t) - 2 theta(t+1) + theta(t+2)) / 4 and c = theta(t) - delta (the pair (theta(t), theta(t+1))
    would carry half a step of drift in delta, which on a weak cycle is all of it).
    """
    theta = [np.zeros(Z.shape[1]), 0.5 * eta * Z.sum(axis=0)]  # sigma(0) = 1/2: the first step exactly
    if steps == 0:
        return np.r_[0.5 * theta[1], -0.5 * theta[1]][None, :]
    for _ in range(steps + 1):
        theta.append(theta[-1] + eta * (expit(-(Z @ theta[-1])) @ Z))
    th = np.array(theta)
    delta = 0.25 * (th[:-2] - 2.0 * th[1:-1] + th[2:])
    return np.hstack([th[:-2] - delta, delta])


def _last_shown(visible, pairs) -> float:
    """Last t among the exact map's pairs at which some component alternates visibly (0.0 if none)."""
    shown = [t for t in range(len(pairs)) if visible(math.log1p(t), pairs[t]) > 0]
    return float(shown[-1]) if shown else 0.0


def _central_tail(Z, eta, grid, states, s_grid, s_stop, s_end, rtol, end, floor, t_max, nfev, success, message):
    """Append the central path alone (delta = 0) from s_stop (the last column of ``states``) to s_end."""
    p = Z.shape[1]
    start = np.r_[states[:p, -1], np.zeros(p)]
    later = s_grid[s_grid > s_stop]
    if s_stop < s_end:
        flow = solve_ivp(_field(Z, eta), (s_stop, s_end), start, method="LSODA", rtol=rtol, atol=1e-12,
                         dense_output=True)
        if later.size:
            grid, states = np.r_[grid, later], np.hstack([states, flow.sol(later)])
        nfev += int(flow.nfev)
        success = success and bool(flow.success)
    return _result(Z, eta, grid, states, end, floor, t_max, nfev, success, message, s_stop)


def _result(Z, eta, grid, states, end, floor, t_max, nfev, success, message, s_stop):
    p = Z.shape[1]
    t = np.expm1(grid)
    C, D = states[:p].T, states[p:].T
    amp = np.linalg.norm(D, axis=1)
    lam_c = np.array([eta * np.linalg.eigvalsh(_hessian(Z, c))[-1] for c in C])
    rho = np.array([eta * np.linalg.eigvalsh(secant_curvature(Z, c, d))[-1] for c, d in zip(C, D)])
    mu = np.array([two_step_multiplier(Z, c, d, eta) if a > floor else np.nan for c, d, a in zip(C, D, amp)])
    if end == 0.0:
        kind, chaotic, last_unst, short, drift = "none", False, -1.0, False, 0.0
    else:
        unstable = np.flatnonzero(mu > _UNSTABLE_MU)  # nan (no cycle) compares False
        last_unst = float(t[unstable[-1]]) if unstable.size else -1.0
        t_ref = end if end is not None else t_max
        chaotic = bool(unstable.size and last_unst >= 0.1 * t_ref)
        short = end is not None and end < _SHORT_STEPS
        k_end = int(np.searchsorted(grid, s_stop))
        k_end = min(k_end, len(grid) - 1)
        m = Z @ C[k_end]
        w = np.exp(-np.abs(m))
        order = np.argsort(-w)
        carry = order[: int(np.searchsorted(np.cumsum(w[order]) / w.sum(), 0.9)) + 1]
        g_bar = expit(-(m + Z @ D[k_end])) @ Z + expit(-(m - Z @ D[k_end])) @ Z
        drift = float(np.max(np.abs(0.5 * eta * 0.5 * (Z[carry] @ g_bar))))
        if end is None:
            kind = "unresolved" if message.startswith("unresolved") else "beyond"
        else:
            kind = "flip" if np.min(np.abs(m[carry])) < FOLD_MARGIN else "fold"
    return CyclePrediction(
        t=t, center=C, delta=D, amplitude=amp, eta_lambda_center=lam_c, eta_rho=rho, multiplier=mu, end=end,
        end_kind=kind, chaotic=chaotic, last_unstable_t=last_unst, short=short, drift_margin=drift,
        amplitude_floor=floor, eta=eta, t_max=float(t_max), nfev=nfev, success=success, message=message,
    )


def cycle_accuracy_times(pred: CyclePrediction, X, y, *, eps=0.0) -> dict:
    """First reported t at which the model's iterates reach accuracy (1 - eps) on (X, y).

    Under the cycle GD alternates between c + delta and c - delta, so an accuracy read at one step
    depends on its parity. Returns ``{"either": t, "both": t}``: the first reported t at which one
    of the two iterates (``either``), or both (``both``), classify a fraction >= 1 - eps of the
    points (margin > 0); None if never within the model's horizon. ``both`` is the time from which
    the accuracy no longer depends on the parity; where the accuracy reaches 1 only as the cycle
    dies out it equals the end of the cycle (Definition 3.4 of arXiv:2602.08302 with sup = 1).

    Args:
        pred: a :class:`CyclePrediction`.  X: (n, d) points.  y: (n,) labels.  eps: in [0, 1).
    """
    X, y = dataset(X, y)
    if not (0.0 <= eps < 1.0):
        raise ValueError(f"`eps` must be in [0, 1), got {eps}")
    Z = y[:, None] * np.hstack([X, np.ones((X.shape[0], 1))])
    m = pred.center @ Z.T
    d = pred.delta @ Z.T
    acc_p = np.mean(m + d > 0, axis=1)
    acc_m = np.mean(m - d > 0, axis=1)
    level = 1.0 - eps - 1e-12
    out = {}
    for key, ok in (("either", np.maximum(acc_p, acc_m) >= level), ("both", np.minimum(acc_p, acc_m) >= level)):
        idx = np.flatnonzero(ok)
        # first t from which it stays reached (the model's accuracy is not monotone under the cycle)
        if idx.size and ok[idx[-1]:].all():
            run = np.flatnonzero(~ok)
            first = (run[-1] + 1) if run.size else 0
            out[key] = float(pred.t[first]) if first < pred.t.size and ok[first:].all() else None
        else:
            out[key] = None
    return out


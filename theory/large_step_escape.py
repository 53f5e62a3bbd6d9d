"""Escape from the chaotic 2-cycle: a hazard model for the end of GD's cycle where the 2-cycle is unstable.

:mod:`theory.large_step` follows GD's period-2 cycle with the reduced two-iterate model (central path
c(t), cycle vector delta(t)). Where that 2-cycle is itself unstable (two-step multiplier mu > 1, the
``chaotic`` flag) GD runs a period-doubled or chaotic orbit around it and leaves it, at a time that is
not a crossing read off the model's path: on some sets a relative change of eta of 1e-9 moves the end
by 3x (docs/stability.md, "The chaotic class"). Such an end is an *escape time* from a chaotic
transient. This module models it as one.

**Model.** GD's orbit near step t lives on a (possibly transient) chaotic set around the model's cycle
c(t) -+ delta(t). Escape from it into the basin of the non-oscillating path is a memoryless event at a
rate kappa(t) per step (the escape rate of a chaotic saddle: the fraction of the quasi-stationary
population that leaves per step). With the rate slowly varying, the probability that GD is still on
the cycle at t is

    S(t) = exp(- int_{t_min}^t kappa(s) ds),

and the predicted end is the median escape time ``S(t) = 1/2``, with the interval ``S = 0.9 .. 0.1``
(the spread expected from an eta-jitter ensemble, where the end is a random escape time). Where S stays
above 1/2 until the model's fold, the end is the fold (the 2-cycle's own end, an upper bound).

**The rate, estimated locally.** At each reported time t_k of the model with a live cycle
(|delta| > amplitude floor) and t_k >= t_min, an ensemble of ``members`` points
``theta = c(t_k) + delta(t_k) + 1e-3 |delta| xi`` (xi standard normal) is iterated with the GD map
``theta <- theta + eta sum_i sigma(-z_i^T theta) z_i`` (eqs. (3)-(5) of arXiv:2602.08302) for a window
of ``W_k = min(max_window, max(20, window_fraction t_k))`` steps. A member has *escaped* at the first
step its alternation amplitude ``max_j |theta_j(s) - 2 theta_j(s+1) + theta_j(s+2)| / 4`` falls below
``escape_fraction`` times the model's amplitude |delta(t_k)| (three decades at the registered 1e-3: far
below the cycle, the linear decay of the non-oscillating path has taken over). Escapes in the first
``B_k = W_k // 5`` steps are the ensemble's relaxation from the model's state onto GD's attractor and are
discarded (burn-in); with n_B members left after it and n_W at the window's end,

    kappa_k = log(n_B / n_W) / (W_k - B_k)        (n_W = 0: log(2 n_B); n_B = 0: log(2 members) / B_k),

the maximum-likelihood rate of an exponential survival. kappa is held constant on [t_k, t_{k+1}).

Approximations (stated, not fitted):

* **the model's state stands in for GD's**: the ensemble starts on the model's (unstable) 2-cycle, not on
  GD's own orbit, which the two-iterate model does not carry; the burn-in lets it relax to the attractor
  nearby. Where GD has already settled on a different attractor (another 2-cycle branch, period 4) the
  rate is that of the wrong set.
* **local in time**: the window is at most half the elapsed time, so c drifts by a fraction of its own
  scale over it; the drift is kept (the window runs the full GD map), not frozen. Below t_min = 10 steps
  no rate is estimated (the two-step averaging is not slow there).
* **escape is final**: an escaped orbit is not re-injected into the chaotic set; a re-injection (seen on
  GD runs as a cycle that reappears) makes the true end later.
* **finite ensemble**: a rate below ~1 / (members W_k) reads as 0; the estimate carries the binomial
  sampling error of ``members`` members (the seed is fixed, so the prediction is deterministic).

This is not a run of GD from w = 0: every window starts from the reduced model's state at t_k and covers
at most half of t_k (theory may evaluate the GD map as a local model; the prediction's horizon is covered
by the reduced model of :mod:`theory.large_step`). The rule and its parameters were fixed on the
development sets A1-A15, B1-B15 of docs/stability.md before the held-out evaluation
(docs/stability-chaotic-prereg.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from theory.large_step import CyclePrediction, predict_cycle
from theory.validation import dataset, positive_scalar

__all__ = ["EscapePrediction", "escape_rate", "escape_steps", "predict_escape", "survival_quantile"]

_MIN_WINDOW = 20  # steps: below this the burn-in (W // 5) is under 4 steps
_INIT_NOISE = 1e-3  # relative size of the ensemble's initial spread around c + delta


@dataclass(frozen=True)
class EscapePrediction:
    """The hazard model's end of a chaotic 2-cycle (t counts GD steps from w = 0, b = 0).

    Attributes:
        t: (K,) model times at which the escape rate was estimated.
        window: (K,) window lengths W_k (steps).  hazard: (K,) escape rate kappa_k per step.
        survival: (K,) S(t_k) = exp(-int_{t_0}^{t_k} kappa).
        median: t at which S = 1/2, or the fold end if S stays above 1/2 until it.
        early: t at which S = 0.9 (or the fold end).  late: t at which S = 0.1 (or the fold end).
        escaped: S reaches 1/2 before the fold end (False: the median is the fold end).
        fold_end: the reduced model's end of the cycle (:attr:`CyclePrediction.end`).
        members: ensemble size.  escape_fraction: escape threshold relative to |delta(t_k)|.
        ensemble_steps: GD-map evaluations spent (members times the sum of the windows).
    """

    t: np.ndarray
    window: np.ndarray
    hazard: np.ndarray
    survival: np.ndarray
    median: float
    early: float
    late: float
    escaped: bool
    fold_end: float
    members: int
    escape_fraction: float
    ensemble_steps: int


def escape_steps(Z, eta, c, delta, *, members, window, escape_fraction, seed) -> np.ndarray:
    """Steps at which an ensemble started on the cycle c + delta stops alternating under the GD map.

    Each member starts at ``c + delta + 1e-3 |delta| xi`` (xi standard normal from
    ``numpy.random.default_rng(seed)``) and follows ``theta <- theta + eta sum_i sigma(-z_i^T theta) z_i``.
    Its escape step is the first s (0-based) with ``max_j |theta_j(s) - 2 theta_j(s+1) + theta_j(s+2)| / 4``
    below ``escape_fraction |delta|``; ``window + 1`` if that never happens within ``window`` steps.

    Args:
        Z: (N, p) augmented features z_i = y_i (x_i, 1).  eta: step size of the summed loss.
        c, delta: (p,) the model's centre and cycle vector.  members: ensemble size.
        window: steps.  escape_fraction: threshold relative to |delta|.  seed: the ensemble's seed.

    Returns:
        (members,) int array of escape steps in [0, window + 1].
    """
    rng = np.random.default_rng(seed)
    floor = escape_fraction * float(np.linalg.norm(delta))
    theta = c + delta + _INIT_NOISE * float(np.linalg.norm(delta)) * rng.standard_normal((members, c.size))
    out = np.full(members, window + 1)
    prev2, prev1 = None, theta
    for s in range(1, window + 2):
        theta = theta + eta * (expit(-(theta @ Z.T)) @ Z)  # expit: no overflow at large margins
        if prev2 is not None:
            amp = np.abs(prev2 - 2.0 * prev1 + theta).max(axis=1) / 4.0
            new = (out > window) & (amp < floor)
            out[new] = s - 2
        prev2, prev1 = prev1, theta
    return out


def escape_rate(esc, members, window, burn) -> float:
    """Maximum-likelihood escape rate per step from an ensemble's escape steps (module docstring).

    kappa = log(n_B / n_W) / (window - burn) with n_B members left after the burn-in and n_W at the
    window's end: the rate of an exponential survival n_W / n_B = exp(-kappa (window - burn)). Edge
    cases: n_W = 0 reads as half a member left (log(2 n_B)); n_B = 0 (all gone within the burn-in) as
    log(2 members) / burn.

    >>> escape_rate(np.array([5, 60, 61, 200, 201]), 5, 200, 40)   # 4 after the burn-in, 1 at the end
    0.008664339756999316

    Args:
        esc: (members,) escape steps (:func:`escape_steps`; > window: never escaped).
        members: ensemble size.  window: steps.  burn: burn-in steps (0 < burn < window).
    """
    if not (0 < burn < window):
        raise ValueError(f"need 0 < `burn` < `window`, got {burn}, {window}")
    n_b = int(np.sum(esc > burn))
    n_w = int(np.sum(esc > window))
    if n_b == 0:  # all gone within the burn-in: faster than the burn-in resolves
        return math.log(2.0 * members) / burn
    return math.log(n_b / n_w) / (window - burn) if n_w else math.log(2.0 * n_b) / (window - burn)


def survival_quantile(t, hazard, level, fallback) -> float:
    """First t at which S(t) = exp(-int kappa) falls to ``level``; kappa piecewise constant on [t_k, t_{k+1}).

    The last rate holds up to ``fallback``; if S is still above ``level`` there, returns ``fallback``.

    >>> survival_quantile(np.array([0.0, 10.0]), np.array([0.0, math.log(2) / 5]), 0.5, 100.0)
    15.0
    """
    if not (0.0 < level < 1.0):
        raise ValueError(f"`level` must be in (0, 1), got {level}")
    target = -math.log(level)
    edges = np.r_[t, max(float(fallback), float(t[-1]))] if len(t) else np.array([fallback])
    cum = 0.0
    for k in range(len(t)):
        step = hazard[k] * (edges[k + 1] - edges[k])
        if hazard[k] > 0 and cum + step >= target:
            return float(edges[k] + (target - cum) / hazard[k])
        cum += step
    return float(fallback)


def predict_escape(X, y, *, eta, prediction: CyclePrediction | None = None, members=64, max_window=250,
                   window_fraction=0.5, escape_fraction=1e-3, t_min=10.0, seed=0, t_max=2e5,
                   max_evaluations=20_000) -> EscapePrediction:
    """Median escape time of GD from the chaotic 2-cycle (module docstring), and its 10-90% interval.

    Args:
        X: (N, d) inputs.  y: (N,) labels in {-1, +1}.  eta: step size of the summed loss (eq. (3)).
        prediction: the reduced model's :class:`CyclePrediction` for (X, y, eta); computed with
            ``predict_cycle(t_max=t_max, max_evaluations=max_evaluations)`` when None.
        members: ensemble size.  max_window, window_fraction: W_k = min(max_window, max(20,
            window_fraction t_k)).  escape_fraction: escape threshold relative to |delta(t_k)|.
        t_min: first model time at which a rate is estimated.  seed: base seed (slice k uses seed + k).

    Returns:
        :class:`EscapePrediction`. With no cycle (end 0) or an end beyond the horizon the quantiles are
        the model's end (or t_max).

    Raises:
        ValueError: on malformed data or non-positive parameters.
    """
    X, y = dataset(X, y)
    eta = positive_scalar("eta", eta)
    escape_fraction = positive_scalar("escape_fraction", escape_fraction)
    window_fraction = positive_scalar("window_fraction", window_fraction)
    if int(members) < 2 or int(max_window) < _MIN_WINDOW:
        raise ValueError(f"need `members` >= 2 and `max_window` >= {_MIN_WINDOW}, got {members}, {max_window}")
    pr = prediction if prediction is not None else predict_cycle(X, y, eta=eta, t_max=t_max,
                                                                  max_evaluations=max_evaluations)
    Z = y[:, None] * np.hstack([X, np.ones((X.shape[0], 1))])
    fold = float(pr.end) if pr.end is not None else float(pr.t_max)
    live = np.flatnonzero((pr.amplitude > pr.amplitude_floor) & (pr.t >= t_min))
    ts, wins, rates = [], [], []
    for k in live:
        w = int(min(max_window, max(_MIN_WINDOW, window_fraction * pr.t[k])))
        esc = escape_steps(Z, pr.eta, pr.center[k], pr.delta[k], members=int(members), window=w,
                           escape_fraction=escape_fraction, seed=seed + int(k))
        ts.append(float(pr.t[k]))
        wins.append(w)
        rates.append(escape_rate(esc, int(members), w, w // 5))
    t, hazard = np.array(ts), np.array(rates)
    cum = np.r_[0.0, np.cumsum(hazard[:-1] * np.diff(t))] if t.size else np.zeros(0)
    median = survival_quantile(t, hazard, 0.5, fold)
    return EscapePrediction(
        t=t, window=np.array(wins, dtype=int), hazard=hazard, survival=np.exp(-cum), median=median,
        early=survival_quantile(t, hazard, 0.9, fold), late=survival_quantile(t, hazard, 0.1, fold),
        escaped=bool(median < fold), fold_end=fold, members=int(members), escape_fraction=float(escape_fraction),
        ensemble_steps=int(members) * int(np.sum(wins)),
    )

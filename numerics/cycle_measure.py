"""Measured end of the period-2 cycle, and accuracies at both parities, from one float64 GD run.

GD of eqs. (3)-(5) of arXiv:2602.08302 (:func:`numerics.engine.run_gd`, from w = 0, b = 0) is read
at t, t+1, t+2, t+3 for log-spaced t. A component of theta = (w, b) oscillates at t when its first
differences alternate in sign in *both* triples (t, t+1, t+2) and (t+1, t+2, t+3) with amplitude
|v(t) - 2 v(t+1) + v(t+2)| / 4 above ``min_amplitude`` (a turning point of a smooth path alternates
in one triple only); the rule of :mod:`numerics.stability_measure` and of `lingrok stability`.
The cycle *ends* in (last oscillating sample, next sample]. t counts GD steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from numerics.engine import run_gd
from numerics.schedule import merge_schedules
from numerics.stability_measure import TripleSample, detect_period2, log_spaced_times

__all__ = ["CycleEnd", "measure_cycle_end"]

_DEFAULT_MIN_AMPLITUDE = 1e-9  # numerics.stability_measure's threshold


@dataclass(frozen=True)
class CycleEnd:
    """The measured end of the period-2 cycle.

    Attributes:
        bracket: (lo, hi): the cycle oscillates at sampled step lo and not at any sample from hi on;
            (0, t_first) if no sample oscillates; (t_last, -1) if the last sample still oscillates.
        detected: some sample oscillates.  lasts: the last sample still oscillates.
        t: (K,) sampled steps.  oscillating: (K,) bool.
        train_accuracy: (K, 2) accuracy on the training set at t and t + 1 (margin > 0 counts).
        steps: GD steps run.  eta: step size.  wall_s: GD wall time.
    """

    bracket: tuple
    detected: bool
    lasts: bool
    t: np.ndarray
    oscillating: np.ndarray
    train_accuracy: np.ndarray
    steps: int
    eta: float
    wall_s: float


def measure_cycle_end(X, y, *, eta, steps, per_decade=20, reduction="sum",
                      min_amplitude=_DEFAULT_MIN_AMPLITUDE) -> CycleEnd:
    """Run float64 GD for ``steps`` steps and bracket the end of its period-2 cycle.

    Args:
        X: (N, d) inputs.  y: (N,) labels in {-1, +1}.  eta: step size.
        steps: GD steps (>= 10).  per_decade: sampled t per decade (the bracket's ratio is
            10^(1/per_decade)).  reduction: "sum" (eq. (3)) or "mean".
        min_amplitude: oscillation threshold (units of w and b).

    Returns:
        :class:`CycleEnd`.

    Raises:
        ValueError: steps < 10 or per_decade < 1.  FloatingPointError: GD diverged.
    """
    if steps < 10 or per_decade < 1:
        raise ValueError(f"need `steps` >= 10 and `per_decade` >= 1, got {steps}, {per_decade}")
    steps = int(steps)
    n_osc = int(per_decade * math.log10(steps)) + 1
    osc_t = np.unique(np.r_[log_spaced_times(1, steps, n_osc), steps])
    ck = merge_schedules(steps + 3, *(osc_t + k for k in range(4)))
    traj = run_gd(X, y, eta=eta, steps=steps + 3, checkpoints=ck, reduction=reduction)
    strong = []
    for shift in (0, 1):
        pos = np.searchsorted(traj.t, np.stack([osc_t + shift + k for k in range(3)], axis=1))
        o = detect_period2(TripleSample(osc_t, traj.w[pos], traj.b[pos], "float64", float(eta), reduction),
                           min_amplitude=min_amplitude)
        strong.append(o.alternating & (o.amplitude > o.min_amplitude))
    osc = (strong[0] & strong[1]).any(axis=1)
    idx = np.flatnonzero(osc)
    if idx.size == 0:
        bracket = (0, int(osc_t[0]))
    elif idx[-1] == osc_t.size - 1:
        bracket = (int(osc_t[-1]), -1)
    else:
        bracket = (int(osc_t[idx[-1]]), int(osc_t[idx[-1] + 1]))
    Xa, ya = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    pos = np.searchsorted(traj.t, np.stack([osc_t, osc_t + 1], axis=1))
    margins = ya[None, None, :] * (np.einsum("kpd,nd->kpn", traj.w[pos], Xa) + traj.b[pos][:, :, None])
    acc = np.mean(margins > 0, axis=2)
    return CycleEnd(bracket, bool(idx.size), bool(idx.size and idx[-1] == osc_t.size - 1), osc_t, osc, acc,
                    steps, float(eta), float(traj.wall_s))

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
from numerics.schedule import log_spaced_times, merge_schedules
from numerics.stability_measure import TripleSample, detect_period2

__all__ = ["CycleEnd", "Oscillation", "measure_cycle_end", "oscillation_samples", "read_oscillation"]

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


@dataclass(frozen=True)
class Oscillation:
    """The oscillation rule (module docstring) applied at sampled steps of a recorded run.

    Attributes:
        t: (K,) sampled steps.  confirmed: (K, p) a component of (w, b) alternates in both triples.
        amplitude: (K, p) its amplitude |v(t) - 2 v(t+1) + v(t+2)| / 4 where confirmed, 0 elsewhere.
        min_amplitude: the threshold.  detected: some sample oscillates.  lasts: the last one does.
        bracket: (lo, hi) as :attr:`CycleEnd.bracket`.
    """

    t: np.ndarray
    confirmed: np.ndarray
    amplitude: np.ndarray
    min_amplitude: float
    detected: bool
    lasts: bool
    bracket: tuple

    @property
    def oscillating(self) -> np.ndarray:
        return self.confirmed.any(axis=1)


def oscillation_samples(steps: int, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """(sampled steps t: n_samples log-spaced in [1, steps] and steps itself, the checkpoints t .. t + 3 they need)."""
    osc_t = np.unique(np.r_[log_spaced_times(1, steps, n_samples), steps])
    return osc_t, merge_schedules(steps + 3, *(osc_t + k for k in range(4)))


def read_oscillation(t, w, b, osc_t, *, eta, reduction="sum", min_amplitude=_DEFAULT_MIN_AMPLITUDE) -> Oscillation:
    """The oscillation rule at the sampled steps ``osc_t`` of a run recorded at (t, w, b) (which holds osc_t .. osc_t + 3)."""
    osc = []
    for shift in (0, 1):
        pos = np.searchsorted(t, np.stack([osc_t + shift + k for k in range(3)], axis=1))
        osc.append(detect_period2(TripleSample(osc_t, w[pos], b[pos], "float64", float(eta), reduction),
                                  min_amplitude=min_amplitude))
    strong = [o.alternating & (o.amplitude > o.min_amplitude) for o in osc]
    confirmed = strong[0] & strong[1]  # (K, p): the same component alternates in both triples
    idx = np.flatnonzero(confirmed.any(axis=1))
    if idx.size == 0:
        bracket = (0, int(osc_t[0]))
    elif idx[-1] == osc_t.size - 1:
        bracket = (int(osc_t[-1]), -1)
    else:
        bracket = (int(osc_t[idx[-1]]), int(osc_t[idx[-1] + 1]))
    return Oscillation(t=osc_t, confirmed=confirmed, amplitude=np.where(confirmed, osc[0].amplitude, 0.0),
                       min_amplitude=float(osc[0].min_amplitude), detected=bool(idx.size),
                       lasts=bool(idx.size and idx[-1] == osc_t.size - 1), bracket=bracket)


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
    osc_t, ck = oscillation_samples(steps, int(per_decade * math.log10(steps)) + 1)
    traj = run_gd(X, y, eta=eta, steps=steps + 3, checkpoints=ck, reduction=reduction)
    o = read_oscillation(traj.t, traj.w, traj.b, osc_t, eta=eta, reduction=reduction, min_amplitude=min_amplitude)
    Xa, ya = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    pos = np.searchsorted(traj.t, np.stack([osc_t, osc_t + 1], axis=1))
    margins = ya[None, None, :] * (np.einsum("kpd,nd->kpn", traj.w[pos], Xa) + traj.b[pos][:, :, None])
    acc = np.mean(margins > 0, axis=2)
    return CycleEnd(o.bracket, o.detected, o.lasts, osc_t, o.oscillating, acc, steps, float(eta), float(traj.wall_s))

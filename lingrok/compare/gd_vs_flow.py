"""eq. (11) against GD's bias, with its time variable made correct, and the eta scan (GD vs flow vs eq. (11)).

The distances between GD and the gradient flow are measured by :mod:`numerics.flow_compare`; this
module pairs them with the closed form (:func:`theory.closed_form.bias_closed_form`).

* **Eq. (11), time made correct** (derivation ``thm4.5-gd-time``, theory/derivations_bias.py):
  with t in GD steps, eq. (11) holds verbatim when A_S^+- are built from the *flow-normalised*
  residual ``exp(-z_s^T theta_tilde_F) = alpha_s`` (Theorem 4.2 at eta = 1); the paper's literal
  reading with Theorem 4.2's ``eta exp(-z_s^T theta_tilde) = alpha_s`` makes g(t) 1/eta times
  larger. Started at (t0, b0 = b_GD(t0)), eq. (11) is compared with b_GD(t) (both parities) over
  a window of flow time; it *matches* when every checkpoint of the window has
  ``|b_GD - b_11| <= atol + rtol |b_11|``. The same comparison with the flow in place of GD
  gives eq. (11)'s own floor (exponential loss and Assumption 4.4 against the logistic flow).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from numerics.flow_compare import GDFlowComparison, flow_time_checkpoints, gd_vs_flow, positive
from theory.closed_form import bias_closed_form
from theory.residual import residual_limit
from theory.stability import sharpness_at_init

__all__ = [
    "EQ11_ATOL",
    "EQ11_RTOL",
    "Eq11Comparison",
    "Eq11Constants",
    "EtaScan",
    "ScanRow",
    "eq11_constants",
    "eq11_vs_bias",
    "eta_scan",
]

# Default match tolerance of eq. (11) against GD, |b_GD - b_11| <= atol + rtol |b_11| (logit units):
# rtol = 1 asks eq. (11) to get b right to within its own size, which tells b_inf apart from the
# balanced phase-1 steady state b = 0 (eq. (14)); atol keeps the criterion meaningful when b_inf = 0.
EQ11_ATOL = 1e-3
EQ11_RTOL = 1.0


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Eq11Constants:
    """Constants of eq. (11) of arXiv:2602.08302 in the flow normalisation (time made correct).

    Attributes:
        A_plus, A_minus: A_S^+- built from theta_tilde of Theorem 4.2 at eta = 1, i.e.
            exp(-z_s^T theta_tilde_F) = alpha_s; then eq. (11) holds with t in GD steps (or in flow
            time: only t / t0 enters). The paper's literal reading uses A_S^+- / eta.
        rate: 2 sqrt(A_plus A_minus), per unit of log t (= ||theta_hat||^2 when b_hat = 0).
        b_inf: -log delta = (1/2) log(A_plus / A_minus).
        b_hat: the max-margin bias of eq. (7) (Assumption 3.1 asks for 0).
        stationarity: relative stationarity of the residual solver (its accuracy).
        late_onset_tau: max_s alpha_s, the flow time from which every support vector's margin on the
            asymptote, log(tau / alpha_s), is positive. Eq. (11) is derived for the exponential loss;
            the logistic loss's curvature differs by the factor 1 / (1 + alpha_s / tau)^2, so eq. (11)
            describes the logistic flow only for tau >> late_onset_tau (t >> late_onset_tau / eta steps).
    """

    A_plus: float
    A_minus: float
    rate: float
    b_inf: float
    b_hat: float
    stationarity: float
    late_onset_tau: float


@dataclass(frozen=True)
class Eq11Comparison:
    """Eq. (11) started at (t0, b(t0)) against a bias trajectory read at t and t + 1.

    Attributes:
        eta: GD step size of the trajectory (sets tau = eta t and the literal reading).
        t: (K,) checkpoints of the window, GD steps; t[0] = t0.
        tau_window: (tau_start, tau_end) requested window of flow time.
        b0: the trajectory's b at t0 (parity t0), the initial value given to eq. (11).
        b_pair: (K, 2) the trajectory's b at t and t + 1.
        b_eq11: (K,) eq. (11) with the corrected time (flow-normalised A_S^+-).
        b_eq11_literal: (K,) eq. (11) read literally in GD steps (A_S^+- / eta: g 1/eta times larger).
        error, error_literal: (K,) max over the parities of |b - b_eq11| (resp. literal).
        max_error, max_error_literal: their maxima over the window (logit units).
        scaled_error: max over the window of error / (atol + rtol |b_eq11|); matches iff <= 1.
        atol, rtol: the tolerance.  matches: scaled_error <= 1.
        constants: the :class:`Eq11Constants` used.
    """

    eta: float
    t: np.ndarray
    tau_window: tuple
    b0: float
    b_pair: np.ndarray
    b_eq11: np.ndarray
    b_eq11_literal: np.ndarray
    error: np.ndarray
    error_literal: np.ndarray
    max_error: float
    max_error_literal: float
    scaled_error: float
    atol: float
    rtol: float
    matches: bool
    constants: Eq11Constants


@dataclass(frozen=True)
class ScanRow:
    """One step size of :func:`eta_scan`.

    Attributes:
        eta: step size.  steps: GD steps run (ceil(tau_end / eta)); 0 if skipped.
        eta_sharpness0: eta lambda_max(H(0)) (GD is linearly stable everywhere iff <= 2).
        skipped: None, or why the step size was not run.
        comparison: :class:`GDFlowComparison` over the scan's flow-time grid (None if skipped).
        eq11_gd, eq11_flow: :class:`Eq11Comparison` of GD and of the flow (None if skipped or
            if eq. (11) is not available for the data).
    """

    eta: float
    steps: int
    eta_sharpness0: float
    skipped: str | None
    comparison: GDFlowComparison | None
    eq11_gd: Eq11Comparison | None
    eq11_flow: Eq11Comparison | None


@dataclass(frozen=True)
class EtaScan:
    """GD against the flow and against eq. (11) for several step sizes over one flow-time horizon.

    Attributes:
        tau_end: common flow-time horizon (each eta runs ceil(tau_end / eta) GD steps).
        tau_window: (tau_start, tau_end) window of the eq. (11) comparison.
        max_steps: step sizes needing more GD steps are skipped.
        rows: one :class:`ScanRow` per step size, in decreasing eta.
        largest_matching_eta: largest eta whose GD matches eq. (11) to the tolerance; None if none.
        matching_below: every scanned eta below ``largest_matching_eta`` matches too.
        eq11_unavailable: None, or why eq. (11) could not be evaluated (e.g. non-separable data).
        constants: the :class:`Eq11Constants` used (None when unavailable).
    """

    tau_end: float
    tau_window: tuple
    max_steps: int
    rows: tuple
    largest_matching_eta: float | None
    matching_below: bool
    eq11_unavailable: str | None
    constants: Eq11Constants | None


# --- helpers -----------------------------------------------------------------------------------


# --- eq. (11) --------------------------------------------------------------------------------------


def eq11_constants(X, y) -> Eq11Constants:
    """A_S^+-, rate and b_inf of Theorem 4.5 in the flow normalisation (Theorem 4.2 at eta = 1).

    Raises:
        theory.geometry.NotSeparableError: the data are not linearly separable.
        ValueError: a class has no support vector (A_S^+- = 0: eq. (11) is undefined).
    """
    res = residual_limit(X, y, 1.0)
    if not (res.A_plus > 0 and res.A_minus > 0 and math.isfinite(res.A_plus) and math.isfinite(res.A_minus)):
        raise ValueError("eq. (11) needs support vectors in both classes (A_S^+ and A_S^- positive)")
    return Eq11Constants(A_plus=res.A_plus, A_minus=res.A_minus, rate=res.rate, b_inf=res.b_inf,
                         b_hat=float(res.b_hat), stationarity=res.stationarity,
                         late_onset_tau=float(np.max(res.alphas[res.support])))


def eq11_vs_bias(t, b_pair, *, eta, constants: Eq11Constants, tau_window, atol=EQ11_ATOL,
                 rtol=EQ11_RTOL) -> Eq11Comparison:
    """Eq. (11) of arXiv:2602.08302 with the corrected time against a bias trajectory.

    The window is the checkpoints with tau_start <= eta t <= tau_end; t0 is its first
    checkpoint and b0 the trajectory's b(t0). Corrected: g = rate log(t / t0) with the
    flow-normalised rate; literal: g = (rate / eta) log(t / t0).

    Args:
        t: (K,) GD steps.  b_pair: (K, 2) b at t and t + 1 (pass the same column twice for a flow).
        eta: step size (tau = eta t).  constants: :func:`eq11_constants` of the data.
        tau_window: (tau_start, tau_end) in flow time.
        atol, rtol: match tolerance |b - b_11| <= atol + rtol |b_11| (logit units).

    Returns:
        :class:`Eq11Comparison`.

    Raises:
        ValueError: no checkpoint in the window, or malformed input.
    """
    eta = positive("eta", eta)
    atol, rtol = float(atol), float(rtol)
    if not (atol >= 0 and rtol >= 0 and atol + rtol > 0 and math.isfinite(atol + rtol)):
        raise ValueError(f"`atol` and `rtol` must be non-negative, finite and not both 0, got {atol}, {rtol}")
    t = np.asarray(t, dtype=np.int64)
    b_pair = np.asarray(b_pair, dtype=np.float64)
    lo, hi = (float(v) for v in tau_window)
    tau = eta * t.astype(np.float64)
    sel = (tau >= lo * (1 - 1e-12)) & (tau <= hi * (1 + 1e-12))
    if not sel.any():
        raise ValueError(f"no checkpoint lies in the flow-time window [{lo:g}, {hi:g}] (eta = {eta:g}); "
                         "widen `tau_window` or run longer")
    tw, bw = t[sel], b_pair[sel]
    b0 = float(bw[0, 0])
    c = constants
    corrected = bias_closed_form(tw.astype(np.float64), b0, float(tw[0]), c.A_plus, c.A_minus).b
    literal = bias_closed_form(tw.astype(np.float64), b0, float(tw[0]), c.A_plus / eta, c.A_minus / eta).b
    err = np.max(np.abs(bw - corrected[:, None]), axis=1)
    err_lit = np.max(np.abs(bw - literal[:, None]), axis=1)
    scaled = float(np.max(err / (atol + rtol * np.abs(corrected))))
    return Eq11Comparison(
        eta=eta, t=tw, tau_window=(lo, hi), b0=b0, b_pair=bw, b_eq11=corrected, b_eq11_literal=literal,
        error=err, error_literal=err_lit, max_error=float(err.max()), max_error_literal=float(err_lit.max()),
        scaled_error=scaled, atol=atol, rtol=rtol, matches=scaled <= 1.0, constants=c,
    )


# --- the scan ----------------------------------------------------------------------------------------


def eta_scan(X, y, etas, *, tau_end, max_steps, tau_window=None, eval_set=None, reduction="sum",
             atol=EQ11_ATOL, rtol=EQ11_RTOL, per_decade=10, tau_start=None, progress=None) -> EtaScan:
    """GD vs flow and GD vs eq. (11) (corrected time) for several step sizes, one flow-time horizon.

    Each eta runs ceil(tau_end / eta) float64 GD steps from w = 0, b = 0 and is read on the flow
    time grid ``flow_time_checkpoints(eta, tau_start, tau_end, per_decade)``; step sizes needing
    more than ``max_steps`` steps are skipped (reported). Eq. (11) is compared over ``tau_window``
    (default: the last decade, (tau_end / 10, tau_end)).

    Args:
        X, y: training data.  etas: step sizes (> 0).
        tau_end: flow-time horizon (> 0).  max_steps: GD step budget per step size.
        tau_window: (tau_start, tau_end) of the eq. (11) comparison.
        eval_set, reduction: as :func:`compare_with_flow`.
        atol, rtol: eq. (11) match tolerance (:func:`eq11_vs_bias`).
        per_decade: checkpoints per decade of tau.  tau_start: first checkpoint's flow time
            (default min(1, tau_end / 1e3)).
        progress: optional callable ``f(message)`` told about each step size before it runs.

    Returns:
        :class:`EtaScan` (rows in decreasing eta).

    Raises:
        ValueError: on malformed input.
    """
    etas = sorted({positive("etas", e) for e in etas}, reverse=True)
    if not etas:
        raise ValueError("`etas` must hold at least one step size")
    tau_end = positive("tau_end", tau_end)
    max_steps = int(max_steps)
    if max_steps < 1:
        raise ValueError(f"`max_steps` must be >= 1, got {max_steps}")
    tau_start = min(1.0, tau_end / 1e3) if tau_start is None else positive("tau_start", tau_start)
    window = (tau_end / 10.0, tau_end) if tau_window is None else tuple(float(v) for v in tau_window)
    try:
        constants, unavailable = eq11_constants(X, y), None
    except ValueError as exc:  # NotSeparableError is a ValueError
        constants, unavailable = None, f"eq. (11) is not available for these data: {exc}"
    rows = []
    for eta in etas:
        sharp = sharpness_at_init(X, y, eta=eta, reduction=reduction).eta_lambda
        need = tau_end / eta * (1.0 - 1e-12)  # tau_end / eta may round just above an integer
        if not need <= max_steps:  # also inf (tau_end / eta beyond float64): skipped, never converted to int
            rows.append(ScanRow(eta, 0, sharp, f"needs {need:.3g} GD steps to reach tau = {tau_end:g}, "
                                f"more than the budget of {max_steps:,} (raise --scan-max-steps)", None, None, None))
            continue
        steps = int(math.ceil(need))
        if steps > max_steps:
            rows.append(ScanRow(eta, 0, sharp, f"needs {steps:,} GD steps to reach tau = {tau_end:g}, "
                                f"more than the budget of {max_steps:,} (raise --scan-max-steps)", None, None, None))
            continue
        if progress is not None:
            progress(f"eta = {eta:g}: {steps:,} GD steps to tau = {tau_end:g}")
        cp = flow_time_checkpoints(eta, tau_start, tau_end, per_decade)
        cmp_ = gd_vs_flow(X, y, eta=eta, checkpoints=cp, reduction=reduction, eval_set=eval_set)
        e_gd = e_fl = None
        if constants is not None:
            e_gd = eq11_vs_bias(cmp_.t, cmp_.gd_b_pair, eta=eta, constants=constants, tau_window=window,
                                atol=atol, rtol=rtol)
            e_fl = eq11_vs_bias(cmp_.t, cmp_.flow_b_pair, eta=eta, constants=constants, tau_window=window,
                                atol=atol, rtol=rtol)
        rows.append(ScanRow(eta, steps, sharp, None, cmp_, e_gd, e_fl))
    run = [r for r in rows if r.eq11_gd is not None]
    matching = [r.eta for r in run if r.eq11_gd.matches]
    largest = max(matching) if matching else None
    below = largest is not None and all(r.eq11_gd.matches for r in run if r.eta <= largest)
    return EtaScan(tau_end=tau_end, tau_window=window, max_steps=max_steps, rows=tuple(rows),
                   largest_matching_eta=largest, matching_below=below, eq11_unavailable=unavailable,
                   constants=constants)

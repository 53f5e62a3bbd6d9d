"""Derivations of the bias dynamics: Theorem 4.5, its GD-step form, Soudry's bias limit, eq. (14).

Each builder returns a :class:`theory.derivation.Derivation` of arXiv:2602.08302 (cached).
``closed_form_evaluator()`` hands back a NumPy evaluator of eq. (11), lambdified from the
symbolic closed form that ``thm4_5()`` verifies.

Conventions: ``t`` is gradient-flow time in :func:`thm4_5` (no learning rate); ``k`` counts GD
steps and ``tau = eta * k`` is flow time in :func:`thm4_5_gd_time`. ``A_+`` and ``A_-`` are the
support-vector sums of Theorem 4.5, ``delta = sqrt(A_-/A_+)``.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import expm1

from theory.derivation import Assumption, Derivation, Step, eq, gt

# --- shared symbols ----------------------------------------------------------------------------
t, t0, tau, tau0, k, k0, eta = sp.symbols("t t_0 tau tau_0 k k_0 eta", positive=True)
A_p, A_m = sp.symbols("A_+ A_-", positive=True)
b, b0 = sp.symbols("b b_0", real=True)
u = sp.Symbol("u", positive=True)
r = sp.Symbol("r", positive=True)  # r = exp(-g), the late-time small parameter
delta_sym = sp.Symbol("delta", positive=True)
C_sym = sp.Symbol("C", real=True)
bfun = sp.Function("b")
L_sym = sp.Symbol("L_S")

delta = sp.sqrt(A_m / A_p)
rate = 2 * sp.sqrt(A_p * A_m)
g = rate * sp.log(t / t0)
b_inf = -sp.log(delta)
K = 1 + delta * sp.exp(b0)
M = 1 - delta * sp.exp(b0)


#: Display abbreviations (rendering only): delta and g(t) as in Theorem 4.5.
_NOTATION = ((sp.exp(g), sp.exp(sp.Function("g")(t))), (sp.exp(-g), sp.exp(-sp.Function("g")(t))),
             (g, sp.Function("g")(t)), (delta, delta_sym))


def rhs10(bb, A_plus=A_p, A_minus=A_m, time=t):
    """Right-hand side of eq. (10): (A_+ e^{-b} - A_- e^{b}) / t."""
    return (A_plus * sp.exp(-bb) - A_minus * sp.exp(bb)) / time


#: Eq. (11) of arXiv:2602.08302 as a sympy expression in (t, t_0, b_0, A_+, A_-).
b_closed = sp.log((K * sp.exp(g) - M) / (K * sp.exp(g) + M)) - sp.log(delta)
#: The same, rearranged for floating point: no overflow for large g, no cancellation near t_0
#: (``1 - e^{-g}`` as ``-expm1(-g)``), ``delta e^{b_0}`` as ``exp(b_0 - b_inf)``. Verified equal to
#: eq. (11) as a step of :func:`thm4_5`.
_one_minus_r = -expm1(-g)
_x0 = sp.exp(b0 - b_inf)
b_stable = (b_inf + sp.log(_one_minus_r + _x0 * (2 - _one_minus_r))
            - sp.log((2 - _one_minus_r) + _x0 * _one_minus_r))


def _sv_instance():
    """Two support vectors per class in d = 2 with symbolic coordinates.

    Returns (labels, x, w_hat, w_tilde, constraint) where ``constraint`` solves
    $y_s \\hat w^T x_s = 1$ for the second coordinate of every x_s.
    """
    labels = (1, 1, -1, -1)
    h1, h2 = sp.symbols("\\hat{w}_1 \\hat{w}_2", positive=True)
    q1, q2 = sp.symbols("\\tilde{w}_1 \\tilde{w}_2", real=True)
    xs = [sp.symbols(f"x_{{{i}1}} x_{{{i}2}}", real=True) for i in range(1, 5)]
    constraint = tuple((x[1], (y - h1 * x[0]) / h2) for y, x in zip(labels, xs))
    return labels, xs, (h1, h2), (q1, q2), constraint


@functools.lru_cache(maxsize=None)
def thm4_5() -> Derivation:
    """Theorem 4.5 of arXiv:2602.08302: eq. (10) from the SV bias gradient and its solution (11).

    Gradient-flow time ``t`` (no learning rate), exponential loss, Assumption 4.4.
    """
    labels, xs, (h1, h2), (q1, q2), constraint = _sv_instance()
    w = (h1 * sp.log(t) + q1, h2 * sp.log(t) + q2)
    loss = sum(sp.exp(-y * (w[0] * x[0] + w[1] * x[1] + b)) for y, x in zip(labels, xs))
    grad = sum(y * sp.exp(-y * (w[0] * x[0] + w[1] * x[1] + b)) for y, x in zip(labels, xs))
    Ap_inst = sum(sp.exp(-(q1 * x[0] + q2 * x[1])) for y, x in zip(labels, xs) if y > 0)
    Am_inst = sum(sp.exp(q1 * x[0] + q2 * x[1]) for y, x in zip(labels, xs) if y < 0)

    E = sp.Symbol("E", positive=True)  # E = exp(g)
    Cc = (1 + delta * sp.exp(b0)) / (1 - delta * sp.exp(b0))
    u_of_E = (Cc * E - 1) / (delta * (Cc * E + 1))
    antideriv = sp.log((1 + delta * u) / (1 - delta * u)) / (2 * A_p * delta)
    b_of_r = sp.log((K - M * r) / (K + M * r)) - sp.log(delta)
    C_late = -2 * M / K
    F = A_p * sp.exp(-b) - A_m * sp.exp(b)

    steps = (
        Step(eq(L_sym, loss),
             "Exponential loss restricted to the support vectors (Assumption 4.4: non-support "
             "vectors contribute nothing) with $w(t) = \\hat w \\log t + \\tilde w$ "
             "(Theorem 4.1 with $\\rho = \\tilde w$); instance: two support vectors per class in "
             "$d = 2$ with symbolic coordinates.", "definition"),
        Step(eq(sp.Derivative(-loss, b), grad),
             "Gradient flow on the bias, $\\dot b = -\\partial L_S/\\partial b$ "
             "(the bias gradient of eqs. (12)-(14)).", "identity", methods=("expand",)),
        Step(eq(grad, rhs10(b, Ap_inst, Am_inst)),
             "Support vectors satisfy $y_s \\hat w^T x_s = 1$ (eq. (7) with $b_s = 0$, "
             "Assumption 3.1), so $e^{-y_s w^T x_s} = e^{-y_s \\hat w^T x_s \\log t}\\, "
             "e^{-y_s \\tilde w^T x_s} = e^{-y_s \\tilde w^T x_s}/t$: this is where the $1/t$ of "
             "eq. (10) comes from. Collecting classes gives $A_S^+$ and $A_S^-$: eq. (10).",
             "identity", methods=("expand",), given=constraint),
        Step(eq(sp.exp(bfun(t)) * rhs10(bfun(t)), (A_p - A_m * sp.exp(bfun(t)) ** 2) / t),
             "Appendix A.1: with $u = e^{b}$, $\\dot u = e^{b} \\dot b$ turns eq. (10) into "
             "$\\dot u = (A_S^+ - A_S^- u^2)/t$.", "identity", methods=("expand",)),
        Step(eq(1 / (A_p - A_m * u ** 2),
                (1 / (1 - delta * u) + 1 / (1 + delta * u)) / (2 * A_p)),
             "Partial fractions, with $\\delta^2 = A_S^-/A_S^+$.", "identity",
             methods=("together",)),
        Step(eq(sp.Derivative(antideriv, u), 1 / (A_p - A_m * u ** 2)),
             "Antiderivative of the separated equation $du/(A_S^+ - A_S^- u^2) = dt/t$ "
             "(for $\\delta u > 1$ the same formula with $\\log|\\cdot|$ has the same "
             "derivative).", "identity", methods=("together",)),
        Step(eq(2 * A_p * delta_sym, rate),
             "The prefactor of $\\log(t/t_0)$ after integrating from $t_0$ is "
             "$2 A_S^+ \\delta = 2\\sqrt{A_S^+ A_S^-}$, the rate in $g(t)$ of Theorem 4.5.",
             "identity", methods=("expand",), given=((delta_sym, delta),)),
        Step(eq((1 + delta * u_of_E) / (1 - delta * u_of_E), Cc * E),
             "Integrating from $t_0$: $(1+\\delta u)/(1-\\delta u) = C e^{g}$ with "
             "$C = (1+\\delta e^{b_0})/(1-\\delta e^{b_0})$ and $E = e^{g}$; the stated $u$ "
             "solves it.", "identity", methods=("together",)),
        Step(eq(u_of_E, (K * E - M) / (delta * (K * E + M))),
             "Multiplying numerator and denominator by $1 - \\delta e^{b_0}$.", "identity",
             methods=("together",)),
        Step(eq(bfun(t), b_closed),
             "$b = \\log u$ with $E = e^{g(t)}$: eq. (11).", "identity",
             methods=("expand_log",),
             given=((bfun(t), sp.log(((K * sp.exp(g) - M) / (K * sp.exp(g) + M)) / delta)),)),
        Step(eq(sp.Derivative(b_closed, t), rhs10(b_closed)),
             "Substituting eq. (11) back into eq. (10) gives an identity (after differentiating, "
             "$e^{g(t)}$ is replaced by a positive symbol $E$; the identity holds for every "
             "$E > 0$).", "identity", methods=("cancel", "together"), given=((sp.exp(g), E),)),
        Step(eq(b_closed.subs(t, t0), b0),
             "Initial condition: $g(t_0) = 0$, so eq. (11) gives $b(t_0) = b_0$.",
             "identity", methods=("expand_log", "simplify")),
        Step(eq(sp.Limit(b_closed, t, sp.oo), b_inf),
             "Late-time limit of eq. (11): $g(t) \\to \\infty$ as $t \\to \\infty$.", "limit",
             methods=("expand_log", "simplify")),
        Step(eq(b_inf, sp.log(A_p / A_m) / 2),
             "$b_\\infty = -\\log\\delta = \\tfrac12 \\log(A_S^+/A_S^-)$.", "identity",
             methods=("expand_log",)),
        Step(eq(b_stable, b_closed),
             "Floating-point form used by `closed_form_evaluator`: with $r = e^{-g}$ and "
             "$x_0 = \\delta e^{b_0} = e^{b_0 - b_\\infty}$, "
             "$b = b_\\infty + \\log\\frac{(1 - r) + x_0(1 + r)}{(1 + r) + x_0(1 - r)}$, "
             "with $1 - r$ as $-\\mathrm{expm1}(-g)$.", "identity", methods=("exp_cancel",),
             given=((expm1(-g), sp.exp(-g) - 1), (sp.exp(g), E))),
        Step(eq(b_closed, b_of_r.subs(r, sp.exp(-g))),
             "Dividing numerator and denominator of eq. (11) by $e^{g}$: "
             "$b = \\log\\frac{K - M r}{K + M r} - \\log\\delta$ with $r = e^{-g}$, "
             "$K = 1 + \\delta e^{b_0}$, $M = 1 - \\delta e^{b_0}$.", "identity",
             methods=("exp_cancel",), given=((sp.exp(g), E),)),
        Step(eq(b_of_r - b_inf, C_late * r + sp.O(r ** 3, (r, 0))),
             "Late-time expansion: $b(t) - b_\\infty = C e^{-g(t)} + O(e^{-3g(t)})$ with "
             "$C = -2(1 - \\delta e^{b_0})/(1 + \\delta e^{b_0})$ (the $e^{-2g}$ term vanishes: "
             "the expansion is odd in $r$).", "series", methods=("cancel", "together")),
        Step(eq(C_late, 2 * sp.tanh((b0 - b_inf) / 2)),
             "The same constant in terms of the initial offset: "
             "$C = 2\\tanh((b_0 - b_\\infty)/2)$, since $\\delta e^{b_0} = e^{b_0 - b_\\infty}$.",
             "identity", methods=("exp_rewrite", "simplify")),
        Step(eq(t * sp.Derivative(bfun(t), t), F.subs(b, bfun(t))),
             "In log time $s = \\log t$, eq. (10) is autonomous: "
             "$db/ds = t\\, db/dt = F(b) = A_S^+ e^{-b} - A_S^- e^{b}$.", "identity",
             methods=("expand",), given=((sp.Derivative(bfun(t), t), rhs10(bfun(t))),)),
        Step(eq(sp.Subs(sp.Derivative(F, b), b, b_inf), -rate),
             "Linearisation around $b_\\infty$: $F'(b_\\infty) = -A_S^+\\delta - A_S^-/\\delta "
             "= -2\\sqrt{A_S^+ A_S^-}$, so perturbations relax as $e^{-2\\sqrt{A_S^+A_S^-}(s-s_0)} "
             "= e^{-g(t)}$: the same rate as the late-time expansion.", "identity",
             methods=("expand", "radsimp")),
        Step(eq(sp.Derivative(C_sym * sp.exp(-g), t) * t, -rate * C_sym * sp.exp(-g)),
             "The late-time term $C e^{-g(t)}$ solves the linearised equation "
             "$d(\\Delta b)/ds = -2\\sqrt{A_S^+ A_S^-}\\, \\Delta b$.", "identity",
             methods=("powsimp", "simplify")),
    )
    return Derivation(
        id="thm4.5",
        title="Bias dynamics under gradient flow (exponential loss)",
        reference="Theorem 4.5, eqs. (10)-(11), Appendix A.1 of arXiv:2602.08302",
        assumptions=(
            Assumption("Assumption 3.1", "max-margin separator with bias passes through the "
                       "origin, so support vectors satisfy $y_s \\hat w^T x_s = 1$."),
            Assumption("Assumption 4.4", "from $t_0$ on, $\\rho(t) = \\tilde w$ exactly, "
                       "non-support vectors contribute nothing, $w(t) \\parallel \\hat w$."),
            Assumption("Loss and time", "exponential loss $\\ell(u) = e^{-u}$; gradient flow, "
                       "$t$ is flow time (no learning rate).", (gt(t, t0), gt(t0, 0))),
            Assumption("Support-vector sums", "both classes have support vectors.",
                       (gt(A_p, 0), gt(A_m, 0))),
        ),
        steps=steps,
        result=steps[9].expr,
        notation=_NOTATION,
    )


@functools.lru_cache(maxsize=None)
def closed_form_evaluator():
    """NumPy evaluator of eq. (11) of arXiv:2602.08302, lambdified from the verified sympy form.

    Formula (a rewriting of eq. (11) checked symbolically here, stable for large ``g``)::

        b(t) = b_inf + log((1 - r) + x (1 + r)) - log((1 + r) + x (1 - r)),
        r = exp(-g),  g = 2 sqrt(A_+ A_-) log(t/t_0),  x = exp(b_0 - b_inf),
        b_inf = (1/2) log(A_+/A_-),

    with ``1 - r`` evaluated as ``-expm1(-g)``.

    Returns:
        ``f(t, t0, b0, A_plus, A_minus) -> ndarray``: broadcasting over its arguments; ``t`` and
        ``t0`` are gradient-flow times (no learning rate), ``t >= t0 > 0``, ``A_plus, A_minus > 0``.

    Raises:
        RuntimeError: if :func:`thm4_5` (which contains the step ``b_stable = eq. (11)``) does
            not verify; never in normal use.
        ValueError: (from the returned function) non-finite input, ``t0``, ``A_plus`` or
            ``A_minus`` not positive, or ``t < t0``.
    """
    report = thm4_5().verify()
    if not report.passed:  # the evaluator is only as good as the derivation it comes from
        raise RuntimeError(f"thm4.5 does not verify, refusing to lambdify eq. (11):\n"
                           f"{report.summary()}")
    f = sp.lambdify((t, t0, b0, A_p, A_m), b_stable, modules="numpy")

    def evaluate(t_, t0_, b0_, A_plus, A_minus):
        args = [np.asarray(a, dtype=float) for a in (t_, t0_, b0_, A_plus, A_minus)]
        names = ("t", "t0", "b0", "A_plus", "A_minus")
        for name, a in zip(names, args):
            if not np.all(np.isfinite(a)):
                raise ValueError(f"`{name}` must be finite, got {a}")
        for name, a in zip(("t0", "A_plus", "A_minus"), (args[1], args[3], args[4])):
            if np.any(a <= 0):
                raise ValueError(f"`{name}` must be positive, got {a}")
        if np.any(args[0] < args[1]):
            raise ValueError("`t` must be >= `t0` (eq. (11) is integrated forward from t0)")
        return np.asarray(f(*args), dtype=float)

    return evaluate


@functools.lru_cache(maxsize=None)
def thm4_5_gd_time() -> Derivation:
    """Theorem 4.5 of arXiv:2602.08302 restated in GD steps ``k`` (flow time ``tau = eta k``).

    With Theorem 4.2's normalisation ``eta exp(-y_s w_tilde^T x_s) = alpha_s`` (GD) the sums
    ``A^G_pm`` are ``1/eta`` times the flow sums ``A^F_pm`` (``exp(-y_s w_tilde_F^T x_s) = alpha_s``);
    eq. (10) in steps reads ``db/dk = (eta/k)(A^G_+ e^{-b} - A^G_- e^{b}) = (1/k)(A^F_+ e^{-b} - ...)``.
    """
    labels, xs, (h1, h2), (qf1, qf2), constraint = _sv_instance()
    qg = (qf1 + h1 * sp.log(eta), qf2 + h2 * sp.log(eta))  # w_tilde_G = w_tilde_F + w_hat log eta
    AFp, AFm, AGp, AGm = sp.symbols("A^F_+ A^F_- A^G_+ A^G_-", positive=True)
    E = sp.Symbol("E", positive=True)

    def sums(q):
        plus = sum(sp.exp(-(q[0] * x[0] + q[1] * x[1])) for y, x in zip(labels, xs) if y > 0)
        minus = sum(sp.exp(q[0] * x[0] + q[1] * x[1]) for y, x in zip(labels, xs) if y < 0)
        return plus, minus

    (F_plus, F_minus), (G_plus, G_minus) = sums((qf1, qf2)), sums(qg)
    w_k = (h1 * sp.log(k) + qg[0], h2 * sp.log(k) + qg[1])
    grad_k = sum(y * sp.exp(-y * (w_k[0] * x[0] + w_k[1] * x[1] + b)) for y, x in zip(labels, xs))
    flow_w = sp.ImmutableMatrix([h1 * sp.log(eta * k) + qf1, h2 * sp.log(eta * k) + qf2])
    gd_w = sp.ImmutableMatrix([h1 * sp.log(k) + qg[0], h2 * sp.log(k) + qg[1]])
    per_sv_gd = sp.ImmutableMatrix(
        [eta * sp.exp(-y * (qg[0] * x[0] + qg[1] * x[1])) for y, x in zip(labels, xs)])
    per_sv_flow = sp.ImmutableMatrix(
        [sp.exp(-y * (qf1 * x[0] + qf2 * x[1])) for y, x in zip(labels, xs)])
    G_in_F = ((AGp, AFp / eta), (AGm, AFm / eta))
    g_k = 2 * sp.sqrt(AFp * AFm) * sp.log(k / k0)
    delta_F = sp.sqrt(AFm / AFp)
    KF, MF = 1 + delta_F * sp.exp(b0), 1 - delta_F * sp.exp(b0)
    b_k = sp.log((KF * sp.exp(g_k) - MF) / (KF * sp.exp(g_k) + MF)) - sp.log(delta_F)
    g_paper = 2 * sp.sqrt(AGp * AGm) * sp.log(k / k0)

    steps = (
        Step(eq(flow_w, gd_w),
             "GD with step $\\eta$ follows the flow at $\\tau = \\eta k$. The flow's "
             "$w_F(\\tau) = \\hat w \\log\\tau + \\tilde w_F$ (Theorem 4.1 in flow time) read in steps "
             "is $\\hat w \\log k + \\tilde w_G$ with $\\tilde w_G = \\tilde w_F + \\hat w \\log\\eta$.",
             "identity", methods=("expand_log",)),
        Step(eq(per_sv_gd, per_sv_flow),
             "For every support vector ($y_s \\hat w^T x_s = 1$): "
             "$\\eta e^{-y_s \\tilde w_G^T x_s} = e^{-y_s \\tilde w_F^T x_s}$. So Soudry's "
             "Theorem 4 normalisation $\\eta e^{-x_s^T \\tilde w} = \\alpha_s$ (eq. (8), GD steps) "
             "is the flow normalisation $e^{-x_s^T \\tilde w_F} = \\alpha_s$ in flow time.",
             "identity", methods=("expand",), given=constraint),
        Step(eq(sp.ImmutableMatrix([G_plus, G_minus]),
                sp.ImmutableMatrix([F_plus / eta, F_minus / eta])),
             "Hence the support-vector sums of Theorem 4.5 built from $\\tilde w_G$ are $1/\\eta$ "
             "times those built from $\\tilde w_F$: $A^G_\\pm = A^F_\\pm/\\eta$.", "identity",
             methods=("expand",), given=constraint),
        Step(eq(eta * grad_k, eta * rhs10(b, G_plus, G_minus, k)),
             "GD bias update (eq. (5)): $b_{k+1} - b_k = -\\eta\\, \\partial L/\\partial b$; at "
             "late times $db/dk = \\eta \\sum_s y_s e^{-y_s(w(k)^T x_s + b)}$ with "
             "$w(k) = \\hat w \\log k + \\tilde w_G$ gives $(\\eta/k)(A^G_+ e^{-b} - A^G_- e^{b})$: "
             "eq. (10) in steps carries a factor $\\eta$.", "identity", methods=("expand",),
             given=constraint),
        Step(eq(eta * rhs10(b, AGp, AGm, k), rhs10(b, AFp, AFm, k)),
             "With $A^G_\\pm = A^F_\\pm/\\eta$ the factor cancels: in GD steps, eq. (10) holds "
             "literally ($t \\to k$) when $A_\\pm$ are the flow-normalised sums.", "identity",
             methods=("expand",), given=G_in_F),
        Step(eq(eta * rhs10(b, AFp, AFm, tau), rhs10(b, AFp, AFm, k)),
             "Chain rule check: $db/dk = \\eta\\, db/d\\tau$ with eq. (10) in flow time "
             "$\\tau = \\eta k$ gives the same equation.", "identity", methods=("expand",),
             given=((tau, eta * k),)),
        Step(eq(sp.sqrt(AGm / AGp), delta_F),
             "$\\delta$ is a ratio, so $\\eta$ cancels: $\\delta$ and $b_\\infty = -\\log\\delta$ "
             "are the same in either normalisation.", "identity", methods=("expand",),
             given=G_in_F),
        Step(eq(2 * eta * sp.sqrt(AGp * AGm) * sp.log(k / k0), g_k),
             "The exponent of eq. (11) in steps: $g = 2\\sqrt{A^F_+A^F_-}\\log(k/k_0) = "
             "2\\eta\\sqrt{A^G_+A^G_-}\\log(k/k_0)$.", "identity", methods=("expand",),
             given=G_in_F),
        Step(eq(sp.log(tau / tau0), sp.log(k / k0)),
             "Log time is unit-free: $\\log(\\tau/\\tau_0) = \\log(k/k_0)$, so the only place "
             "$\\eta$ can enter is the prefactor of $g$.", "identity", methods=("expand_log",),
             given=((tau, eta * k), (tau0, eta * k0))),
        Step(eq(sp.Derivative(b_k, k), eta * rhs10(b_k, AGp, AGm, k)),
             "Eq. (11) with $t \\to k$ and the flow-normalised $A^F_\\pm$ solves the GD-step "
             "equation $db/dk = (\\eta/k)(A^G_+ e^{-b} - A^G_- e^{b})$.", "identity",
             methods=("cancel", "together"), given=((sp.exp(g_k), E),) + G_in_F),
        Step(eq(g_paper / g_k, 1 / eta),
             "Reading eq. (11) literally in GD steps with Theorem 4.2's $\\tilde w$ "
             "(so $A_\\pm = A^G_\\pm$) overstates the exponent $g$ by the factor $1/\\eta$.",
             "identity", methods=("cancel",), given=G_in_F),
    )
    return Derivation(
        id="thm4.5-gd-time",
        title="Bias dynamics in GD steps: where the learning rate goes",
        reference="Theorem 4.5, eqs. (5), (8), (10)-(11) of arXiv:2602.08302; "
                  "Soudry et al. (2018) Theorems 3-4",
        assumptions=(
            Assumption("Assumptions 3.1 and 4.4", "as in Theorem 4.5."),
            Assumption("Continuous-time limit of GD", "GD with step $\\eta$ is approximated by "
                       "the flow at $\\tau = \\eta k$; $k$ counts GD steps.",
                       (gt(eta, 0), gt(k, k0), gt(k0, 0))),
            Assumption("Normalisation of $\\tilde w$", "Theorem 4.2: "
                       "$\\eta e^{-y_s \\tilde w_G^T x_s} = \\alpha_s$ (GD steps); flow: "
                       "$e^{-y_s \\tilde w_F^T x_s} = \\alpha_s$."),
        ),
        steps=steps,
        result=steps[4].expr,
        notation=((sp.exp(g_k), sp.exp(sp.Function("g")(k))), (g_k, sp.Function("g")(k)),
                  (delta_F, delta_sym)),
        discrepancies=(
            "Eqs. (10)-(11) contain no learning rate while Theorem 4.2's $\\tilde w$ satisfies "
            "$\\eta e^{-x_s^T \\tilde w} = \\alpha_s$. With $t$ counting GD steps and $A_S^\\pm$ "
            "built from that $\\tilde w$, the correct equation is "
            "$db/dt = (\\eta/t)(A_S^+ e^{-b} - A_S^- e^{b})$ and the exponent is "
            "$g = 2\\eta\\sqrt{A_S^+A_S^-}\\log(t/t_0)$: the paper's $g$ is $1/\\eta$ times too "
            "large (100 times for $\\eta = 10^{-2}$). With flow-normalised $A_S^\\pm$ "
            "($e^{-x_s^T \\tilde w} = \\alpha_s$) eqs. (10)-(11) hold verbatim in GD steps. "
            "$\\delta$ and $b_\\infty$ are unaffected either way.",
        ),
    )

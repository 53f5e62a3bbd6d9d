"""Fixed points of the bias dynamics: Soudry's bias limit (Theorem 4.2) and eq. (14)'s steady state.

Each builder returns a :class:`theory.derivation.Derivation` of arXiv:2602.08302 (cached).
``thm4_5_augmented_limit`` shows that the fixed point of eq. (10) is the bias component of
Theorem 4.2's limit for theta = (w, b), and that the relaxation rate 2 sqrt(A_+ A_-) of eq. (11)
equals ||w_hat||^2 (flow normalisation); ``eq14_steady_state`` treats the phase-1 equation.
"""

from __future__ import annotations

import functools

import sympy as sp

from theory.derivation import Assumption, Derivation, Step, eq, gt, lt
from theory.derivations_bias import A_m, A_p, b, b_inf, rhs10, t, t0

@functools.lru_cache(maxsize=None)
def thm4_5_augmented_limit() -> Derivation:
    """Soudry's bias limit ``b_tilde`` equals ``b_inf = -log(delta)``; the rate ``2 sqrt(A+A-)`` is pinned.

    Theorem 4.2 of arXiv:2602.08302 applied to the augmented vector ``theta = (w, b)`` with
    features ``z_s = y_s (x_s, 1)``: ``exp(-z_s^T theta_tilde) = alpha_s`` (flow normalisation).
    """
    labels = (1, 1, -1, -1)
    q = sp.symbols("q_1:5", real=True)  # q_s = w_tilde^T x_s
    bt = sp.Symbol("\\tilde{b}", real=True)
    bh = sp.Symbol("\\hat{b}", real=True)
    Pp, Pm = sp.symbols("P_+ P_-", positive=True)  # class sums of the dual variables
    gamma = sp.Symbol("gamma", positive=True)
    w_norm2 = sp.Symbol("\\|\\hat{w}\\|^{2}", positive=True)
    alphas = [sp.exp(-y * (qs + bt)) for y, qs in zip(labels, q)]
    Ap_inst = sum(sp.exp(-qs) for y, qs in zip(labels, q) if y > 0)
    Am_inst = sum(sp.exp(qs) for y, qs in zip(labels, q) if y < 0)
    a = sp.symbols("alpha_1:5", positive=True)
    X = [sp.symbols(f"x_{{{i}1}} x_{{{i}2}}", real=True) for i in range(1, 5)]
    w_hat = [sum(ai * y * x[j] for ai, y, x in zip(a, labels, X)) for j in range(2)]
    w_hat_sq = w_hat[0] ** 2 + w_hat[1] ** 2
    margins = sum(ai * y * (x[0] * w_hat[0] + x[1] * w_hat[1]) for ai, y, x in zip(a, labels, X))
    F_bt = A_p * sp.exp(-bt) - A_m * sp.exp(bt)

    steps = (
        Step(eq(sp.ImmutableMatrix([alphas[0] + alphas[1], alphas[2] + alphas[3]]),
                sp.ImmutableMatrix([Ap_inst * sp.exp(-bt), Am_inst * sp.exp(bt)])),
             "Theorem 4.2 (eq. (8)) for $\\theta = (w, b)$, flow normalisation: "
             "$\\alpha_s = e^{-y_s(\\tilde w^T x_s + \\tilde b)}$. Class sums of the dual "
             "variables: $P_+ = A_S^+ e^{-\\tilde b}$, $P_- = A_S^- e^{\\tilde b}$ (instance: two "
             "support vectors per class, $q_s = \\tilde w^T x_s$).", "identity",
             methods=("expand",)),
        Step(eq(sp.Derivative(bh ** 2 / 2 - bh * (Pp - Pm), bh), bh - (Pp - Pm)),
             "Stationarity of the Lagrangian of eq. (7) in the bias (its $b$-dependent part is "
             "$\\hat b^2/2 - \\hat b \\sum_s \\alpha_s y_s$): "
             "$\\hat b = \\sum_s \\alpha_s y_s = P_+ - P_-$. Assumption 3.1 with Theorem 4.3 gives "
             "$\\hat b = 0$, hence $P_+ = P_-$.", "identity", methods=("expand",)),
        Step(eq(sp.Subs(F_bt, bt, b_inf), 0),
             "So $A_S^+ e^{-\\tilde b} = A_S^- e^{\\tilde b}$: Soudry's bias limit is a zero of "
             "the right-hand side of eq. (10), and $-\\log\\delta$ is one.", "identity",
             methods=("expand", "radsimp")),
        Step(lt(sp.Derivative(F_bt, bt), 0),
             "The right-hand side is strictly decreasing in $\\tilde b$, so the zero is unique: "
             "$\\tilde b = -\\log\\delta = b_\\infty$ of Theorem 4.5.", "sign"),
        Step(eq(w_hat_sq, margins),
             "Stationarity of eq. (7) in $w$: $\\hat w = \\sum_s \\alpha_s y_s x_s$, so "
             "$\\|\\hat w\\|^2 = \\sum_s \\alpha_s\\, y_s \\hat w^T x_s$ (instance in $d = 2$); "
             "support vectors have $y_s \\hat w^T x_s = 1$, so $\\|\\hat w\\|^2 = P_+ + P_-$.",
             "identity", methods=("expand",)),
        Step(eq(2 * sp.sqrt(A_p * A_m), Pp + Pm),
             "With $A_S^+ = P_+ e^{\\tilde b}$, $A_S^- = P_- e^{-\\tilde b}$ and $P_+ = P_-$: "
             "$2\\sqrt{A_S^+ A_S^-} = P_+ + P_- = \\|\\hat w\\|^2$. The rate of eq. (11) is not "
             "a free parameter: it is the squared norm of the max-margin vector.", "identity",
             methods=("expand", "powsimp"),
             given=((A_p, Pp * sp.exp(bt)), (A_m, Pp * sp.exp(-bt)), (Pm, Pp))),
        Step(eq(w_norm2 * sp.log(t / t0), 4 * sp.log(t / t0) / gamma ** 2),
             "If the geometric margin is $\\gamma/2$ (planted support vectors, "
             "$\\|\\hat w\\| = 2/\\gamma$): $g(t) = (4/\\gamma^2)\\log(t/t_0)$ in flow time, or "
             "in GD steps with flow-normalised $A_\\pm$ (thm4.5-gd-time).", "identity",
             methods=("expand",), given=((w_norm2, (2 / gamma) ** 2),)),
    )
    return Derivation(
        id="thm4.5-augmented-limit",
        title="Soudry's bias limit equals b_inf, and the relaxation rate is pinned by the margin",
        reference="Theorems 4.2, 4.3, 4.5 and eqs. (7), (8), (10) of arXiv:2602.08302",
        assumptions=(
            Assumption("Assumption 3.1", "the max-margin solution of eq. (7) has $\\hat b = 0$.",
                       ),
            Assumption("Theorem 4.2 on $\\theta = (w, b)$", "support vectors span the data; "
                       "$\\theta(t) \\to \\hat\\theta \\log t + \\tilde\\theta$ with "
                       "$e^{-z_s^T\\tilde\\theta} = \\alpha_s$, $z_s = y_s(x_s, 1)$ (flow time)."),
            Assumption("Support-vector sums", "both classes have support vectors.",
                       (gt(A_p, 0), gt(A_m, 0))),
        ),
        steps=steps,
        result=steps[5].expr,
        discrepancies=(
            "Not a contradiction but a constraint the paper does not state: if $\\tilde w$ is "
            "Theorem 4.2's limit, $2\\sqrt{A_S^+A_S^-} = \\|\\hat w\\|^2$ (flow normalisation; "
            "$\\|\\hat w\\|^2/\\eta$ with the GD normalisation). With margin $\\gamma/2 = 5\\cdot "
            "10^{-4}$ this is $4\\cdot 10^{6}$, so $g(t)$ is huge once $t > t_0$ and the bias is "
            "at $b_\\infty$ essentially immediately in the regime where Assumption 4.4 holds. "
            "The paper's explanation that phases blur in $d = 1024$ because $A_S^\\pm$ are small "
            "(so $g$ is small) cannot hold with Theorem 4.2's $\\tilde w$: only the ratio "
            "$A_S^-/A_S^+$ is free.",
        ),
    )


@functools.lru_cache(maxsize=None)
def eq14_steady_state() -> Derivation:
    """Phase-1 steady state of eq. (14) of arXiv:2602.08302: ``b* = (1/2) log(A+/A-)``, stable."""
    labels = (1, 1, -1, -1)
    p = sp.symbols("p_1:5", real=True)  # p_i = w^T x_i at the current w
    n_p, n_m = sp.symbols("n_+ n_-", positive=True)
    loss = sum(sp.exp(-y * (pi + b)) for y, pi in zip(labels, p))
    Ap_inst = sum(sp.exp(-pi) for y, pi in zip(labels, p) if y > 0)
    Am_inst = sum(sp.exp(pi) for y, pi in zip(labels, p) if y < 0)
    F = A_p * sp.exp(-b) - A_m * sp.exp(b)
    F_sym = sp.Function("F")
    b_star = sp.log(A_p / A_m) / 2
    logistic_grad = n_p / (1 + sp.exp(b)) - n_m / (1 + sp.exp(-b))
    steps = (
        Step(eq(sp.Derivative(-loss, b), rhs10(b, Ap_inst, Am_inst, 1)),
             "Eq. (14): at fixed $w$, gradient flow on the bias of the exponential loss over the "
             "whole data is $db/dt = A^+ e^{-b} - A^- e^{b}$ with "
             "$A^+ = \\sum_{y_i = +1} e^{-w^T x_i}$, $A^- = \\sum_{y_i=-1} e^{w^T x_i}$ (instance: "
             "two points per class, $p_i = w^T x_i$).", "identity", methods=("expand",)),
        Step(eq(F_sym(b), F), "Right-hand side of eq. (14).", "definition"),
        Step(eq(sp.Subs(F, b, b_star), 0),
             "Steady state: $F(b^*) = 0$ at $b^* = \\tfrac12\\log(A^+/A^-)$.", "identity",
             methods=("expand", "radsimp")),
        Step(lt(sp.Derivative(F, b), 0),
             "$F' = -A^+e^{-b} - A^-e^{b} < 0$: $F$ is strictly decreasing, so $b^*$ is the only "
             "steady state.", "sign"),
        Step(eq(sp.Subs(sp.Derivative(F, b), b, b_star), -2 * sp.sqrt(A_p * A_m)),
             "Linear stability: $F'(b^*) = -2\\sqrt{A^+A^-}$.", "identity",
             methods=("expand", "radsimp")),
        Step(lt(-2 * sp.sqrt(A_p * A_m), 0),
             "Negative, so $b^*$ is stable (relaxation rate $2\\sqrt{A^+A^-}$ in $t$).", "sign"),
        Step(eq(b_star, 0), "Balanced sums, $A^+ = A^-$: $b^* = 0$.", "identity",
             methods=("expand",), given=((A_m, A_p),)),
        Step(eq(sp.Subs(logistic_grad, b, sp.log(n_p / n_m)), 0),
             "Logistic loss (eq. (3)) at $w = 0$ with $n_\\pm$ points per class: "
             "$-\\partial L/\\partial b = n_+/(1+e^{b}) - n_-/(1+e^{-b})$ vanishes at "
             "$b = \\log(n_+/n_-)$.", "identity", methods=("together",)),
        Step(eq(b_star, sp.log(n_p / n_m) / 2),
             "Eq. (14) at $w = 0$ ($A^\\pm = n_\\pm$) predicts $\\tfrac12\\log(n_+/n_-)$: half the "
             "logistic-loss value.", "identity", methods=("expand_log",),
             given=((A_p, n_p), (A_m, n_m))),
    )
    return Derivation(
        id="eq14-steady-state",
        title="Phase-1 steady state of the bias (eq. (14))",
        reference="Eq. (14), Section 4.3 of arXiv:2602.08302",
        assumptions=(
            Assumption("Frozen weights", "$w$ is held fixed while $b$ relaxes (phase 1)."),
            Assumption("Loss", "exponential loss, as eq. (14) is written; the last two steps "
                       "compare with the logistic loss of eq. (3)."),
            Assumption("Both classes present", "", (gt(A_p, 0), gt(A_m, 0))),
        ),
        steps=steps,
        result=steps[2].expr,
        discrepancies=(
            "Eq. (14) is the exponential-loss bias flow. For the logistic loss that GD actually "
            "minimises (eq. (3)), the steady state at $w = 0$ is $b = \\log(n_+/n_-)$, twice "
            "eq. (14)'s $\\tfrac12\\log(n_+/n_-)$ (e.g. $n_+/n_- = 2$: 0.693 vs 0.347). Both "
            "vanish for balanced classes.",
        ),
    )

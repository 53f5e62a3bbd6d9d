"""Derivation of the finite-time phase theory of theory.phases (issue 13; arXiv:2602.08302, Sections 4.3-4.5).

Each step states where an approximation enters and how large its error term is. Notation: ``m`` a
margin z^T theta, ``h`` = eta (one GD step in flow time), ``mu``, ``v`` the mean and variance of the
margins of one population bin, ``u`` = z^T theta_hat (= 1 on support vectors), ``t`` GD steps.
"""

from __future__ import annotations

import functools

import sympy as sp

from theory.derivation import Assumption, Derivation, Step, eq, gt

m, mu, th, b, bb = sp.symbols("m mu theta b b", real=True)
h, a, v, n, t, u, kk, lam1, lam2, r = sp.symbols("h a v n t u k lambda_1 lambda_2 r", positive=True)
c1, c2, wn, cphi, sphi, uu, vv = sp.symbols("c_1 c_2 \\|w\\| c_phi s_phi u_x v_x", real=True)
Ap, Am = sp.symbols("A_+ A_-", positive=True)
rho = sp.Symbol("rho", positive=True)
dq = sp.Symbol("q", real=True)  # (z_i - z_s)^T theta_tilde


def sigma(x):
    """Logistic sigma(x) = 1 / (1 + e^{-x})."""
    return 1 / (1 + sp.exp(-x))


@functools.lru_cache(maxsize=None)
def phases() -> Derivation:
    """The approximations of theory.phases, each machine-checked with its error term."""
    g = -sigma(-th)  # 1-D logistic gradient dL/dtheta for one point z = 1 (eq. (4))
    gp = sp.diff(g, th)
    f_mod = -(g + h / 2 * gp * g)  # modified vector field
    flow_h = th + h * f_mod + h ** 2 / 2 * sp.diff(f_mod, th) * f_mod  # Taylor of the flow to O(h^3)
    steps = (
        Step(eq(sigma(-m), sp.Rational(1, 2) - m / 4 + m ** 3 / 48 + sp.O(m ** 5, (m, 0))),
             "Phase 1 (population-dominated, eq. (14)): near $w = 0$ every point's gradient weight is "
             "$\\sigma(-m) = 1/2 - m/4 + m^3/48 + O(m^5)$; the constant and linear terms involve only the "
             "count, mean and covariance of the points' $z$, so a summary that keeps those three moments "
             "reproduces the gradient at $\\theta = 0$ and the Hessian $H(0)$ exactly.", "series"),
        Step(eq(n / 2 * (mu + a) + n / 2 * (mu - a), n * mu),
             "Summary of one population bin (theory.phases.reduce_population): two representatives "
             "$\\mu \\pm a$ per direction, weight $n/2$ each, keep the bin's count and mean margin.",
             "identity", methods=("expand",)),
        Step(eq(n / 2 * (mu + a) ** 2 + n / 2 * (mu - a) ** 2, n * (mu ** 2 + v)),
             "With $a^2 = v$ (the bin's variance along the direction) they keep its second moment.",
             "identity", methods=("expand",), given=((a, sp.sqrt(v)),)),
        Step(eq(n / (2 * r) * ((mu + sp.sqrt(r * lam1) * c1) ** 2 + (mu - sp.sqrt(r * lam1) * c1) ** 2
                               + (mu + sp.sqrt(r * lam2) * c2) ** 2 + (mu - sp.sqrt(r * lam2) * c2) ** 2),
                n * mu ** 2 + n * (lam1 * c1 ** 2 + lam2 * c2 ** 2)),
             "Several directions ($r = 2$ shown): points $\\bar z \\pm \\sqrt{r\\lambda_j} v_j$ with weight "
             "$n/(2r)$ reproduce $n(\\mu^2 + \\theta^T C \\theta)$, $c_j = v_j^T\\theta$, for every "
             "$\\theta$ (symmetric sigma points). The directions are taken orthogonal to $\\hat\\theta$, "
             "so no representative lies nearer the margin than the bin's mean.", "identity",
             methods=("expand",), given=((r, 2),)),
        Step(eq((sigma(-(mu + a)) + sigma(-(mu - a))) / 2,
                sigma(-mu) + a ** 2 / 2 * sp.diff(sigma(-m), m, 2).subs(m, mu) + sp.O(a ** 4, (a, 0))),
             "Error of the summary: the pair's mean weight is $\\sigma(-\\mu) + (v/2)\\sigma''(-\\mu) + "
             "O(a^4)$, the same second-order term as the bin's own; what is left is the bin's third and "
             "fourth cumulants, $O(\\kappa_3\\sigma''' + \\kappa_4\\sigma'''')$, i.e. relative "
             "$O((\\Delta m)^3)$ for a spread $\\Delta m$ of margins within the bin. Bins of equal width in "
             "$\\log(u - 1)$ keep $\\Delta m / m$ bounded as $\\|\\theta\\|$ grows.", "series",
             methods=("simplify",)),
        Step(eq(sp.log(sp.exp(-(u * (sp.log(t) + kk) + dq)) / sp.exp(-(sp.log(t) + kk))),
                sp.log(t ** (1 - u)) - (u - 1) * kk - dq),
             "Phases 2-3 (support-vector-dominated): on the asymptote $\\theta = \\hat\\theta(\\log t + "
             "\\kappa') + \\ldots$ a population point with $u = z^T\\hat\\theta > 1$ carries "
             "$t^{-(u - 1)}$ times a support vector's weight. The population's share therefore decays "
             "only like a power of $t$ with exponent $u_{min} - 1$ (small when the population is near "
             "the margin): its corrections are $O(1)$ near $k^*$, which is why the nearest points are "
             "kept exactly and the asymptote alone misses $T_{te}$.", "identity",
             methods=("expand_log", "simplify")),
        Step(eq(sp.diff(Ap * sp.exp(-b) - Am * sp.exp(b), b).subs(b, sp.log(Ap / Am) / 2),
                -2 * sp.sqrt(Ap * Am)),
             "Phase 1's bias settles at the steady state $b = \\frac12\\log(A^+/A^-)$ of eq. (14) with "
             "relaxation rate $2\\sqrt{A^+A^-}$ (theory.phases.phase_one_steady_bias); in phase 2 the same "
             "equation with $A_S^\\pm$ (eq. (10)) relaxes at $2\\sqrt{A_S^+A_S^-} = \\|\\hat\\theta\\|^2/\\eta$ "
             "per unit $\\log t$ (thm4.5-gd-time). The reduced model integrates both without "
             "linearising and without assuming $w \\parallel \\hat w$ (tilt kept).", "identity",
             methods=("expand", "radsimp", "powsimp", "simplify")),
        Step(eq(wn * (cphi * uu + sphi * vv) + bb, wn * cphi * (uu - (-bb / (wn * cphi) - vv * sphi / cphi))),
             "Offset and tilt: with $w = \\|w\\|(\\cos\\phi\\,\\hat n + \\sin\\phi\\,e)$ a test point with "
             "coordinates $u_x$ (along $\\hat n$) and $v_x$ (along $e$) is classified as $+1$ iff "
             "$u_x > -b/(\\|w\\|\\cos\\phi) - v_x\\tan\\phi$: the offset $|b|/\\|w\\|$ of Theorem 4.6's "
             "proof is the case $\\phi = 0$; at $T_{te}$ the tilt term $v_x\\tan\\phi$ of the extreme "
             "test points often binds. theory.phases evaluates the exact criterion $z^T\\theta(t) > 0$ "
             "on every test point.", "identity", methods=("cancel", "together")),
        Step(eq(sp.series(flow_h, h, 0, 3).removeO(), sp.series(th - h * g, h, 0, 3).removeO()),
             "Discretisation: one GD step $\\theta - h g(\\theta)$ equals the flow of the modified field "
             "$-(g + (h/2) H g)$ over time $h = \\eta$ up to $O(h^3)$ (shown for one logistic point; "
             "the same algebra holds componentwise). theory.phases runs exact GD on the reduced model "
             "while $\\eta\\lambda_{max}(H) \\ge 0.02$ and this flow after, so the neglected term is "
             "$O((0.02)^2)$ relative per step, in a phase where $\\eta H \\approx M/t$ keeps shrinking.",
             "identity", methods=("expand", "simplify")),
        Step(eq(rho / (1 - rho), 2), "Stated error: if each refinement of the summary multiplies the "
             "error by $\\rho$, the finer level is off by at most $\\rho/(1-\\rho)$ times the change "
             "between the two levels; the checks allow twice the change, i.e. $\\rho \\le 2/3$.",
             "identity", methods=("cancel",), given=((rho, sp.Rational(2, 3)),)),
    )
    return Derivation(
        id="phases",
        title="Finite-time theory of the three phases: the reduced model and its error terms",
        reference="Sections 4.3-4.5, eqs. (10), (14), Theorem 4.6's proof (Appendix A.2) of arXiv:2602.08302",
        assumptions=(
            Assumption("Separable data", "linearly separable, support vectors $S$ of eq. (7) spanning the "
                       "data (Theorem 4.2), population points with $u = z^T\\hat\\theta > 1$.", ()),
            Assumption("Stable regime", "$\\eta\\lambda_{max}(H(0)) \\le 2$, hence "
                       "$\\eta\\lambda_{max}(H(\\theta)) \\le 2$ for every $\\theta$ ($\\sigma' \\le 1/4$).",
                       (gt(h, 0),)),
        ),
        steps=steps,
        result=steps[4].expr,
        discrepancies=(
            "The paper's phase picture uses the late-time asymptote (Assumption 4.4) and the offset "
            "$|b|/\\|w\\|$ alone. Both fail at the finite times where grokking happens: the population's "
            "weight decays only like $t^{-(u_{min}-1)}$ (step 6), and the tilt of $w$ enters the test "
            "criterion (step 8). theory.phases replaces them by a reduced model (steps 2-5) run by GD and "
            "its modified flow (step 9), with errors stated by refinement (step 10).",
        ),
    )

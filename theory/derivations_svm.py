"""Derivation of Theorem 4.3 of arXiv:2602.08302: the SVM with bias (9) and problem (7) agree.

Problem (7): min (1/2)(||w||^2 + b^2) s.t. y_i (w^T x_i + b) >= 1 (the implicit bias of GD on the
augmented vector (w, b)). Problem (9): min (1/2)||w||^2 under the same constraints (the SVM with an
unregularised bias). Under Assumption 3.1 (the solution of (9) has b_s = 0) both are solved by
(w_s, 0). The factor 1/2 does not change either minimiser.
"""

from __future__ import annotations

import functools

import sympy as sp

from theory.derivation import Assumption, Derivation, Step, eq, ge, gt, le


@functools.lru_cache(maxsize=None)
def thm4_3() -> Derivation:
    """Theorem 4.3 of arXiv:2602.08302 as a KKT argument on a symbolic instance, plus the converse."""
    labels = (1, 1, -1, -1)
    w1, w2, b = sp.symbols("w_1 w_2 b", real=True)
    a = sp.symbols("alpha_1:5", nonnegative=True)
    X = [sp.symbols(f"x_{{{i}1}} x_{{{i}2}}", real=True) for i in range(1, 5)]
    L7s, L9s = sp.symbols("L_7 L_9")
    margin = [y * (w1 * x[0] + w2 * x[1] + b) - 1 for y, x in zip(labels, X)]
    L9 = (w1 ** 2 + w2 ** 2) / 2 - sum(ai * mi for ai, mi in zip(a, margin))
    L7 = (w1 ** 2 + w2 ** 2 + b ** 2) / 2 - sum(ai * mi for ai, mi in zip(a, margin))
    sum_ayx = [sum(ai * y * x[j] for ai, y, x in zip(a, labels, X)) for j in range(2)]
    sum_ay = sum(ai * y for ai, y in zip(a, labels))
    grad = lambda L: sp.ImmutableMatrix([sp.Derivative(L, v) for v in (w1, w2, b)])  # noqa: E731
    grad9 = sp.ImmutableMatrix([w1 - sum_ayx[0], w2 - sum_ayx[1], -sum_ay])
    grad7 = sp.ImmutableMatrix([w1 - sum_ayx[0], w2 - sum_ayx[1], b - sum_ay])
    objective7 = (w1 ** 2 + w2 ** 2 + b ** 2) / 2
    variables = (w1, w2, b)
    hess7 = sp.ImmutableMatrix(3, 3, lambda i, j: sp.Derivative(objective7, variables[i],
                                                                variables[j]))

    # Converse: (w7, b7) solves (7), (w_s, 0) solves (9). N7 = ||w7||^2, Ns = ||w_s||^2.
    N7, Ns = sp.symbols("N_7 N_s", nonnegative=True)
    b7 = sp.Symbol("b_7", real=True)
    d1, d2 = sp.symbols("d_1 d_2", nonnegative=True)

    # Concrete family: positive SVs (1, h), (1, -k), negative SV (-1, m), -k < m < h.
    h, kk, phi = sp.symbols("h k phi", positive=True)
    m = h - (h + kk) / (1 + phi)  # any m in (-k, h)
    Xc = [(1, h), (1, -kk), (-1, m)]
    yc = (1, 1, -1)
    ac = sp.symbols("alpha_1:4", real=True)
    kkt_common = [w1 - sum(ai * y * x[0] for ai, y, x in zip(ac, yc, Xc)),
                  w2 - sum(ai * y * x[1] for ai, y, x in zip(ac, yc, Xc))]
    kkt_common += [y * (w1 * x[0] + w2 * x[1] + b) - 1 for y, x in zip(yc, Xc)]
    kkt9 = sp.ImmutableMatrix(kkt_common + [-sum(ai * y for ai, y in zip(ac, yc))])
    kkt7 = sp.ImmutableMatrix(kkt_common + [b - sum(ai * y for ai, y in zip(ac, yc))])
    solution = ((w1, 1), (w2, 0), (b, 0), (ac[0], (m + kk) / (2 * (h + kk))),
                (ac[1], (h - m) / (2 * (h + kk))), (ac[2], sp.Rational(1, 2)))
    zero6 = sp.ImmutableMatrix([0] * 6)

    steps = (
        Step(eq(L9s, L9), "Lagrangian of eq. (9) on a generic instance: four support vectors "
             "with symbolic coordinates in $d = 2$, two per class, multipliers "
             "$\\alpha_i \\ge 0$.", "definition"),
        Step(eq(L7s, L7), "Lagrangian of eq. (7): the same with $b^2/2$ added to the "
             "objective.", "definition"),
        Step(eq(grad(L9), grad9), "Stationarity for eq. (9): $w = \\sum_i \\alpha_i y_i x_i$ and "
             "$\\sum_i \\alpha_i y_i = 0$.", "identity", methods=("expand",)),
        Step(eq(grad(L7), grad7), "Stationarity for eq. (7): $w = \\sum_i \\alpha_i y_i x_i$ and "
             "$b = \\sum_i \\alpha_i y_i$.", "identity", methods=("expand",)),
        Step(eq(grad7, grad9), "At $b = 0$ the two stationarity systems coincide. Feasibility "
             "$y_i(w^T x_i + b) \\ge 1$, $\\alpha_i \\ge 0$ and complementary slackness "
             "$\\alpha_i(y_i(w^T x_i + b) - 1) = 0$ are the same constraints in both problems, so "
             "the KKT point $(w_s, 0, \\alpha)$ of eq. (9) (Assumption 3.1: $b_s = 0$) is a KKT "
             "point of eq. (7).", "identity", methods=("expand",), given=((b, 0),)),
        Step(eq(hess7, sp.eye(3)), "Eq. (7) is a convex QP with linear constraints (KKT is "
             "sufficient) and a positive definite Hessian, so $(w_s, 0)$ is its unique "
             "minimiser: $\\hat w = w_s$, $\\hat b = 0$.", "identity", methods=("expand",)),
        Step(eq(b7 ** 2, -(d1 + d2)), "Converse, without multipliers: let $(w_7, b_7)$ solve "
             "eq. (7). $(w_s, 0)$ is feasible for (7), so $d_1 = N_s - N_7 - b_7^2 \\ge 0$ "
             "($N = \\|w\\|^2$); $(w_7, b_7)$ is feasible for (9), so $d_2 = N_7 - N_s \\ge 0$. "
             "Adding the two slacks gives the stated identity.", "identity",
             methods=("expand",), given=((d1, Ns - N7 - b7 ** 2), (d2, N7 - Ns))),
        Step(le(-(d1 + d2), 0), "Hence $b_7^2 \\le 0$: $b_7 = 0$, $N_7 = N_s$, and by "
             "uniqueness of the minimum-norm $w$ of eq. (9) (strictly convex in $w$), "
             "$w_7 = w_s$.", "sign"),
        Step(eq(kkt9, zero6), "Concrete family with $b_s = 0$ (support vectors on the lines "
             "$x_1 = \\pm 1$; positive $(1, h)$, $(1, -k)$, negative $(-1, m)$ with $-k < m < h$): "
             "$w = (1, 0)$, $b = 0$ and the stated $\\alpha$ satisfy every KKT equation of "
             "eq. (9).", "identity", methods=("together",), given=solution),
        Step(eq(kkt7, zero6), "The same point satisfies every KKT equation of eq. (7).",
             "identity", methods=("together",), given=solution),
        Step(gt(sp.Min(*[v for _, v in solution[3:]]), 0), "Dual feasibility: all three "
             "multipliers are positive on the whole family ($m = h - (h+k)/(1+\\varphi)$, "
             "$\\varphi > 0$, covers $-k < m < h$).", "sign", methods=("cancel", "together")),
    )
    return Derivation(
        id="thm4.3",
        title="The SVM with bias (9) and the augmented max-margin problem (7) share their solution",
        reference="Theorem 4.3, eqs. (7) and (9) of arXiv:2602.08302",
        assumptions=(
            Assumption("Assumption 3.1", "the data are separable and the solution "
                       "$(w_s, b_s)$ of eq. (9) has $b_s = 0$.", ()),
            Assumption("Assumption 3.2", "support vectors $S$ carry the multipliers, "
                       "$w_* = \\sum_{i \\in S} \\alpha_i y_i x_i$.",
                       tuple(ge(ai, 0) for ai in a)),
        ),
        steps=steps,
        result=steps[4].expr,
    )

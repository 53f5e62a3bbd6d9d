"""Machine-checked derivations of arXiv:2602.08302 (theory/derivation*.py).

* every registered derivation verifies, step by step;
* a deliberately wrong step fails, for every kind of check;
* rendering gives balanced display math and names the paper's equations;
* the lambdified eq. (11) agrees with an independent numerical solution of eq. (10)
  (scipy DOP853 at rtol 1e-12) and with the 50-digit symbolic closed form.
"""

import math
import re

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, example, given, target
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from checks.tolerances import (
    CLOSED_FORM_VS_IVP_ATOL,
    CLOSED_FORM_VS_IVP_RTOL,
    CLOSED_FORM_VS_MPMATH_ATOL,
    CLOSED_FORM_VS_MPMATH_RTOL,
    DERIV_EXACT_LIMITS_TOL,
    DERIV_IVP_SOLVER_ATOL,
    DERIV_IVP_SOLVER_RTOL,
    DERIV_LATE_CONSTANT_RTOL,
    DERIV_WRONG_STEP_MIN_ERROR,
    scaled_error,
)
from theory.derivation import Assumption, Derivation, DomainVar, Step, eq, gt
from theory.derivations import DERIVATION_IDS, all_derivations, derivation_by_id
from theory.derivations_bias import (
    A_m,
    A_p,
    b,
    b0,
    b_closed,
    b_inf,
    closed_form_evaluator,
    delta,
    g,
    r,
    rhs10,
    t,
    t0,
)

# --- every derivation verifies ------------------------------------------------------------------


def test_registry_order_and_ids():
    assert tuple(d.id for d in all_derivations()) == DERIVATION_IDS
    assert len(set(DERIVATION_IDS)) == len(DERIVATION_IDS)


@pytest.mark.parametrize("derivation_id", DERIVATION_IDS)
def test_derivation_verifies(derivation_id):
    d = derivation_by_id(derivation_id)
    report = d.verify()
    assert report.passed, report.summary()
    assert len(report.steps) == len(d.steps)
    for step, rep in zip(d.steps, report.steps):
        assert rep.check == step.check
        if step.check == "numeric":
            assert rep.digits >= -math.log10(step.rtol)
        else:
            assert rep.digits == math.inf and rep.method != "-"


@pytest.mark.parametrize("derivation_id", DERIVATION_IDS)
def test_derivation_checks_something(derivation_id):
    """Each derivation has at least three checked (non-definition) steps and cites the paper."""
    d = derivation_by_id(derivation_id)
    assert sum(s.check != "definition" for s in d.steps) >= 3
    assert "arXiv:2602.08302" in d.reference


def test_unknown_id_is_rejected():
    with pytest.raises(ValueError, match="derivation_id"):
        derivation_by_id("thm9.9")


# --- a wrong step fails, for every kind of check ------------------------------------------------

x = sp.Symbol("x", positive=True)
E = sp.Symbol("E", positive=True)


def _single(step, domain=(), assumptions=()):
    return Derivation("wrong", "deliberately wrong", "test of arXiv:2602.08302 machinery",
                      assumptions, (step,), step.expr, domain)


def _swapped_closed_form():
    """Eq. (11) with delta -> 1/delta, a plausible transcription error."""
    return b_closed.subs({A_p: A_m, A_m: A_p}, simultaneous=True)


WRONG_STEPS = {
    "identity-swapped-delta": Step(
        eq(sp.Derivative(_swapped_closed_form(), t), rhs10(_swapped_closed_form())),
        "eq. (11) with A+ and A- swapped in delta does not solve eq. (10)", "identity",
        methods=("cancel", "together"), given=((sp.exp(g), E),)),
    "identity-missing-t": Step(
        eq(sp.Derivative(b_closed, t), t * rhs10(b_closed)),
        "eq. (10) without its 1/t", "identity", methods=("cancel",), given=((sp.exp(g), E),)),
    "limit-sign": Step(eq(sp.Limit(b_closed, t, sp.oo), sp.log(delta)),
                       "b_inf with the wrong sign", "limit", methods=("expand_log",)),
    "series-sign": Step(
        eq(sp.log((1 + r) / (1 - r)), -2 * r + sp.O(r ** 3, (r, 0))),
        "log((1+r)/(1-r)) = -2r + O(r^3), sign error", "series"),
    "series-order": Step(
        eq(sp.log(1 + r), r + sp.O(r ** 3, (r, 0))),
        "log(1+r) = r + O(r^3) omits -r^2/2", "series"),
    "sign-wrong": Step(gt(-2 * sp.sqrt(A_p * A_m), 0), "F'(b*) > 0, wrong", "sign"),
    "sign-undecidable": Step(gt(x - 1, 0), "x > 1 does not follow from x > 0", "sign"),
}


@pytest.mark.parametrize("name", sorted(WRONG_STEPS))
def test_wrong_step_fails(name):
    report = _single(WRONG_STEPS[name]).verify()
    assert not report.passed
    assert report.failures and report.failures[0].index == 1
    assert report.failures[0].detail
    assert "FAILED" in report.summary()


def test_wrong_numeric_step_fails():
    """Appendix A.2's accuracy with a factor-2 error, against the directly measured fraction."""
    gamma, alpha = sp.symbols("gamma alpha", positive=True)
    c = sp.Symbol("c", real=True)
    band = alpha * gamma - gamma / 2
    direct = (sp.Max(0, alpha * gamma - sp.Max(gamma / 2, c))
              + sp.Max(0, sp.Min(-gamma / 2, c) + alpha * gamma)) / (2 * band)
    wrong = sp.Piecewise((1, sp.Abs(c) <= gamma / 2),
                         (1 - (sp.Abs(c) - gamma / 2) / band, sp.Abs(c) <= alpha * gamma),
                         (sp.Rational(1, 2), True))
    domain = (DomainVar(gamma, sp.Rational(1, 100), 1), DomainVar(alpha, 1, 10),
              DomainVar(c, -2 * alpha * gamma, 2 * alpha * gamma))
    step = Step(eq(wrong, direct), "factor-2 error", "numeric", points=40)
    report = _single(step, domain).verify()
    assert not report.passed
    assert report.steps[0].digits < 2 and report.steps[0].max_error > DERIV_WRONG_STEP_MIN_ERROR


def test_numeric_step_without_domain_is_rejected():
    with pytest.raises(ValueError, match="domain lacks"):
        _single(Step(eq(x, x), "no domain", "numeric"))


def test_numeric_domain_must_respect_symbol_positivity():
    step = Step(eq(sp.sqrt(x) ** 2, x), "x is positive", "numeric")
    report = _single(step, (DomainVar(x, -1, 1),)).verify()
    assert not report.passed and "positive" in report.failures[0].detail


def test_numeric_points_satisfy_assumptions():
    """Points violating an assumption relation are rejected, so a formula valid only there passes."""
    y = sp.Symbol("y", real=True)
    step = Step(eq(sp.Abs(y), y), "|y| = y needs y >= 0", "numeric")
    ok = _single(step, (DomainVar(y, -1, 1),),
                 (Assumption("nonnegative", "", (sp.GreaterThan(y, 0, evaluate=False),)),))
    bad = _single(step, (DomainVar(y, -1, 1),))
    assert ok.verify().passed
    assert not bad.verify().passed


def test_definition_twice_fails():
    s1 = Step(eq(sp.Symbol("q"), x), "define q", "definition")
    s2 = Step(eq(sp.Symbol("q"), 2 * x), "define q again", "definition")
    s3 = Step(eq(2 * x, 2 * x), "something checked", "identity")
    d = Derivation("twice", "t", "arXiv:2602.08302", (), (s1, s2, s3), s3.expr)
    report = d.verify()
    assert not report.passed and report.failures[0].index == 2


def test_circular_definition_fails():
    q = sp.Symbol("q")
    s1 = Step(eq(q, q + 1), "circular", "definition")
    s2 = Step(eq(x, x), "x", "identity")
    report = Derivation("circ", "t", "arXiv:2602.08302", (), (s1, s2), s2.expr).verify()
    assert not report.passed and "own definition" in report.failures[0].detail


def test_unestablished_result_fails():
    s1 = Step(eq(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1), "Pythagoras", "identity")
    d = Derivation("res", "t", "arXiv:2602.08302", (), (s1,), eq(x, 2 * x))
    report = d.verify()
    assert all(s.passed for s in report.steps)
    assert not report.result_established and not report.passed


def test_step_validation_messages():
    with pytest.raises(ValueError, match="`check` must be one of"):
        Step(eq(x, x), "j", "proof-by-intimidation")
    with pytest.raises(ValueError, match="`methods`"):
        Step(eq(x, x), "j", "identity", methods=("magic",))
    with pytest.raises(ValueError, match="`relations`"):
        Assumption("evaluated", "", (sp.Gt(x, 0),))


def test_identity_reports_the_method_that_succeeded():
    step = Step(eq(sp.tanh(x), (sp.exp(2 * x) - 1) / (sp.exp(2 * x) + 1)), "tanh", "identity",
                methods=("cancel", "exp_rewrite"))
    report = _single(step).verify()
    assert report.passed and report.steps[0].method == "exp_rewrite"


# --- rendering ----------------------------------------------------------------------------------

EXPECTED_CITATIONS = {
    "thm4.3": ("(7)", "(9)", "Theorem 4.3"),
    "thm4.5": ("(10)", "(11)", "Theorem 4.5"),
    "thm4.5-gd-time": ("(10)", "(11)", "(8)"),
    "thm4.5-augmented-limit": ("(7)", "(8)", "(10)"),
    "eq14-steady-state": ("(14)",),
    "appA2-concentrated-accuracy": ("A.2",),
    "thm4.6": ("Theorem 4.6", "A.2"),
    "thm4.6-gd-offset": ("Theorem", "(8)"),
    "rem4.7": ("Remark 4.7",),
    "large-step-cycle": ("(3)-(5)", "Telgarsky", "2406.05033"),
    "phases": ("(14)", "(10)", "4.3-4.5"),
}


def _inline_dollars_balanced(text):
    lines = [ln for ln in text.splitlines() if ln.strip() != "$$"]
    return all(ln.count("$") % 2 == 0 for ln in lines)


@pytest.mark.parametrize("derivation_id", DERIVATION_IDS)
def test_markdown_rendering(derivation_id):
    d = derivation_by_id(derivation_id)
    md = d.to_markdown(d.verify())
    lines = md.splitlines()
    fences = [i for i, ln in enumerate(lines) if ln.strip() == "$$"]
    assert len(fences) == 2 * (len(d.steps) + 1)  # one block per step, one for the result
    assert all(not ln.startswith("$$") or ln == "$$" for ln in lines)  # $$ alone on its line
    for open_, close in zip(fences[::2], fences[1::2]):
        assert close - open_ == 2 and lines[open_ + 1].strip()  # one non-empty LaTeX line
        assert lines[open_ - 1] == ""  # blank lines around the block (GitHub)
        assert close + 1 == len(lines) or lines[close + 1] == ""
    assert _inline_dollars_balanced(md)
    assert "FAILED" not in md and md.count("passed (") == len(d.steps)
    for cite in EXPECTED_CITATIONS[derivation_id]:
        assert cite in md, cite
    assert ("Discrepancies" in md) == bool(d.discrepancies)


@pytest.mark.parametrize("derivation_id", DERIVATION_IDS)
def test_latex_rendering(derivation_id):
    d = derivation_by_id(derivation_id)
    tex = d.to_latex()
    assert tex.count("$$") % 2 == 0 and tex.count("$$") == 2 * (len(d.steps) + 1)
    assert r"\subsection*{" in tex
    # Braces balance once escaped braces in prose are discounted.
    unescaped = re.sub(r"\\[{}]", "", tex)
    assert unescaped.count("{") == unescaped.count("}")
    assert _inline_dollars_balanced(tex)
    for cite in EXPECTED_CITATIONS[derivation_id]:
        assert cite in tex, cite


def test_rendering_shows_failures():
    report = _single(WRONG_STEPS["limit-sign"]).verify()
    assert "FAILED" in _single(WRONG_STEPS["limit-sign"]).to_markdown(report)


def test_latex_escapes_prose_but_not_math():
    step = Step(eq(x, x), "50% of a_b & $\\alpha_1$", "identity")
    tex = _single(step).to_latex()
    assert r"50\% of a\_b \& $\alpha_1$" in tex


# --- the lambdified closed form -----------------------------------------------------------------


def _ode_solution(t_end, t0_, b0_, a_plus, a_minus):
    """Eq. (10) integrated by DOP853 from (t0, b0) to t_end: independent of eq. (11)."""
    sol = solve_ivp(lambda tt, y: (a_plus * np.exp(-y) - a_minus * np.exp(y)) / tt,
                    (t0_, t_end), [b0_], method="DOP853", rtol=DERIV_IVP_SOLVER_RTOL, atol=DERIV_IVP_SOLVER_ATOL)
    assert sol.success, sol.message
    return float(sol.y[0, -1])


positive_sums = st.floats(min_value=1e-2, max_value=10.0)
initial_biases = st.floats(min_value=-3.0, max_value=3.0)
start_times = st.floats(min_value=1e-2, max_value=1e2)
log10_ratios = st.floats(min_value=0.0, max_value=3.0)


@given(a_plus=positive_sums, a_minus=positive_sums, b0_=initial_biases, t0_=start_times,
       log10_ratio=log10_ratios)
@example(a_plus=1.0, a_minus=1.0, b0_=0.0, t0_=1.0, log10_ratio=2.0)
@example(a_plus=4.0, a_minus=1.0, b0_=-2.0, t0_=1.0, log10_ratio=3.0)
@example(a_plus=0.01, a_minus=10.0, b0_=3.0, t0_=100.0, log10_ratio=0.5)
def test_closed_form_matches_ode(a_plus, a_minus, b0_, t0_, log10_ratio):
    t_end = t0_ * 10.0 ** log10_ratio
    assume(t_end > t0_)
    f = closed_form_evaluator()
    num = float(f(t_end, t0_, b0_, a_plus, a_minus))
    ref = _ode_solution(t_end, t0_, b0_, a_plus, a_minus)
    err = scaled_error(num, ref, rtol=CLOSED_FORM_VS_IVP_RTOL, atol=CLOSED_FORM_VS_IVP_ATOL)
    target(err)
    assert err < 1, (num, ref)


def _symbolic_value(t_, t0_, b0_, a_plus, a_minus, dps=50):
    f = sp.lambdify((t, t0, b0, A_p, A_m), b_closed, modules="mpmath")
    with mpmath.workdps(dps):
        return float(f(*(mpmath.mpf(v) for v in (t_, t0_, b0_, a_plus, a_minus))))


@pytest.mark.parametrize("args", [
    (2.0, 1.0, 0.3, 2.0, 1.0),
    (1e4, 1.0, -3.0, 0.05, 0.2),
    (1.0 + 1e-9, 1.0, 1.0, 3.0, 0.5),     # near t0: cancellation in 1 - exp(-g)
    (50.0, 10.0, -20.0, 1.0, 1.0),         # b0 far below b_inf
])
def test_closed_form_matches_symbolic_mpmath(args):
    num = float(closed_form_evaluator()(*args))
    ref = _symbolic_value(*args)
    assert scaled_error(num, ref, rtol=CLOSED_FORM_VS_MPMATH_RTOL,
                        atol=CLOSED_FORM_VS_MPMATH_ATOL) < 1


def test_closed_form_invariants():
    f = closed_form_evaluator()
    # step 0 is the initial condition
    assert f(3.0, 3.0, -0.7, 2.0, 5.0) == pytest.approx(-0.7, abs=DERIV_EXACT_LIMITS_TOL)
    # long-time limit equals b_inf = (1/2) log(A+/A-), with no overflow at huge g
    assert f(1e300, 1.0, 2.0, 50.0, 2.0) == pytest.approx(0.5 * math.log(25.0), rel=DERIV_EXACT_LIMITS_TOL)
    # balanced sums and b0 = 0 stay at 0
    assert f(1e5, 1.0, 0.0, 3.0, 3.0) == 0.0
    # a batch of t equals a loop over t
    ts = np.geomspace(1.0, 1e4, 7)
    batch = f(ts, 1.0, 0.4, 0.3, 1.7)
    loop = np.array([f(tt, 1.0, 0.4, 0.3, 1.7) for tt in ts])
    np.testing.assert_array_equal(batch, loop)


def test_closed_form_late_time_constant():
    """b - b_inf ~ C e^{-g}, C = 2 tanh((b0 - b_inf)/2) (thm4.5), read off the evaluator."""
    f = closed_form_evaluator()
    a_plus, a_minus, b0_, t0_ = 0.3, 0.2, 1.5, 1.0
    rate = 2 * math.sqrt(a_plus * a_minus)
    binf = 0.5 * math.log(a_plus / a_minus)
    t_ = t0_ * math.exp(20.0 / rate)  # g = 20
    C = (f(t_, t0_, b0_, a_plus, a_minus) - binf) * math.exp(20.0)
    assert C == pytest.approx(2 * math.tanh((b0_ - binf) / 2), rel=DERIV_LATE_CONSTANT_RTOL)


@pytest.mark.parametrize("kwargs, match", [
    (dict(t_=0.5, t0_=1.0), "`t` must be >= `t0`"),
    (dict(t0_=-1.0), "`t0` must be positive"),
    (dict(A_plus=0.0), "`A_plus` must be positive"),
    (dict(A_minus=-2.0), "`A_minus` must be positive"),
    (dict(b0_=float("nan")), "`b0` must be finite"),
])
def test_closed_form_validation(kwargs, match):
    args = dict(t_=2.0, t0_=1.0, b0_=0.0, A_plus=1.0, A_minus=1.0) | kwargs
    with pytest.raises(ValueError, match=match):
        closed_form_evaluator()(**args)


def test_symbolic_limit_and_expansion_agree_with_exports():
    """The exported sympy objects are the ones the derivation checked (no silent drift)."""
    d = derivation_by_id("thm4.5")
    assert any(isinstance(s.expr, sp.Equality) and s.expr.rhs == b_closed for s in d.steps)
    assert d.result.rhs == b_closed
    assert sp.expand_log(b_inf - sp.log(A_p / A_m) / 2, force=True) == 0
    assert b.is_real

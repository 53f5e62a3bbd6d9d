"""Machine-checked derivations: a chain of sympy steps, each with a justification and a check.

A :class:`Derivation` of arXiv:2602.08302 is a tuple of :class:`Step` objects. Each step holds a
sympy equation (or relation), prose citing the paper's equation numbers, and the kind of check
that establishes it:

* ``"definition"`` -- introduces a symbol or function (``Eq(name, value)``); checked only for
  well-formedness (the name is a symbol or an applied function, is not defined twice, and does
  not appear in its own value).
* ``"identity"`` -- ``lhs - rhs`` reduces to 0 under one of a list of targeted sympy rewrites
  (``expand``, ``cancel``, ``expand_log(force=True)`` ...); the first that succeeds is reported.
* ``"numeric"`` -- ``lhs`` and ``rhs`` agree at random points of the derivation's stated domain,
  evaluated with mpmath at 50 digits, to a stated relative tolerance. Used only where sympy cannot
  close the identity (piecewise formulas with ``Max``/``Min``, for instance).
* ``"limit"`` -- ``Eq(Limit(f, x, x0), L)``, checked by ``sympy.limit``.
* ``"series"`` -- ``Eq(f, approx + O(x**n, (x, x0)))``, checked by ``sympy.series`` of
  ``f - approx``.
* ``"sign"`` -- an inequality ``a < b`` (``<=``, ``>``, ``>=``), checked through sympy's
  assumptions system on ``a - b`` (symbols carry ``positive=True`` etc.).

``Derivation.verify()`` returns a :class:`VerificationReport`; a wrong step fails and the report
says which. ``to_markdown()`` / ``to_latex()`` render every step as display math (``$$`` on lines
of its own, which GitHub renders) with its justification and how it was checked.
"""

from __future__ import annotations

import functools
import math
import zlib
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

CHECK_KINDS = ("definition", "identity", "numeric", "limit", "series", "sign")

#: Working precision of the ``numeric`` check, in decimal digits.
NUMERIC_DPS = 50
#: Default relative tolerance of the ``numeric`` check: 20 digits of slack below 50-digit arithmetic,
#: far above rounding error and far below any genuine discrepancy of a formula.
NUMERIC_RTOL = 1e-30
#: Default number of random points of the ``numeric`` check.
NUMERIC_POINTS = 12


def _cancel_together(e):
    return sp.cancel(sp.together(e))


def _powsimp(e):
    return sp.cancel(sp.powsimp(sp.expand(e), force=True))


def _expand_log(e):
    return sp.cancel(sp.expand(sp.expand_log(e, force=True), force=True))


def _logcombine(e):
    return sp.cancel(sp.logcombine(sp.expand_log(e, force=True), force=True))


def _exp_rewrite(e):
    return sp.cancel(sp.expand(e.rewrite(sp.exp), force=True))


def _radsimp(e):
    return sp.radsimp(sp.cancel(e))


def _cancel_inside(e):
    # cancel the argument of every exp/log, then the whole expression
    return sp.cancel(e.replace(lambda z: isinstance(z, (sp.exp, sp.log)),
                               lambda z: z.func(sp.cancel(z.args[0]))))


def _exp_cancel(e):
    # exp(lhs - rhs) - 1: zero iff lhs - rhs = 0 for real-valued sides (exp is injective on R).
    return sp.cancel(sp.expand(sp.exp(e), force=True)) - 1


#: Rewrites tried by the ``identity`` check, by name. Each maps an expression to one that is
#: literally 0 when the identity holds (for the rewrites that succeed). ``exp_cancel`` tests
#: ``exp(lhs - rhs) = 1``, a proof only for real-valued sides (logs of positive quantities).
REWRITES = {
    "expand": sp.expand,
    "cancel": sp.cancel,
    "together": _cancel_together,
    "powsimp": _powsimp,
    "expand_log": _expand_log,
    "logcombine": _logcombine,
    "exp_rewrite": _exp_rewrite,
    "radsimp": _radsimp,
    "exp_cancel": _exp_cancel,
    "cancel_inside": _cancel_inside,
    "simplify": sp.simplify,
}
#: Default order: cheap targeted rewrites first, ``simplify`` only as the last resort.
DEFAULT_METHODS = ("expand", "cancel", "together", "powsimp", "expand_log", "radsimp", "simplify")


@dataclass(frozen=True)
class Assumption:
    """One hypothesis of a derivation, as prose and, where possible, as sympy relations.

    ``relations`` are machine-readable (``gamma > 0``); the ``numeric`` check rejects sample
    points that violate any of them.
    """

    label: str
    statement: str
    relations: tuple = ()

    def __post_init__(self):
        for rel in self.relations:
            if not isinstance(rel, sp.Rel):
                raise ValueError(
                    f"`relations` of {self.label!r} must be unevaluated sympy relations "
                    f"(build them with gt/ge/lt/le), got {rel!r}"
                )


@dataclass(frozen=True)
class DomainVar:
    """Sampling interval ``[low, high]`` of one symbol for the ``numeric`` check.

    ``low`` and ``high`` may be sympy expressions of symbols listed *earlier* in the domain
    (``c`` in ``[gamma/2, alpha*gamma]``). With ``log=True`` the draw is log-uniform.
    """

    symbol: sp.Symbol
    low: object
    high: object
    log: bool = False


@dataclass(frozen=True)
class Step:
    """One step of a derivation.

    Args:
        expr: ``sympy.Eq(lhs, rhs)`` (build with ``evaluate=False``), a bare expression
            (meaning ``expr == 0``), or for ``check="sign"`` an inequality.
        justification: prose citing the paper's equation numbers; inline math as ``$...$``.
        check: one of :data:`CHECK_KINDS`.
        methods: rewrites of :data:`REWRITES` tried in order (``identity``, and to close the
            result of ``limit``/``series``/``sign``).
        given: substitutions ``((symbol, value), ...)`` applied before checking (constraints such
            as $y_s \\hat w^T x_s = 1$ solved for one coordinate); shown in the rendering.
        rtol: relative tolerance of the ``numeric`` check.
        points: number of random points of the ``numeric`` check.
    """

    expr: object
    justification: str
    check: str
    methods: tuple = DEFAULT_METHODS
    given: tuple = ()
    rtol: float = NUMERIC_RTOL
    points: int = NUMERIC_POINTS

    def __post_init__(self):
        if self.check not in CHECK_KINDS:
            raise ValueError(f"`check` must be one of {CHECK_KINDS}, got {self.check!r}")
        unknown = [m for m in self.methods if m not in REWRITES]
        if unknown:
            raise ValueError(f"`methods` must be names from REWRITES, got unknown {unknown}")
        if not (self.rtol > 0 and math.isfinite(self.rtol)):
            raise ValueError(f"`rtol` must be positive and finite, got {self.rtol}")


@dataclass(frozen=True)
class StepReport:
    """Outcome of checking one step: ``digits`` is ``inf`` for exact checks."""

    index: int
    check: str
    passed: bool
    method: str
    digits: float
    max_error: float
    detail: str = ""


@dataclass(frozen=True)
class VerificationReport:
    """Outcome of :meth:`Derivation.verify`.

    ``passed`` requires every step to pass and the stated ``result`` to be the expression of a
    checked (non-definition) step.
    """

    derivation_id: str
    steps: tuple
    result_established: bool

    @property
    def passed(self) -> bool:
        return self.result_established and all(s.passed for s in self.steps)

    @property
    def failures(self) -> tuple:
        return tuple(s for s in self.steps if not s.passed)

    def summary(self) -> str:
        """One line per failing step, or ``"<id>: all N steps verified"``."""
        if self.passed:
            return f"{self.derivation_id}: all {len(self.steps)} steps verified"
        lines = [f"{self.derivation_id}: FAILED"]
        lines += [f"  step {s.index} ({s.check}): {s.detail}" for s in self.failures]
        if not self.result_established:
            lines.append("  the stated result is not the expression of any checked step")
        return "\n".join(lines)


@dataclass(frozen=True)
class Derivation:
    """A machine-checked derivation of one statement of arXiv:2602.08302.

    Args:
        id: stable identifier (``"thm4.5"``).
        title: one line.
        reference: where the statement is in the paper ("Theorem 4.5, eqs. (10)-(11)").
        assumptions: tuple of :class:`Assumption`.
        steps: tuple of :class:`Step`, in order.
        result: the conclusion; must equal the ``expr`` of a checked step.
        domain: tuple of :class:`DomainVar` for the ``numeric`` checks.
        discrepancies: places where the paper's statement does not follow, with the corrected
            statement (empty when the derivation confirms the paper).
        notation: ``((expression, display), ...)``: abbreviations used only when rendering
            (``sqrt(A_-/A_+)`` shown as ``delta``); listed in the rendering, never in checks.
    """

    id: str
    title: str
    reference: str
    assumptions: tuple
    steps: tuple
    result: object
    domain: tuple = ()
    discrepancies: tuple = ()
    notation: tuple = ()

    def __post_init__(self):
        if not self.steps:
            raise ValueError(f"`steps` of derivation {self.id!r} must not be empty")
        sampled = {v.symbol for v in self.domain}
        for i, step in enumerate(self.steps, start=1):
            if step.check == "numeric":
                missing = _free_symbols(step) - sampled
                if missing:
                    raise ValueError(
                        f"step {i} of {self.id!r} is numeric but the domain lacks "
                        f"{sorted(map(str, missing))}; add DomainVar entries for them"
                    )

    def verify(self) -> VerificationReport:
        """Check every step; see the module docstring for what each kind of check does."""
        return _verify_cached(self)

    def to_markdown(self, report: VerificationReport | None = None) -> str:
        """GitHub-flavoured Markdown; display math in ``$$`` blocks on lines of their own."""
        from theory.derivation_render import render

        return render(self, report, markdown=True)

    def to_latex(self, report: VerificationReport | None = None) -> str:
        """A LaTeX fragment (``\\subsection*`` and ``$$`` display math) for inclusion in a document."""
        from theory.derivation_render import render

        return render(self, report, markdown=False)


def eq(lhs, rhs) -> sp.Eq:
    """``sympy.Eq(lhs, rhs)`` that is never evaluated to ``True``/``False``."""
    return sp.Eq(lhs, rhs, evaluate=False)


def lt(lhs, rhs) -> sp.StrictLessThan:
    """``lhs < rhs``, never evaluated (for ``check="sign"``)."""
    return sp.StrictLessThan(lhs, rhs, evaluate=False)


def le(lhs, rhs) -> sp.LessThan:
    """``lhs <= rhs``, never evaluated (for ``check="sign"``)."""
    return sp.LessThan(lhs, rhs, evaluate=False)


def ge(lhs, rhs) -> sp.GreaterThan:
    """``lhs >= rhs``, never evaluated."""
    return sp.GreaterThan(lhs, rhs, evaluate=False)


def gt(lhs, rhs) -> sp.StrictGreaterThan:
    """``lhs > rhs``, never evaluated (for ``check="sign"``)."""
    return sp.StrictGreaterThan(lhs, rhs, evaluate=False)


# --- checking ----------------------------------------------------------------------------------


def _sides(expr):
    if isinstance(expr, sp.Equality):
        return expr.lhs, expr.rhs
    return expr, sp.Integer(0)


def _free_symbols(step: Step) -> set:
    lhs, rhs = _sides(step.expr)
    syms = set(lhs.free_symbols) | set(rhs.free_symbols)
    for old, new in step.given:
        syms.discard(old)
        syms |= set(sp.sympify(new).free_symbols)
    return syms


def _substitute(e, given):
    if given:
        e = e.subs(list(given))
    return e


def _is_zero(e) -> bool:
    if isinstance(e, sp.MatrixBase):
        return all(x == 0 for x in e)
    return e == 0


def _reduce_to_zero(e, methods):
    """First rewrite in ``methods`` that maps ``e`` to literally 0, or ``None``."""
    if _is_zero(e):
        return "doit"  # zero once derivatives, integrals and substitutions are evaluated
    for name in methods:
        f = REWRITES[name]
        out = e.applyfunc(f) if isinstance(e, sp.MatrixBase) else f(e)
        if _is_zero(out):
            return name
    return None


def _short(e, n=200) -> str:
    s = str(e)
    return s if len(s) <= n else s[:n] + " ..."


def _check_definition(step, index, defined):
    lhs, rhs = _sides(step.expr)
    ok_kind = isinstance(lhs, (sp.Symbol, sp.Indexed)) or isinstance(
        lhs, sp.core.function.AppliedUndef
    )
    if not isinstance(step.expr, sp.Equality) or not ok_kind:
        return StepReport(index, "definition", False, "-", 0.0, math.inf,
                          "a definition must be Eq(symbol or f(args), value)")
    if lhs in defined:
        return StepReport(index, "definition", False, "-", 0.0, math.inf,
                          f"{lhs} is defined twice")
    if rhs.has(lhs):
        return StepReport(index, "definition", False, "-", 0.0, math.inf,
                          f"{lhs} appears in its own definition")
    defined.add(lhs)
    return StepReport(index, "definition", True, "definition", math.inf, 0.0)


def _check_identity(step, index):
    lhs, rhs = _sides(step.expr)
    diff = _substitute((lhs - rhs).doit(), step.given)
    method = _reduce_to_zero(diff, step.methods)
    if method is None:
        return StepReport(index, "identity", False, "-", 0.0, math.inf,
                          f"lhs - rhs did not reduce to 0 under {step.methods}: {_short(diff)}")
    return StepReport(index, "identity", True, method, math.inf, 0.0)


def _check_limit(step, index):
    lhs, rhs = _sides(step.expr)
    if not isinstance(lhs, sp.Limit):
        return StepReport(index, "limit", False, "-", 0.0, math.inf,
                          "a limit step must be Eq(Limit(f, x, x0), value)")
    f, x, x0, direction = lhs.args
    f = _substitute(f, step.given)
    value = sp.limit(f, x, x0, str(direction))
    rhs = _substitute(rhs, step.given)
    if value.is_infinite or rhs.is_infinite:
        method = "infinite" if value == rhs else None
    else:
        method = _reduce_to_zero(value - rhs, step.methods)
    if method is None:
        return StepReport(index, "limit", False, "-", 0.0, math.inf,
                          f"sympy.limit gives {_short(value)}, not {_short(rhs)}")
    return StepReport(index, "limit", True, f"sympy.limit + {method}", math.inf, 0.0)


def _check_series(step, index):
    lhs, rhs = _sides(step.expr)
    order = rhs.getO() if hasattr(rhs, "getO") else None
    if order is None:
        return StepReport(index, "series", False, "-", 0.0, math.inf,
                          "a series step must be Eq(f, approx + O(x**n, (x, x0)))")
    (x, x0), = [tuple(v) for v in zip(order.variables, order.point)]
    n = sp.degree(order.expr.subs(x, x + x0) if x0 != 0 else order.expr, x)
    approx = rhs.removeO()
    remainder = sp.series(_substitute(lhs - approx, step.given), x, x0, int(n)).removeO()
    method = _reduce_to_zero(remainder, step.methods)
    if method is None:
        return StepReport(index, "series", False, "-", 0.0, math.inf,
                          f"f - approx has low-order terms {_short(remainder)}")
    return StepReport(index, "series", True, f"sympy.series + {method}", math.inf, 0.0)


_SIGN_TESTS = {
    sp.StrictLessThan: ("is_negative", "< 0"),
    sp.LessThan: ("is_nonpositive", "<= 0"),
    sp.StrictGreaterThan: ("is_positive", "> 0"),
    sp.GreaterThan: ("is_nonnegative", ">= 0"),
}


def _rewrite_inside_minmax(f, e):
    """Apply ``f`` to the arguments of a ``Min``/``Max`` (whose sign sympy reads from them)."""
    if isinstance(e, (sp.Min, sp.Max)):
        return e.func(*[f(arg) for arg in e.args])
    return f(e)


def _check_sign(step, index):
    rel = step.expr
    if type(rel) not in _SIGN_TESTS:
        return StepReport(index, "sign", False, "-", 0.0, math.inf,
                          "a sign step must be an inequality (<, <=, >, >=)")
    attr, text = _SIGN_TESTS[type(rel)]
    diff = _substitute((rel.lhs - rel.rhs).doit(), step.given)
    candidates = [("assumptions", diff)] + [(m, _rewrite_inside_minmax(REWRITES[m], diff))
                                            for m in step.methods]
    for name, e in candidates:
        e = _rewrite_inside_minmax(sp.factor, e) if name != "assumptions" else e
        if getattr(e, attr) is True:
            return StepReport(index, "sign", True, f"{name} (sympy assumptions)", math.inf, 0.0)
    return StepReport(index, "sign", False, "-", 0.0, math.inf,
                      f"sympy cannot establish lhs - rhs {text}: {_short(diff)}")


def _sample_points(derivation, step_index, n):
    """``n`` points of the derivation's domain that satisfy every assumption relation."""
    rng = np.random.default_rng(zlib.crc32(f"{derivation.id}/{step_index}".encode()))
    relations = [r for a in derivation.assumptions for r in a.relations]
    points = []
    for _ in range(200 * n):
        if len(points) == n:
            break
        point = {}
        for var in derivation.domain:
            lo = float(sp.sympify(var.low).subs(point))
            hi = float(sp.sympify(var.high).subs(point))
            if not lo <= hi:
                break
            if var.log:
                value = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
            else:
                value = float(rng.uniform(lo, hi))
            _check_symbol_domain(var.symbol, value)
            point[var.symbol] = sp.Float(value, NUMERIC_DPS)
        else:
            if all(bool(r.subs(point)) for r in relations if r.free_symbols <= set(point)):
                points.append(point)
    if len(points) < n:
        raise ValueError(
            f"the domain of {derivation.id!r} yields only {len(points)} of {n} points that satisfy "
            "its assumptions; widen the DomainVar intervals or fix the assumptions"
        )
    return points


def _check_symbol_domain(symbol, value):
    if symbol.is_positive and not value > 0:
        raise ValueError(f"domain of positive symbol `{symbol}` must be positive, drew {value}")
    if symbol.is_nonnegative and not value >= 0:
        raise ValueError(f"domain of nonnegative symbol `{symbol}` must be >= 0, drew {value}")


def _check_numeric(step, index, derivation):
    lhs, rhs = _sides(step.expr)
    lhs = _substitute(lhs.doit(), step.given)
    rhs = _substitute(rhs.doit(), step.given)
    syms = sorted(lhs.free_symbols | rhs.free_symbols, key=str)
    f_lhs = sp.lambdify(syms, lhs, modules="mpmath")
    f_rhs = sp.lambdify(syms, rhs, modules="mpmath")
    worst = 0.0
    with mpmath.workdps(NUMERIC_DPS):
        for point in _sample_points(derivation, index, step.points):
            args = [mpmath.mpf(str(point[s])) for s in syms]
            a, b = f_lhs(*args), f_rhs(*args)
            scale = max(abs(a), abs(b))
            err = 0.0 if scale == 0 else float(abs(a - b) / scale)
            worst = max(worst, err)
    digits = math.inf if worst == 0 else -math.log10(worst)
    passed = worst <= step.rtol
    detail = "" if passed else f"max relative error {worst:.3g} > rtol {step.rtol:.1g}"
    method = f"mpmath {NUMERIC_DPS} digits, {step.points} points, rtol {step.rtol:.0e}"
    return StepReport(index, "numeric", passed, method, min(digits, NUMERIC_DPS), worst, detail)


@functools.lru_cache(maxsize=None)
def _verify_cached(derivation: Derivation) -> VerificationReport:
    defined: set = set()
    reports = []
    for i, step in enumerate(derivation.steps, start=1):
        try:
            if step.check == "definition":
                rep = _check_definition(step, i, defined)
            elif step.check == "identity":
                rep = _check_identity(step, i)
            elif step.check == "numeric":
                rep = _check_numeric(step, i, derivation)
            elif step.check == "limit":
                rep = _check_limit(step, i)
            elif step.check == "series":
                rep = _check_series(step, i)
            else:
                rep = _check_sign(step, i)
        except (TypeError, ValueError, NotImplementedError, sp.PolynomialError) as exc:
            rep = StepReport(i, step.check, False, "-", 0.0, math.inf, f"check raised {exc!r}")
        reports.append(rep)
    established = any(
        s.check != "definition" and same_expr(s.expr, derivation.result) for s in derivation.steps
    )
    return VerificationReport(derivation.id, tuple(reports), established)


def same_expr(a, b) -> bool:
    """Structural equality of two sympy objects of the same type (relations are not evaluated)."""
    return a is b or (type(a) is type(b) and a == b)

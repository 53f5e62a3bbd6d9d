"""Rendering of :class:`theory.derivation.Derivation` objects as Markdown or LaTeX.

Every step becomes display math in ``$$`` blocks on lines of their own (GitHub renders these),
preceded by its justification and followed by how it was checked and, given a report, the
outcome. Display abbreviations (``Derivation.notation``) are applied here only, never in checks.
"""

from __future__ import annotations

import math

import sympy as sp

from theory.derivation import Derivation, VerificationReport, same_expr


_HOW = {
    "definition": "definition (nothing to check)",
    "identity": "identity: lhs - rhs reduces to 0 by a sympy rewrite",
    "numeric": "numeric: mpmath at 50 digits at random points of the stated domain",
    "limit": "limit: computed by `sympy.limit`",
    "series": "series: `sympy.series` of lhs minus the stated approximation has no lower terms",
    "sign": "sign: established by sympy's assumptions on the symbols",
}


_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}", "%": r"\%", "&": r"\&", "#": r"\#", "_": r"\_", "{": r"\{",
    "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "`": "",
}


def _latex_escape_prose(text: str) -> str:
    """Escape LaTeX specials outside ``$...$`` math segments (odd-numbered parts are math)."""
    parts = text.split("$")
    for i in range(0, len(parts), 2):
        parts[i] = "".join(_LATEX_SPECIALS.get(c, c) for c in parts[i])
    return "$".join(parts)


def _abbreviate(expr, notation):
    """Apply the display abbreviations side by side, so that no relation gets evaluated."""
    if not notation:
        return expr
    if isinstance(expr, sp.Rel):
        return type(expr)(_abbreviate(expr.lhs, notation), _abbreviate(expr.rhs, notation),
                          evaluate=False)
    for old, new in notation:
        expr = expr.subs(old, new)
    return expr


def _math(expr, notation=()) -> str:
    return sp.latex(_abbreviate(expr, notation))


def render(d: Derivation, report: VerificationReport | None, markdown: bool) -> str:
    """Markdown (``markdown=True``) or LaTeX rendering of a derivation; see ``Derivation.to_markdown``."""
    prose = (lambda s: s) if markdown else _latex_escape_prose
    out = []
    if markdown:
        out += [f"## `{d.id}`: {d.title}", "", f"*Reference:* {d.reference}", ""]
    else:
        out += [rf"\subsection*{{{prose(d.title)} ({prose(d.id)})}}", "",
                rf"\textit{{Reference:}} {prose(d.reference)}", ""]
    out += ["**Assumptions**" if markdown else r"\paragraph{Assumptions}", ""]
    for a in d.assumptions:
        rel = ", ".join(f"${_math(r)}$" for r in a.relations)
        rel = f" ({rel})" if rel else ""
        item = f"{a.label}: {prose(a.statement)}{rel}"
        out.append(f"- {item}" if markdown else rf"\noindent {item}\par")
    out.append("")
    if d.notation:
        notes = "; ".join(f"${_math(new)} = {_math(old)}$" for old, new in d.notation
                          if not isinstance(old, sp.exp))
        out += [("*Notation:* " if markdown else r"\textit{Notation:} ") + notes, ""]
    if d.domain:
        dom = "; ".join(
            f"${_math(v.symbol)} \\in [{_math(sp.sympify(v.low))}, {_math(sp.sympify(v.high))}]$"
            + (" (log-uniform)" if v.log else "")
            for v in d.domain
        )
        out += [("*Domain of the numeric checks:* " if markdown else r"\textit{Domain:} ") + dom, ""]
    for i, step in enumerate(d.steps, start=1):
        how = _HOW[step.check]
        if report is not None:
            r = report.steps[i - 1]
            status = "passed" if r.passed else "FAILED"
            how += f"; {status} ({r.method}"
            how += f", {r.digits:.1f} digits)" if math.isfinite(r.digits) else ")"
        if markdown:
            out += [f"**Step {i}.** {step.justification}", ""]
        else:
            out += [rf"\paragraph{{Step {i}.}} {prose(step.justification)}", ""]
        out += ["$$", _math(step.expr, d.notation), "$$", ""]
        if step.given:
            using = ", ".join(f"${_math(old, d.notation)} = {_math(new)}$"
                              for old, new in step.given)
            out += [("*Using* " if markdown else r"\textit{Using} ") + using, ""]
        out += [(f"*Check:* {how}." if markdown else rf"\textit{{Check:}} {prose(how)}."), ""]
    out += ["**Result**" if markdown else r"\paragraph{Result}", "", "$$",
            _math(d.result, d.notation), "$$", ""]
    source = next((s for s in d.steps if s.check != "definition" and same_expr(s.expr, d.result)), None)
    if source is not None and source.given:
        using = ", ".join(f"${_math(old)} = {_math(new)}$" for old, new in source.given)
        out += [("*Using* " if markdown else r"\textit{Using} ") + using, ""]
    if d.discrepancies:
        out += ["**Discrepancies with the paper**" if markdown
                else r"\paragraph{Discrepancies with the paper}", ""]
        for text in d.discrepancies:
            out.append(f"- {text}" if markdown else rf"\noindent {prose(text)}\par")
        out.append("")
    return "\n".join(out)

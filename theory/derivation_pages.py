"""The derivation pages of the documentation: each machine-checked derivation as a Markdown page.

:func:`derivation_pages` renders every derivation of :mod:`theory.derivations` (in the order of
``DERIVATION_IDS``) with its verification report: each step as display math, its justification and
how it was machine-checked; discrepancies with the paper come first, as findings; ``index.md`` lists
them all. The output is byte-for-byte deterministic (no time stamps, no addresses, no hash order);
numeric errors are shown as an order-of-magnitude bound.

Mathematics is written for both GitHub and MkDocs (pymdownx.arithmatex): ``$$`` alone on its lines
with blank lines around, and LaTeX rewritten by :func:`markdown_safe_math` so that Markdown's
escapes and emphasis cannot touch it. (:meth:`theory.derivation.Derivation.to_markdown` is the plain
rendering of one derivation; these pages add the navigation, the findings and the check table.)
"""

from __future__ import annotations

import re

import sympy as sp

from theory.derivation import CHECK_KINDS, NUMERIC_DPS, same_expr
from theory.derivation_render import _math  # the LaTeX of Derivation.to_markdown, notation applied
from theory.derivations import all_derivations

__all__ = ["markdown_safe_math", "markdown_safe_prose", "cited_equations", "derivation_page", "derivations_index",
           "derivation_pages"]

_PAPER = "arXiv:2602.08302"


# --- LaTeX that survives Markdown ------------------------------------------------------------

# Control symbols made of a backslash and ASCII punctuation are Markdown escapes (GitHub turns
# `\,` into `,` and `\{` into `{` even inside math), so they are replaced by control words that
# MathJax 3.2 knows (it has no `\medspace` / `\thickspace`: explicit mu skips instead).
_CONTROL_SYMBOLS = {
    ",": r"\thinspace", ":": r"\mskip{4mu}", ">": r"\mskip{4mu}", ";": r"\mskip{5mu}",
    "!": r"\negthinspace", "{": r"\lbrace", "}": r"\rbrace", "|": r"\Vert",
}
# `*` and `_` delimit emphasis and `<` opens HTML; `^*` would be read as emphasis on GitHub.
_CHARACTERS = {"*": r"\ast", "<": r"\lt", ">": r"\gt"}
_TOKEN = re.compile(r"\\\\|\\[A-Za-z]+|\\.|.", re.DOTALL)


def markdown_safe_math(latex: str, display: bool = True) -> str:
    """LaTeX with the same meaning that Markdown (GitHub's or Python-Markdown's) leaves intact.

    * ``\\,`` ``\\:`` ``\\;`` ``\\!`` ``\\{`` ``\\}`` ``\\|`` become ``\\thinspace``,
      ``\\mskip{4mu}``, ``\\mskip{5mu}``, ``\\negthinspace``, ``\\lbrace``, ``\\rbrace``,
      ``\\Vert`` (a backslash before punctuation is a Markdown escape);
    * ``*`` ``<`` ``>`` become ``\\ast`` ``\\lt`` ``\\gt``;
    * every ``_`` is preceded by a space, so that no ``_`` can close emphasis;
    * in display math every ``\\\\`` (row break) ends its line, as GitHub requires, and the
      next row is indented by four spaces, so that a row starting with ``-`` or ``+`` cannot
      start a Markdown list; other line breaks become spaces.

    A control word gets a trailing space only before a letter, so ``$\\|x\\|$`` becomes
    ``$\\Vert x\\Vert$`` (no space before the closing ``$``). Whitespace is insignificant in
    TeX math, so the formula renders exactly as before.

    Args:
        latex: a LaTeX math fragment (no surrounding ``$``).
        display: whether the fragment is a ``$$`` block (row breaks become line breaks).

    Returns:
        The rewritten fragment.
    """
    tokens = _TOKEN.findall(latex)
    out: list[str] = []
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if tok == "\\\\":
            out.append("\\\\\n    " if display else tok)
            continue
        if tok.isspace():
            if display and out and out[-1].endswith("\n    "):
                continue  # the row break already ends the line
            tok = " " if "\n" in tok else tok  # only row breaks start new lines
        if tok == "_":
            if out and not out[-1][-1:].isspace():
                out.append(" ")
            out.append(tok)
            continue
        word = None
        if len(tok) == 2 and tok[0] == "\\" and tok[1] in _CONTROL_SYMBOLS:
            word = _CONTROL_SYMBOLS[tok[1]]
        elif tok in _CHARACTERS and not (out and out[-1] in (r"\left", r"\right")):
            word = _CHARACTERS[tok]
        if word is None:
            out.append(tok)
        else:
            out.append(word + (" " if nxt[:1].isalpha() else ""))
    return "".join(out).rstrip()


def markdown_safe_prose(text: str) -> str:
    """Prose with its inline ``$...$`` segments passed through :func:`markdown_safe_math`."""
    parts = text.split("$")
    if len(parts) % 2 == 0:
        raise ValueError(f"unbalanced `$` in prose: {text[:80]!r}; close every inline formula")
    for i in range(1, len(parts), 2):
        parts[i] = markdown_safe_math(parts[i], display=False)
    return "$".join(parts)


def _display(latex: str) -> list[str]:
    return ["", "$$", markdown_safe_math(latex), "$$", ""]


# --- derivation pages ------------------------------------------------------------------------

_EQ_RANGE = re.compile(r"\((\d+)\)\s*-\s*\((\d+)\)")
_EQ_SINGLE = re.compile(r"\((\d+)\)")


def cited_equations(text: str) -> tuple[int, ...]:
    """Equation numbers cited as ``(n)`` or ``(n)-(m)`` after "eq."/"eqs." in ``text``, sorted.

    >>> cited_equations("Theorem 4.5, eqs. (10)-(11), (5) and Appendix A.1; Eq. (14)")
    (5, 10, 11, 14)
    """
    found: set[int] = set()
    for m in re.finditer(r"\beqs?\.\s*((?:\(\d+\)(?:\s*-\s*\(\d+\))?(?:,\s*|\s+and\s+)?)+)", text,
                         flags=re.IGNORECASE):
        chunk = m.group(1)
        for lo, hi in _EQ_RANGE.findall(chunk):
            found.update(range(int(lo), int(hi) + 1))
        found.update(int(n) for n in _EQ_SINGLE.findall(chunk))
    return tuple(sorted(found))


def _error_bound(err: float) -> str:
    """``"< 1e-50"`` for 2.2e-51: the next power of ten, stable under last-digit noise."""
    if err == 0:
        return "0 at every point"
    exponent = int(f"{err:e}".split("e")[1]) + 1
    return f"< 1e{exponent}"


_IDENTITY_NOTES = {
    "doit": "identity: lhs - rhs is 0 once derivatives and substitutions are evaluated (`doit`)",
    "exp_cancel": "identity: exp(lhs - rhs) reduces to 1 by the sympy rewrite `exp_cancel` "
                  "(a proof for real-valued sides)",
    "simplify": "identity: lhs - rhs reduces to 0 by `sympy.simplify` (the last resort)",
}


def _how_checked(step, rep) -> str:
    """One sentence: what kind of check, which method closed it, and the outcome."""
    if not rep.passed:
        return f"**FAILED**, {step.check} check: {_code(rep.detail)}"
    if step.check == "definition":
        text = "definition: introduces the left-hand side (checked for well-formedness only)"
    elif step.check == "identity":
        text = _IDENTITY_NOTES.get(rep.method, f"identity: lhs - rhs reduces to 0 by the sympy "
                                                f"rewrite `{rep.method}`")
    elif step.check == "numeric":
        text = (f"numeric spot check: mpmath at {NUMERIC_DPS} digits at {step.points} random points "
                f"of the domain, max relative error {_error_bound(rep.max_error)} "
                f"(tolerance {step.rtol:.0e})")
    elif step.check == "limit":
        text = f"limit: computed by `sympy.limit`, closed by `{rep.method}`"
    elif step.check == "series":
        text = ("series: `sympy.series` of lhs minus the approximation has no lower-order terms "
                f"(`{rep.method}`)")
    else:
        text = f"sign: established by sympy's assumptions on the symbols (`{rep.method}`)"
    return f"**passed**, {text}"


def _method_cell(step, rep) -> str:
    if not rep.passed:
        return "FAILED"
    if step.check == "numeric":
        return f"{step.points} points, error {_error_bound(rep.max_error)}"
    return "well-formed" if step.check == "definition" else f"`{rep.method}`"


def _status(report) -> str:
    return "verified" if report.passed else "FAILED"


def _code(text: str) -> str:
    """``text`` as a Markdown code span (sympy output would otherwise be read as emphasis)."""
    ticks = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    return f"{ticks} {text} {ticks}"


def _check_counts(derivation) -> str:
    counts = [(k, sum(s.check == k for s in derivation.steps)) for k in CHECK_KINDS]
    return ", ".join(f"{n} {k}" for k, n in counts if n)


def _plain(text: str) -> str:
    """Prose for a Markdown table cell (``|`` would split the cell)."""
    return markdown_safe_prose(text).replace("|", r"\|")


def derivation_page(derivation, report, prev_id: str | None, next_id: str | None, *, header: str = "") -> str:
    """The Markdown page of one derivation (see the module docstring); ``header``: a first line, if any."""
    d = derivation
    nav = ["[All derivations](index.md)"]
    if prev_id:
        nav.append(f"previous: [`{prev_id}`]({prev_id}.md)")
    if next_id:
        nav.append(f"next: [`{next_id}`]({next_id}.md)")
    eqs = cited_equations(" ".join([d.reference] + [s.justification for s in d.steps]
                                   + list(d.discrepancies)))
    n_checked = sum(s.check != "definition" for s in d.steps)
    lines = ([header, ""] if header else []) + [f"# `{d.id}`: {markdown_safe_prose(d.title)}", "",
             " · ".join(nav), "",
             f"**Reference:** {markdown_safe_prose(d.reference)}", ""]
    if eqs:
        lines += ["**Equations of the paper used on this page:** "
                  + ", ".join(f"({n})" for n in eqs), ""]
    if report.passed:
        lines += [f"**Status: verified.** All {len(d.steps)} steps pass their machine checks "
                  f"({_check_counts(d)}), and the result below is the conclusion of a checked step.", ""]
    else:
        failed = ", ".join(str(s.index) for s in report.failures) or "none"
        lines += [f"**Status: FAILED.** Failing steps: {failed}."
                  + ("" if report.result_established
                     else " The stated result is not the conclusion of any checked step."), ""]
    if d.discrepancies:
        lines += ["## Findings: where the paper's statement does not follow", ""]
        for i, text in enumerate(d.discrepancies, start=1):
            lines += [f"> **Finding {i}.** {markdown_safe_prose(text)}", ""]
    elif report.passed:
        lines += ["No discrepancy with the paper: the derivation confirms the statement as written.", ""]
    else:
        lines += ["Until every step passes, this derivation neither confirms nor refutes the paper.", ""]
    lines += ["## Result"] + _display(_math(d.result, d.notation))
    source = next((s for s in d.steps if s.check != "definition" and same_expr(s.expr, d.result)), None)
    if source is not None and source.given:
        lines += ["*Using* " + _using(source.given, ()), ""]
    lines += ["## Assumptions", ""] + ([] if d.assumptions else ["None stated."])
    for a in d.assumptions:
        rel = ", ".join(f"${markdown_safe_math(_math(r), display=False)}$" for r in a.relations)
        lines.append(f"- **{markdown_safe_prose(a.label)}.** {markdown_safe_prose(a.statement)}"
                     + (f" ({rel})" if rel else ""))
    lines.append("")
    if d.notation:
        notes = "; ".join(f"${markdown_safe_math(_math(new) + ' = ' + _math(old), display=False)}$"
                          for old, new in d.notation if not isinstance(old, sp.exp))
        lines += [f"**Notation** (display only; the checks use the full expressions): {notes}", ""]
    if d.domain:
        dom = "; ".join(
            "$" + markdown_safe_math(f"{_math(v.symbol)} \\in [{_math(sp.sympify(v.low))}, "
                                     f"{_math(sp.sympify(v.high))}]", display=False) + "$"
            + (" (log-uniform)" if v.log else "")
            for v in d.domain)
        lines += [f"**Domain of the numeric checks:** {dom}", ""]
    lines += ["## Steps", "", f"{len(d.steps)} steps, {n_checked} of them checked.", "",
              "| step | check | closed by | outcome |", "|---:|---|---|---|"]
    for step, rep in zip(d.steps, report.steps):
        lines.append(f"| [{rep.index}](#step-{rep.index}) | {step.check} | {_method_cell(step, rep)} | "
                     f"{'passed' if rep.passed else 'FAILED'} |")
    lines.append("")
    for step, rep in zip(d.steps, report.steps):
        lines += [f"### Step {rep.index}", "", markdown_safe_prose(step.justification)]
        lines += _display(_math(step.expr, d.notation))
        if step.given:
            lines += ["*Using* " + _using(step.given, d.notation), ""]
        lines += [f"*Check:* {_how_checked(step, rep)}.", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _using(given, notation) -> str:
    return ", ".join(f"${markdown_safe_math(_math(old, notation) + ' = ' + _math(new), display=False)}$"
                     for old, new in given)


def derivations_index(derivations, reports, *, header: str = "") -> str:
    """``derivations/index.md``: every derivation with status and step count, then all findings."""
    lines = ([header, ""] if header else []) + ["# Machine-checked derivations", "",
             f"Each statement of {_PAPER} below is derived as a chain of sympy steps, and every step "
             "is checked by machine: identities by a targeted sympy rewrite, limits by `sympy.limit`, "
             "series by `sympy.series`, signs by sympy's assumptions, and the few piecewise formulas "
             "by a 50-digit mpmath spot check. Pages are generated by `lingrok docs` from "
             "`theory/derivations*.py`; `lingrok docs --check` fails when they are out of date.", "",
             "| derivation | statement | paper | status | steps | findings |",
             "|---|---|---|---|---:|---:|"]
    for d, r in zip(derivations, reports):
        lines.append(f"| [`{d.id}`]({d.id}.md) | {_plain(d.title)} | {_plain(d.reference)} | "
                     f"{_status(r)} | {len(d.steps)} | {len(d.discrepancies)} |")
    lines += ["", "## Findings", "",
              "Discrepancies between the paper's statements and what the derivations establish. "
              "The verification ledger (`lingrok verify`) carries the definitive verdicts, with "
              "simulations as evidence.", ""]
    for d in derivations:
        for text in d.discrepancies:
            lines += [f"- **[`{d.id}`]({d.id}.md).** {markdown_safe_prose(text)}"]
    return "\n".join(lines).rstrip("\n") + "\n"


def derivation_pages(header: str = "") -> dict[str, str]:
    """``{"derivations/<id>.md": page, "derivations/index.md": index}`` for every derivation."""
    derivations = all_derivations()
    reports = [d.verify() for d in derivations]
    ids = [d.id for d in derivations]
    pages = {}
    for i, (d, r) in enumerate(zip(derivations, reports)):
        prev_id = ids[i - 1] if i > 0 else None
        next_id = ids[i + 1] if i + 1 < len(ids) else None
        pages[f"derivations/{d.id}.md"] = derivation_page(d, r, prev_id, next_id, header=header)
    pages["derivations/index.md"] = derivations_index(derivations, reports, header=header)
    return pages

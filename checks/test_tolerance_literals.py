"""No bare tolerance literals in the checks: every tolerance is named in checks/tolerances.py.

A tolerance written as a bare number inside a test carries no reason for its size, and the same
accuracy claim drifts apart between tests. This file parses every ``checks/test_*.py`` (AST, not
text) and flags a numeric literal in one of four *tolerance positions*. Only literals in the
*arithmetic* of such a position count: the literal itself or an operand of ``+ - * / **`` and unary
minus, reached without entering a call, subscript or comprehension (in ``rtol=4 * EPS`` the 4 counts,
in ``f(5.0) < TOL`` or ``errors[0.1] < TOL`` the 5.0 and 0.1 are arguments, not tolerances).

1. **Tolerance keywords.** The value of a keyword argument called ``rtol``, ``atol``, ``rel``,
   ``abs``, ``tol``, ``decimal`` or ending in ``_tol``, ``_rtol``, ``_atol`` (case-insensitive):
   ``rtol=1e-9``, ``rtol=4 * FLOAT64_EPS`` (the factor 4 is part of the tolerance's size).
2. **Tolerance variables.** The value assigned to a plain name ``tol``, ``rtol``, ``atol`` or one
   ending in ``_tol``, ``_rtol``, ``_atol`` (``rel``/``abs`` are not tolerance names here: tests use
   ``rel`` for a computed relative difference).
3. **Positional tolerances of closeness helpers.** Argument 2 of ``pytest.approx`` / ``approx``
   (``rel``), arguments 3 and 4 of ``isclose``, ``allclose``, ``assert_allclose`` (``rtol``, ``atol``),
   argument 3 of ``assert_array_almost_equal`` / ``assert_almost_equal`` (``decimal``).
4. **Bounds in asserts.** Inside an ``assert`` statement, for every ``<``, ``<=``, ``>``, ``>=`` of a
   comparison (chains included, also inside calls such as ``np.all(...)``):
   a. the literals of one side when the *other* side is error-like: it contains (anywhere) a call of
      ``abs``/``fabs``/``scaled_error``, a subtraction or a division of two non-literal operands (a
      difference, a relative error, a ratio), or a name or attribute with a ``_``-separated word
      starting with ``err``, ``ratio``, ``diff``, ``dev``, ``resid``, ``gap``, ``rel`` or ``dist``:
      ``abs(a - b) < 1e-6``, ``ratio < 1.5``, ``max_err <= 5e-3``, ``0.5 < lo / hi``;
   b. on either side, a small float literal (below ``SLACK_MAX`` = 1e-2 in magnitude) added to or
      subtracted from something: a rounding slack such as ``x <= y * (1 + 1e-12)`` or ``a <= b + 1e-15``
      (larger or integer addends, ``80 + 20`` columns or ``alpha - 0.5``, are formula terms, caught by
      rule a where they bound an error).

Exempt, because they are not tolerances:

* the exact values 0 and +-1 in any position: ``atol=0`` switches the absolute floor off, ``rtol=0``
  asks for equality, ``ratio < 1`` / ``err > 0`` / ``share <= 1`` / ``1 + TOL`` state a sign, a
  monotonicity, a probability bound or the unit of a relative slack exactly;
* literals anywhere else: sizes, counts, seeds and steps (``N=40``, ``seed=3``, ``t > 100`` without an
  error-like other side), expected values (``approx(0.5)``, ``accuracy == 1.0``, ``[0.2, -0.2]``;
  equalities are never scanned), and the reference values inside an error expression
  (``abs(p - 0.5) < TOL`` is clean: 0.5 sits on the error side, whose other side is not error-like);
* a line that carries the pragma ``# tolerance-literal-ok: <reason>`` with a non-empty reason. It is
  for literals in a tolerance position that are not tolerance sizes: inputs of the function under test
  (the arguments a test hands to ``scaled_error`` to check that function itself, a solver tolerance
  the test varies) or exact constants of a derived bound (operation counts ``(n + 2)``, ``eps / 2``).
  Each one is visible in review, and their number is capped below.

checks/tolerances.py itself is not scanned: that is where the literals belong, each with its reason.
"""

import ast
import re
from pathlib import Path

CHECKS = Path(__file__).resolve().parent

KEYWORD_NAME = re.compile(r"^(rtol|atol|rel|abs|tol|decimal)$|(_tol|_rtol|_atol)$", re.IGNORECASE)
VARIABLE_NAME = re.compile(r"^(rtol|atol|tol)$|(_tol|_rtol|_atol)$", re.IGNORECASE)
ERROR_WORD = re.compile(r"(^|_)(err|ratio|diff|dev|resid|gap|rel|dist)", re.IGNORECASE)
ERROR_CALLS = {"abs", "fabs", "scaled_error"}
EXACT = {0, 1, -1}
PRAGMA = re.compile(r"#\s*tolerance-literal-ok:\s*\S")
MAX_PRAGMAS = 20
SLACK_MAX = 1e-2
# closeness helpers: function name -> positional indices that are tolerances
POSITIONAL = {
    "approx": (1,),
    "isclose": (2, 3),
    "allclose": (2, 3),
    "assert_allclose": (2, 3),
    "assert_array_almost_equal": (2,),
    "assert_almost_equal": (2,),
}
INEQUALITIES = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _call_name(func):
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_number(node):
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _value(node):
    """The number of a literal, a unary minus folded in; None for anything else."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _is_number(node.operand):
        return -node.operand.value
    return node.value if _is_number(node) else None


def _literals(node, *, additive_only=False):
    """``(line, value)`` of the non-exact literals in the arithmetic of ``node`` (see the docstring).

    With ``additive_only``, only small float literals that are an operand of ``+`` or ``-`` (a slack).
    """
    out = []

    def visit(n, additive):
        v = _value(n)
        if v is not None:
            slack = additive and type(v) is float and abs(v) < SLACK_MAX
            if v not in EXACT and (slack or not additive_only):
                out.append((n.lineno, v))
        elif isinstance(n, ast.BinOp):
            add = isinstance(n.op, (ast.Add, ast.Sub))
            visit(n.left, add)
            visit(n.right, add)
        elif isinstance(n, ast.UnaryOp):
            visit(n.operand, additive)

    visit(node, False)
    return out


def _error_like(node):
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and _call_name(sub.func) in ERROR_CALLS:
            return True
        if (
            isinstance(sub, ast.BinOp)
            and isinstance(sub.op, (ast.Sub, ast.Div))
            and _value(sub.left) is None
            and _value(sub.right) is None
        ):
            return True
        name = sub.id if isinstance(sub, ast.Name) else sub.attr if isinstance(sub, ast.Attribute) else None
        if name is not None and ERROR_WORD.search(name):
            return True
    return False


def scan(source, filename="<snippet>", *, with_pragmas=False):
    """``(line, value, why)`` for every bare tolerance literal in ``source`` (rules in the module docstring).

    With ``with_pragmas``, literals on pragma lines are reported too (to count the pragmas' use).
    """
    tree = ast.parse(source, filename)
    lines = source.splitlines()
    found = set()

    def add(node, why, **kw):
        for line, value in _literals(node, **kw):
            found.add((line, value, why))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg is not None and KEYWORD_NAME.search(kw.arg):
                    add(kw.value, f"keyword {kw.arg}=")
            name = _call_name(node.func)
            for i in POSITIONAL.get(name, ()):
                if i < len(node.args):
                    add(node.args[i], f"positional tolerance of {name}")
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and VARIABLE_NAME.search(t.id) and node.value is not None:
                    add(node.value, f"assignment to {t.id}")
        elif isinstance(node, ast.Assert):
            for cmp in ast.walk(node.test):
                if not isinstance(cmp, ast.Compare):
                    continue
                sides = [cmp.left, *cmp.comparators]
                for k, op in enumerate(cmp.ops):
                    if not isinstance(op, INEQUALITIES):
                        continue
                    a, b = sides[k], sides[k + 1]
                    if _error_like(b):
                        add(a, "bound on an error in an assert")
                    if _error_like(a):
                        add(b, "bound on an error in an assert")
                    add(a, "slack in an assert", additive_only=True)
                    add(b, "slack in an assert", additive_only=True)
    return sorted(
        (line, value, why)
        for line, value, why in found
        if with_pragmas or not PRAGMA.search(lines[line - 1])
    )


def test_scanner_flags_bare_tolerances():
    snippet = (
        "import pytest, numpy as np\n"
        "def test_x(a, b, ratio):\n"
        "    np.testing.assert_allclose(a, b, rtol=1e-9)\n"  # 3
        "    assert a == pytest.approx(b, 0.05)\n"  # 4
        "    assert abs(a - b) < 1e-6\n"  # 5
        "    assert ratio < 1.5\n"  # 6
        "    tol = 2e-3\n"  # 7
        "    assert a == pytest.approx(b, rel=4 * EPS)\n"  # 8
        "    assert 0.5 < a / b <= 2\n"  # 9
        "    assert np.isclose(a, b, 1e-7, 1e-9)\n"  # 10
        "    assert np.all(a <= b * (1 + 1e-12))\n"  # 11
        "    assert np.linalg.norm(a - b) <= 1e-13 * np.linalg.norm(b)\n"  # 12
        "    assert max_err < mpmath.mpf(2) ** -155\n"  # 13
    )
    flagged = {(line, value) for line, value, _ in scan(snippet)}
    assert flagged == {(3, 1e-9), (4, 0.05), (5, 1e-6), (6, 1.5), (7, 2e-3), (8, 4), (9, 0.5), (9, 2),
                       (10, 1e-7), (10, 1e-9), (11, 1e-12), (12, 1e-13), (13, -155)}


def test_scanner_exempts_sizes_exact_values_and_named_tolerances():
    snippet = (
        "import pytest, numpy as np\n"
        "def test_x(a, b, ratio, t, acc, iterations, errors):\n"
        "    np.testing.assert_allclose(a, b, rtol=RTOL, atol=0)\n"
        "    assert acc == 1.0 and t > 100 and run(N=40, seed=3, steps=1000).ok and iterations <= 12\n"
        "    assert a == pytest.approx(0.5, rel=RTOL)\n"
        "    assert abs(a - 0.5) < TOL and ratio < 1 and ratio > 0 and a <= b * (1 + TOL)\n"
        "    assert abs(f(5.0) - errors[0.1]) < TOL\n"
        "    rel = np.sqrt(a**2 + b**2)\n"
        "    assert scaled_error(a, 1.1, rtol=0.1) == 1  # tolerance-literal-ok: input of the function under test\n"
    )
    assert scan(snippet) == []


def test_pragma_needs_a_reason():
    assert scan("assert abs(a - b) < 1e-6  # tolerance-literal-ok:\n") == [(1, 1e-6, "bound on an error in an assert")]


def _test_files():
    return sorted(CHECKS.glob("test_*.py"))


def test_no_bare_tolerance_literals_in_the_checks():
    bad = []
    for path in _test_files():
        for line, value, why in scan(path.read_text(), str(path)):
            bad.append(f"{path.name}:{line}: {value!r} ({why})")
    assert not bad, (
        "bare tolerance literals (name them in checks/tolerances.py, with the reason for their size):\n"
        + "\n".join(bad)
    )


def test_pragmas_stay_exceptions():
    lines = set()
    for path in _test_files():
        text = path.read_text()
        pragma_lines = {i + 1 for i, line in enumerate(text.splitlines()) if PRAGMA.search(line)}
        lines |= {(path.name, line) for line, _, _ in scan(text, str(path), with_pragmas=True) if line in pragma_lines}
    assert len(lines) <= MAX_PRAGMAS, sorted(lines)

"""Source-level mutation testing of the formulas in ``theory/``: which mutants do the checks kill?

Each mutant changes ONE operator or constant inside a function of a theory module (closed_form,
grokking_time, residual, geometry, stability), in a temporary copy of the repository (the working
tree is never touched). The module's own test file runs first, then the other mapped files, with
``-x`` and a per-mutant timeout; a mutant is *killed* when pytest fails (or errors, or times out).

Mutation operators (applied one at a time):

* arithmetic:  ``+ <-> -``, ``* <-> /``, ``** -> *`` (also in augmented assignments);
* comparisons: negated (``< -> >=``, ``<= -> >``, ``== -> !=`` ...);
* boolean:     ``and <-> or``, ``not x -> x``, dropped unary minus ``-x -> x``;
* constants:   integral numbers ``n -> n + 1`` (2 -> 3, 2.0 -> 3.0, 0 -> 1), other floats halved
  (0.5 -> 0.25);
* calls:       ``log <-> log1p``, ``exp <-> expm1``, ``sqrt -> cbrt``, ``max <-> min``,
  ``maximum <-> minimum``, ``argmax <-> argmin``, ``sum -> mean``, ``abs(x) -> x``.

Scope: "formula code" only. Not mutated: module-level constants and defaults, docstrings and
f-strings, ``raise``/``assert`` statements, validation guards (an ``if`` whose body only raises),
numbers passed directly as keyword arguments (``axis=1``, ``dps=...``) or used as subscripts.

Usage (from the repository root):

    .venv/bin/python scripts/mutate_theory.py --list                 # count the mutants per module
    .venv/bin/python scripts/mutate_theory.py --sample 60 --seed 0 --jobs 2 --markdown /tmp/mut.md
    .venv/bin/python scripts/mutate_theory.py --sample 0             # all mutants (slow: ~5 s each)

The report (stdout, and ``--markdown``) gives killed / total per module and every survivor with its
location and the mutation, for a human to classify as an equivalent mutant or a gap in the checks.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("closed_form", "grokking_time", "residual", "geometry", "stability")
TEST_FILES = {m: f"checks/test_{m}.py" for m in MODULES}
EXTRA_TESTS = ("checks/test_cli_predict.py",)
COPY_ITEMS = ("theory", "numerics", "lingrok", "checks", "pyproject.toml")

BINOP_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult}
CMP_NEGATE = {ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
CALL_SWAP = {
    "log": "log1p", "log1p": "log", "exp": "expm1", "expm1": "exp", "sqrt": "cbrt",
    "max": "min", "min": "max", "maximum": "minimum", "minimum": "maximum",
    "argmax": "argmin", "argmin": "argmax", "sum": "mean",
}
NO_CONST_CALLS = {"range", "workdps", "workprec", "astype", "reshape", "zeros", "ones", "empty", "eye", "full"}


@dataclass(frozen=True)
class Mutant:
    module: str
    index: int  # position in the module's list of mutation sites (deterministic traversal)
    function: str
    lineno: int
    before: str
    after: str


def _is_guard(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.If) and not stmt.orelse and all(isinstance(s, ast.Raise) for s in stmt.body)


def _sites(tree: ast.Module):
    """Yield (node, function_name, kind) for every mutable site, in a deterministic order."""

    def expr(node, fn, no_const=False):
        if isinstance(node, ast.JoinedStr):
            return
        if isinstance(node, ast.Constant):
            if not no_const and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
                yield node, fn, "const"
            return
        if isinstance(node, ast.BinOp) and type(node.op) in BINOP_SWAP:
            yield node, fn, "binop"
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in CMP_NEGATE:
            yield node, fn, "compare"
        elif isinstance(node, ast.BoolOp):
            yield node, fn, "boolop"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
            yield node, fn, "unary"
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in CALL_SWAP or (name == "abs" and len(node.args) == 1):
                yield node, fn, "call"
            skip = name in NO_CONST_CALLS
            for a in [node.func, *node.args]:
                yield from expr(a, fn, no_const=skip)
            for kw in node.keywords:
                yield from expr(kw.value, fn, no_const=True)
            return
        elif isinstance(node, ast.Subscript):
            yield from expr(node.value, fn)
            yield from expr(node.slice, fn, no_const=True)
            return
        elif isinstance(node, ast.Lambda):
            yield from expr(node.body, fn)
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                yield from expr(child, fn, no_const)
            elif isinstance(child, ast.comprehension):
                for c in [child.iter, *child.ifs]:
                    yield from expr(c, fn)

    def stmts(body, fn):
        for i, s in enumerate(body):
            if i == 0 and isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant):
                continue  # docstring
            if _is_guard(s) or isinstance(s, (ast.Raise, ast.Assert, ast.Import, ast.ImportFrom)):
                continue
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from stmts(s.body, f"{fn}.{s.name}")
                continue
            if isinstance(s, ast.ClassDef):
                continue
            if isinstance(s, ast.AugAssign) and type(s.op) in BINOP_SWAP:
                yield s, fn, "augassign"
            for field, value in ast.iter_fields(s):
                if field in ("body", "orelse", "finalbody", "handlers"):
                    continue
                items = value if isinstance(value, list) else [value]
                for v in items:
                    if isinstance(v, ast.expr):
                        yield from expr(v, fn)
                    elif isinstance(v, ast.withitem):
                        yield from expr(v.context_expr, fn)
            for field in ("body", "orelse", "finalbody"):
                if isinstance(getattr(s, field, None), list):
                    yield from stmts(getattr(s, field), fn)
            for h in getattr(s, "handlers", []):
                yield from stmts(h.body, fn)

    for top in tree.body:
        if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from stmts(top.body, top.name)


def _new_const(v):
    if isinstance(v, int) or float(v).is_integer():
        return type(v)(v + 1)
    return v / 2


def _apply(node, kind, parent_of):
    """Mutate ``node`` in place (or replace it in its parent); return the replacement node."""
    if kind in ("binop", "augassign"):
        node.op = BINOP_SWAP[type(node.op)]()
        return node
    if kind == "compare":
        node.ops = [CMP_NEGATE[type(node.ops[0])]()]
        return node
    if kind == "boolop":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        return node
    if kind == "const":
        node.value = _new_const(node.value)
        return node
    if kind == "call":
        if isinstance(node.func, ast.Name) and node.func.id == "abs":
            new = node.args[0]
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "abs":
            new = node.args[0]
        else:
            if isinstance(node.func, ast.Attribute):
                node.func.attr = CALL_SWAP[node.func.attr]
            else:
                node.func.id = CALL_SWAP[node.func.id]
            return node
    else:  # unary: drop the operator
        new = node.operand
    parent, field, idx = parent_of[id(node)]
    if idx is None:
        setattr(parent, field, new)
    else:
        getattr(parent, field)[idx] = new
    return new


def _parents(tree):
    out = {}
    for p in ast.walk(tree):
        for field, value in ast.iter_fields(p):
            if isinstance(value, list):
                for i, v in enumerate(value):
                    if isinstance(v, ast.AST):
                        out[id(v)] = (p, field, i)
            elif isinstance(value, ast.AST):
                out[id(value)] = (p, field, None)
    return out


def enumerate_mutants(module: str) -> list[Mutant]:
    src = (ROOT / "theory" / f"{module}.py").read_text()
    out = []
    for i, (node, fn, kind) in enumerate(_sites(ast.parse(src))):
        before = ast.unparse(node)
        tree = ast.parse(src)
        mnode, _, _ = _nth_site(tree, i)
        new = _apply(mnode, kind, _parents(tree))
        after = ast.unparse(new)
        if kind == "augassign":
            before, after = before.split("\n")[0], after.split("\n")[0]
        out.append(Mutant(module, i, fn, node.lineno, before, after))
    return out


def _nth_site(tree, n):
    for i, site in enumerate(_sites(tree)):
        if i == n:
            return site
    raise IndexError(n)


def mutated_source(m: Mutant) -> str:
    tree = ast.parse((ROOT / "theory" / f"{m.module}.py").read_text())
    node, _, kind = _nth_site(tree, m.index)
    _apply(node, kind, _parents(tree))
    return ast.unparse(tree)


def _make_copy(dest: Path) -> None:
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    for item in COPY_ITEMS:
        src = ROOT / item
        (shutil.copytree(src, dest / item, ignore=ignore) if src.is_dir() else shutil.copy2(src, dest / item))


def _run_tests(workdir: Path, module: str | None, timeout: float) -> tuple[str, float, str]:
    files = [TEST_FILES[module]] if module else []
    files += [f for f in (*TEST_FILES.values(), *EXTRA_TESTS) if f not in files]
    env = {**os.environ, "PYTHONPATH": str(workdir), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("LINGROK_HYPOTHESIS_PROFILE", None)  # the default `ci` profile
    shutil.rmtree(workdir / ".hypothesis", ignore_errors=True)  # no replay of another mutant's failures
    cmd = [sys.executable, "-m", "pytest", *files, "-x", "-q", "-p", "no:cacheprovider"]
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - t0, ""
    dt = time.monotonic() - t0
    if proc.returncode == 0:
        return "survived", dt, ""
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", proc.stdout, flags=re.M)
    return ("killed" if proc.returncode == 1 else f"killed (rc={proc.returncode})"), dt, (failed[0] if failed else "")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sample", type=int, default=60, help="mutants drawn at random (seeded); 0 = all")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2, help="parallel workers, each with its own copy")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per mutant (default 4x baseline, >= 60)")
    ap.add_argument("--modules", nargs="*", default=list(MODULES), choices=MODULES)
    ap.add_argument("--list", action="store_true", help="only count (and list) the mutants")
    ap.add_argument("--markdown", type=Path, default=None, help="write the report here as markdown")
    args = ap.parse_args(argv)

    population = [m for mod in args.modules for m in enumerate_mutants(mod)]
    counts = {mod: sum(m.module == mod for m in population) for mod in args.modules}
    print(f"{len(population)} mutants: " + ", ".join(f"{k} {v}" for k, v in counts.items()), flush=True)
    if args.list:
        for m in population:
            print(f"  {m.module}.py:{m.lineno} {m.function}: `{m.before}` -> `{m.after}`")
        return 0
    chosen = population
    if 0 < args.sample < len(population):
        chosen = sorted(random.Random(args.seed).sample(population, args.sample), key=lambda m: (m.module, m.index))

    tmp = Path(tempfile.mkdtemp(prefix="mutate_theory_"))
    try:
        workers = [tmp / f"w{i}" for i in range(max(1, args.jobs))]
        for w in workers:
            _make_copy(w)
        # Baseline: every module round-tripped through ast.unparse (the form mutants are written in).
        for mod in args.modules:
            (workers[0] / "theory" / f"{mod}.py").write_text(ast.unparse(ast.parse((ROOT / "theory" / f"{mod}.py").read_text())))
        status, base_s, failed = _run_tests(workers[0], None, 600)
        if status != "survived":
            print(f"baseline does not pass ({status}, {failed}); aborting", file=sys.stderr)
            return 2
        for mod in args.modules:
            shutil.copy2(ROOT / "theory" / f"{mod}.py", workers[0] / "theory" / f"{mod}.py")
        timeout = args.timeout or max(60.0, 4 * base_s)
        print(f"baseline passes in {base_s:.1f} s; per-mutant timeout {timeout:.0f} s; running {len(chosen)} mutants", flush=True)

        free = list(workers)
        results = {}
        t_start = time.monotonic()

        def job(m: Mutant):
            w = free.pop()
            target = w / "theory" / f"{m.module}.py"
            try:
                target.write_text(mutated_source(m))
                res = _run_tests(w, m.module, timeout)
            finally:
                shutil.copy2(ROOT / "theory" / f"{m.module}.py", target)
                free.append(w)
            results[m] = res
            print(f"[{len(results):3d}/{len(chosen)}] {res[0]:9s} {res[1]:5.1f}s {m.module}.py:{m.lineno} "
                  f"{m.function}: `{m.before}` -> `{m.after}` {res[2]}", flush=True)

        with ThreadPoolExecutor(len(workers)) as pool:
            list(pool.map(job, chosen))
        wall = time.monotonic() - t_start
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    report = _report(chosen, results, population, counts, args, wall, base_s, timeout)
    print(report)
    if args.markdown:
        args.markdown.write_text(report)
    return 0


def _report(chosen, results, population, counts, args, wall, base_s, timeout) -> str:
    killed = [m for m in chosen if results[m][0] != "survived"]
    lines = [
        f"**{len(killed)} of {len(chosen)} mutants killed ({100 * len(killed) / len(chosen):.0f}%)**, "
        f"drawn with seed {args.seed} from {len(population)} (`--sample {args.sample}`); "
        f"run time {wall / 60:.1f} min with {args.jobs} workers (baseline {base_s:.1f} s, timeout {timeout:.0f} s).",
        "",
        "| module | mutants in scope | sampled | killed | survived |",
        "|---|---|---|---|---|",
    ]
    for mod in counts:
        mine = [m for m in chosen if m.module == mod]
        k = sum(results[m][0] != "survived" for m in mine)
        lines.append(f"| `theory/{mod}.py` | {counts[mod]} | {len(mine)} | {k} | {len(mine) - k} |")
    lines += ["", "Survivors:", ""]
    for m in chosen:
        if results[m][0] == "survived":
            lines.append(f"* `theory/{m.module}.py:{m.lineno}` in `{m.function}`: `{m.before}` -> `{m.after}`")
    lines += ["", "Killed (first failing test):", ""]
    for m in killed:
        st, _, failed = results[m]
        lines.append(f"* `{m.module}.py:{m.lineno}` `{m.before}` -> `{m.after}`: {st} {('by `' + failed + '`') if failed else ''}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())

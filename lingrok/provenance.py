"""Which source produced a generated result: a fingerprint of the code, blind to comments and docstrings.

A generated report (``lingrok reproduce``) is stale when the code that computes its numbers has
changed since it was written. :func:`source_fingerprint` follows the imports of a few entry modules
through the project's own packages (``theory``, ``numerics``, ``lingrok``; imports inside functions
count, the standard library and third-party packages do not), parses each file and hashes its syntax
tree with docstrings removed. Reformatting, comments and docstring edits leave the fingerprint alone;
any change to executable code, a constant or a default changes it.

The fingerprint is conservative: a refactor that keeps every number changes it too, and the report
must then be regenerated (its command is recorded next to the fingerprint).
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Fingerprint", "source_fingerprint", "PROJECT_PACKAGES"]

PROJECT_PACKAGES = ("theory", "numerics", "lingrok")
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Fingerprint:
    """A digest of the code behind a result.

    Attributes:
        digest: sha256 (hex) over the sorted (module, per-file digest) pairs.
        files: module name -> sha256 (hex) of that file's syntax tree without docstrings.
    """

    digest: str
    files: dict

    def changed(self, recorded: dict) -> list[str]:
        """Modules whose digest differs from ``recorded`` (module -> digest), sorted; added or removed ones too."""
        names = set(self.files) | set(recorded)
        return sorted(n for n in names if self.files.get(n) != recorded.get(n))


def _module_file(name: str, root: Path) -> Path | None:
    parts = name.split(".")
    if parts[0] not in PROJECT_PACKAGES:
        return None
    base = root.joinpath(*parts)
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def _imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Absolute names of the modules imported anywhere in ``tree`` (and their parent packages)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    parents = {".".join(n.split(".")[:k]) for n in found for k in range(1, n.count(".") + 1)}
    return found | parents


def source_fingerprint(entry_modules, *, root: Path | None = None) -> Fingerprint:
    """Fingerprint the project modules reachable by imports from ``entry_modules``.

    Args:
        entry_modules: dotted module names inside the project (e.g. "lingrok.commands.reproduce").
        root: repository root holding the packages (default: this checkout).

    Returns:
        :class:`Fingerprint`.

    Raises:
        ValueError: an entry module is not a file of the project's packages.
    """
    root = ROOT if root is None else Path(root)
    todo = list(entry_modules)
    for name in todo:
        if _module_file(name, root) is None:
            raise ValueError(f"`entry_modules`: {name!r} is not a module of {PROJECT_PACKAGES} under {root}")
    files: dict[str, str] = {}
    while todo:
        name = todo.pop()
        if name in files:
            continue
        path = _module_file(name, root)
        if path is None:
            continue
        tree = _strip_docstrings(ast.parse(path.read_text(), filename=str(path)))
        files[name] = hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()
        parents = [".".join(name.split(".")[:k]) for k in range(1, name.count(".") + 1)]  # run on import too
        todo.extend(n for n in [*parents, *_imports(tree, name, path.name == "__init__.py")] if n not in files)
    overall = hashlib.sha256("".join(f"{n}={files[n]}\n" for n in sorted(files)).encode()).hexdigest()
    return Fingerprint(overall, dict(sorted(files.items())))

"""lingrok.provenance: the source fingerprint that tells a generated report from a stale one.

Built on a throwaway tree of the project's three packages, so that each edit is known: comments,
docstrings and formatting must leave the fingerprint alone; any change of code, a constant or a
module reached only through an import inside a function must change it and be named.
"""

import textwrap

import pytest

from lingrok.provenance import source_fingerprint

ENGINE = '''
"""The engine."""

STEP = 0.5


def step(x):
    """One step."""
    # a comment
    return x - STEP * x
'''
RUNNER = '''
"""The runner."""

from numerics.engine import step


def run(x):
    from theory import closed

    return closed.value(step(x))
'''
CLOSED = '''
def value(x):
    return 2 * x
'''


@pytest.fixture
def tree(tmp_path):
    files = {"numerics/__init__.py": "", "numerics/engine.py": ENGINE, "lingrok/__init__.py": "",
             "lingrok/runner.py": RUNNER, "theory/__init__.py": "", "theory/closed.py": CLOSED,
             "theory/unused.py": CLOSED}
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def _edit(root, rel, old, new):
    path = root / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_follows_imports_inside_functions_and_skips_unreached_modules(tree):
    fp = source_fingerprint(["lingrok.runner"], root=tree)
    assert set(fp.files) == {"lingrok", "lingrok.runner", "numerics", "numerics.engine", "theory", "theory.closed"}


@pytest.mark.parametrize("old, new", [
    ('"""One step."""', '"""One step of GD, eq. (4)."""'),
    ("# a comment", "# another comment, longer"),
    ("return x - STEP * x", "return x-STEP*x  # tight"),
    ('"""The engine."""', ""),
])
def test_comments_docstrings_and_formatting_do_not_count(tree, old, new):
    before = source_fingerprint(["lingrok.runner"], root=tree)
    _edit(tree, "numerics/engine.py", old, new)
    assert source_fingerprint(["lingrok.runner"], root=tree).digest == before.digest


@pytest.mark.parametrize("rel, old, new, module", [
    ("numerics/engine.py", "STEP = 0.5", "STEP = 0.25", "numerics.engine"),
    ("numerics/engine.py", "x - STEP", "x + STEP", "numerics.engine"),
    ("theory/closed.py", "2 * x", "3 * x", "theory.closed"),  # reached only inside run()
    ("lingrok/runner.py", "def run(x):", "def run(x, y=0):", "lingrok.runner"),
])
def test_code_changes_count_and_are_named(tree, rel, old, new, module):
    before = source_fingerprint(["lingrok.runner"], root=tree)
    _edit(tree, rel, old, new)
    after = source_fingerprint(["lingrok.runner"], root=tree)
    assert after.digest != before.digest
    assert after.changed(before.files) == [module]


def test_an_unreached_module_does_not_count(tree):
    before = source_fingerprint(["lingrok.runner"], root=tree)
    _edit(tree, "theory/unused.py", "2 * x", "3 * x")
    assert source_fingerprint(["lingrok.runner"], root=tree).digest == before.digest


def test_an_entry_outside_the_project_is_refused(tree):
    with pytest.raises(ValueError, match="'json' is not a module of"):
        source_fingerprint(["json"], root=tree)


def test_the_reproduction_depends_on_the_engine_and_the_theory():
    from lingrok.reproduction.archive import ENTRY_MODULES

    files = source_fingerprint(ENTRY_MODULES).files
    for module in ("numerics.engine_kernels", "numerics.measure", "theory.geometry", "theory.residual",
                   "numerics.runs", "lingrok.compare.experiment", "lingrok.reproduction.report"):
        assert module in files

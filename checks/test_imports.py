"""Fast imports: `import theory`, `import numerics` and `lingrok --help` do not load the heavy packages.

sympy (~0.5 s), matplotlib, dask, distributed and tqdm are loaded on first use only. Each case runs in a fresh
interpreter, so what an earlier test imported cannot hide a regression.
"""

import subprocess
import sys

import pytest

HEAVY = ("sympy", "matplotlib", "dask", "distributed", "tqdm")  # tqdm: only where a bar is drawn

PROBES = {
    "import theory": "import theory",
    "import numerics": "import numerics",
    "lingrok --help": "from lingrok.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass",
}


@pytest.mark.parametrize("name", list(PROBES))
def test_light_entry_points_load_no_heavy_package(name):
    code = PROBES[name] + f"\nimport sys\nprint('LOADED:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = out.rsplit("LOADED:", 1)[1].strip()
    assert loaded == "", f"{name} loaded {loaded}; import it inside the function that needs it"


def test_the_probe_sees_a_heavy_import():
    """The check can fail: a module that does import sympy is reported."""
    code = "import theory.derivation\nimport sys\nprint('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"

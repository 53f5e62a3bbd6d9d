"""Run part of the suite on another machine's arithmetic: numpy's SIMD dispatch cut to its baseline and
numba compiling for a generic CPU.

A reader's machine may lack the AVX-512 / AVX2 kernels this one dispatches to (other summation orders,
no FMA, another exp), and numba there compiles for its own CPU. This script re-executes pytest with

* ``NPY_DISABLE_CPU_FEATURES`` = every optional feature group numpy dispatches to on this CPU (all of
  ``__cpu_dispatch__`` that the CPU supports; the baseline cannot be disabled), and
* ``NUMBA_CPU_NAME=generic`` (numba's code for the architecture's baseline, no host-specific features),

checks that both took effect, and passes its arguments on to pytest, selecting the ``arithmetic`` marker
(the rounding-sensitive modules listed in checks/conftest.py) unless they give their own ``-m``.
Exit code: pytest's.

    .venv/bin/python scripts/other_arithmetic.py            # what CI runs
    .venv/bin/python scripts/other_arithmetic.py -k geometry
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json
try:
    from numpy._core._multiarray_umath import __cpu_features__ as f
except ImportError:  # numpy < 2
    from numpy.core._multiarray_umath import __cpu_features__ as f
import numba
print(json.dumps({"enabled": sorted(k for k, v in f.items() if v), "numba_cpu": numba.config.CPU_NAME}))
"""


def _dispatch_groups() -> list[str]:
    """numpy's optional (dispatched) feature groups that this CPU supports, i.e. those it would use."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    return [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]


def main(argv: list[str]) -> int:
    disabled = _dispatch_groups()
    env = dict(os.environ, NUMBA_CPU_NAME="generic")
    if disabled:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(disabled)
    probe = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True)
    if probe.returncode != 0:
        print(f"other_arithmetic: numpy or numba refused the restricted settings:\n{probe.stderr}", file=sys.stderr)
        return 2
    state = json.loads(probe.stdout)
    still_on = sorted(set(disabled) & set(state["enabled"]))
    if still_on or state["numba_cpu"] != "generic":
        print(f"other_arithmetic: restriction did not take effect (still enabled: {still_on}, "
              f"numba cpu {state['numba_cpu']!r})", file=sys.stderr)
        return 2
    print(f"other arithmetic: NPY_DISABLE_CPU_FEATURES={env.get('NPY_DISABLE_CPU_FEATURES', '(none to disable)')!r}, "
          f"NUMBA_CPU_NAME=generic", flush=True)
    args = argv if any(a == "-m" or a.startswith("-m") for a in argv) else ["-m", "arithmetic and not slow", *argv]
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

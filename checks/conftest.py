"""Shared pytest configuration: hypothesis profiles and mpmath hygiene.

Profiles (select with the environment variable ``LINGROK_HYPOTHESIS_PROFILE``):

* ``ci``   -- deterministic (``derandomize=True``), no deadline, modest example counts;
              the default, used by CI and by the README's test command.
* ``fuzz`` -- randomised, many more examples; for hunting counter-examples by hand:
              ``LINGROK_HYPOTHESIS_PROFILE=fuzz pytest``.
"""

import os
from pathlib import Path

import mpmath
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=30,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz",
    derandomize=False,
    deadline=None,
    max_examples=1000,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("LINGROK_HYPOTHESIS_PROFILE", "ci"))


# Modules whose assertions rest on floating-point rounding (tolerances derived from operation counts,
# bit-identity between engines, statuses at rounding floors, archived numbers): `scripts/other_arithmetic.py`
# (run by CI) reruns them with numpy's SIMD dispatch cut to its baseline and numba compiled for a
# generic CPU, i.e. with another machine's summation orders, FMA use and exp.
ARITHMETIC_MODULES = frozenset({
    "test_closed_form", "test_ddarith", "test_engine", "test_flow", "test_geometry", "test_grokking_def",
    "test_grokking_time", "test_highprec", "test_ledger_page", "test_loss", "test_measure",
    "test_reproduction_page", "test_residual", "test_stability", "test_attacks", "test_datasets",
})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).stem in ARITHMETIC_MODULES:
            item.add_marker(pytest.mark.arithmetic)


@pytest.fixture(autouse=True)
def _restore_mpmath_context():
    """Every test leaves mpmath's global precision as it found it."""
    dps, prec = mpmath.mp.dps, mpmath.mp.prec
    yield
    mpmath.mp.prec = prec
    assert mpmath.mp.dps == dps

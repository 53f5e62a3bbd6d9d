"""Shared pytest configuration: hypothesis profiles and mpmath hygiene.

Profiles (select with the environment variable ``LINGROK_HYPOTHESIS_PROFILE``):

* ``ci``   -- deterministic (``derandomize=True``), no deadline, modest example counts;
              the default, used by CI and by the README's test command.
* ``fuzz`` -- randomised, many more examples; for hunting counter-examples by hand:
              ``LINGROK_HYPOTHESIS_PROFILE=fuzz pytest``.
"""

import os

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


@pytest.fixture(autouse=True)
def _restore_mpmath_context():
    """Every test leaves mpmath's global precision as it found it."""
    dps, prec = mpmath.mp.dps, mpmath.mp.prec
    yield
    mpmath.mp.prec = prec
    assert mpmath.mp.dps == dps

"""Registry of the machine-checked derivations of arXiv:2602.08302, in the paper's order.

Examples:
    >>> [d.id for d in all_derivations()][:2]
    ['thm4.3', 'thm4.5']
    >>> derivation_by_id("thm4.5").verify().passed
    True
"""

from __future__ import annotations

from theory.derivation import Derivation
from theory.derivations_bias import thm4_5, thm4_5_gd_time
from theory.derivations_bias_limits import eq14_steady_state, thm4_5_augmented_limit
from theory.derivations_grokking import (
    appA2_concentrated_accuracy,
    rem4_7,
    thm4_6,
    thm4_6_gd_offset,
)
from theory.derivations_large_step import large_step_cycle
from theory.derivations_phases import phases
from theory.derivations_svm import thm4_3

_BUILDERS = (
    thm4_3,
    thm4_5,
    thm4_5_gd_time,
    thm4_5_augmented_limit,
    eq14_steady_state,
    appA2_concentrated_accuracy,
    thm4_6,
    thm4_6_gd_offset,
    rem4_7,
    large_step_cycle,
    phases,
)

#: Stable ids, in the order of :func:`all_derivations` (no sympy work needed to list them).
DERIVATION_IDS = (
    "thm4.3",
    "thm4.5",
    "thm4.5-gd-time",
    "thm4.5-augmented-limit",
    "eq14-steady-state",
    "appA2-concentrated-accuracy",
    "thm4.6",
    "thm4.6-gd-offset",
    "rem4.7",
    "large-step-cycle",
    "phases",
)


def all_derivations() -> tuple[Derivation, ...]:
    """Every derivation, in the paper's order (each builder is cached)."""
    return tuple(build() for build in _BUILDERS)


def derivation_by_id(derivation_id: str) -> Derivation:
    """The derivation with the given stable id.

    Raises:
        ValueError: unknown id; the message lists the known ones.
    """
    if derivation_id not in DERIVATION_IDS:
        raise ValueError(
            f"`derivation_id` must be one of {DERIVATION_IDS}, got {derivation_id!r}"
        )
    return _BUILDERS[DERIVATION_IDS.index(derivation_id)]()

"""The paper's mathematics (arXiv:2602.08302): numeric closed forms and machine-checked derivations.

One entry point: :func:`theory.predict` (:mod:`theory.prediction`) -> :class:`Prediction`, everything the
theory says about one dataset at one step size (geometry, assumption checks, residual limit, Theorem
4.6, the corrected times, the phases, the large-step cycle).

Numeric (numpy / mpmath / scipy), imported eagerly:

* :mod:`theory.closed_form`   eq. (10)-(11): the bias trajectory, its limit, reference ODE solvers.
* :mod:`theory.geometry`      eqs. (7), (9): max-margin solutions, Assumptions 3.1-3.3, Theorem 4.3.
* :mod:`theory.residual`      Theorem 4.2 for the augmented theta = (w, b): theta_tilde, A_S^+-, delta.
* :mod:`theory.grokking_time` Theorem 4.6, Appendix A.2's Q, the exact asymptotic test time.
* :mod:`theory.stability`     the edge-of-stability window: sharpness at init, t_EoS.

Symbolic (sympy), imported on first use because sympy is slow to load:

* :mod:`theory.derivations`   ``all_derivations()``, ``derivation_by_id(id)``, ``DERIVATION_IDS``;
  the machinery (``Step``, ``Derivation``) is in :mod:`theory.derivation`.

Never imports :mod:`numerics`.
"""

import importlib

from theory.closed_form import (
    BiasLimit,
    BiasTrajectory,
    BiasTrajectoryMP,
    LateTimeExpansion,
    bias_closed_form,
    bias_closed_form_mp,
    bias_limit,
    bias_ode_rhs,
    late_time_expansion,
    solve_bias_ode,
    solve_bias_ode_mp,
)
from theory.geometry import (
    MaxMarginSolution,
    NotSeparableError,
    PaperAssumptions,
    augmented_max_margin,
    check_separable,
    paper_assumptions,
    svm_with_bias,
)
from theory.grokking_time import (
    AccuracyCurve,
    ConcentratedAccuracy,
    TestTimeBounds,
    asymptotic_test_time,
    concentrated_test_accuracy,
    curve_accuracy,
    theorem_4_6_test_time,
)
from theory.prediction import CycleForecast, Prediction, predict
from theory.residual import ResidualLimit, residual_limit
from theory.stability import InitialSharpness, LateTimeStability, late_time_stability, sharpness_at_init

_LAZY = {
    "all_derivations": "theory.derivations",
    "derivation_by_id": "theory.derivations",
    "DERIVATION_IDS": "theory.derivations",
    "Derivation": "theory.derivation",
    "Step": "theory.derivation",
}

__all__ = [
    "Prediction", "CycleForecast", "predict", "AccuracyCurve", "BiasLimit", "BiasTrajectory", "BiasTrajectoryMP", "ConcentratedAccuracy",
    "InitialSharpness", "LateTimeExpansion", "LateTimeStability", "MaxMarginSolution",
    "NotSeparableError", "PaperAssumptions", "ResidualLimit", "TestTimeBounds",
    "asymptotic_test_time", "augmented_max_margin", "bias_closed_form", "bias_closed_form_mp",
    "bias_limit", "bias_ode_rhs", "check_separable", "concentrated_test_accuracy", "curve_accuracy",
    "late_time_expansion", "late_time_stability", "paper_assumptions", "residual_limit",
    "sharpness_at_init", "solve_bias_ode", "solve_bias_ode_mp", "svm_with_bias",
    "theorem_4_6_test_time", *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'theory' has no attribute {name!r}")

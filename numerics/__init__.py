"""Simulation (arXiv:2602.08302, Section 5): datasets, exact gradient descent, measurements.

One entry point: :func:`numerics.simulate` (:mod:`numerics.simulation`) -> :class:`Simulation`, one GD run
with its trajectory, measurements, Definition 3.4's times per parity and the phases.

* :mod:`numerics.datasets`   planted datasets and test sets (the paper's construction, parametric).
* :mod:`numerics.datafiles`  the .npz / .csv formats every command reads and writes.
* :mod:`numerics.loss`       the summed logistic loss of eq. (3), stable at any margin.
* :mod:`numerics.engine`     exact, compiled full-batch GD (eqs. (4)-(5)), batching, resume.
* :mod:`numerics.schedule`   log-spaced checkpoint schedules.
* :mod:`numerics.flow`       the gradient flow in log time (stiff scipy solver).
* :mod:`numerics.highprec`   the same GD in double-double and mpmath; precision horizon.
* :mod:`numerics.ddarith`    double-double arithmetic (error-free transformations).
* :mod:`numerics.measure`    per-checkpoint measurements; :mod:`numerics.grokking` Definition 3.4.
* :mod:`numerics.attacks`    l_inf PGD and the exact worst case for a linear model.
* :mod:`numerics.stability_measure`  rounding amplification and period-2 detection.

Never imports :mod:`theory`.
"""

from numerics.attacks import compare_attacks, exact_linf_accuracy, pgd_linf
from numerics.datafiles import DataError, LoadedData, load_data, save_data
from numerics.datasets import (
    Dataset,
    PlantedSpec,
    TestSet,
    concentrated_test,
    paper_2d_spec,
    planted_dataset,
    quick_2d_spec,
    standard_test,
)
from numerics.engine import GDTrajectory, naive_gd, reference_gd, run_gd, run_gd_batch
from numerics.flow import FlowTrajectory, logistic_flow
from numerics.grokking import (
    accuracy_crossing,
    grokking_times,
    groks_with_delay,
    phase_one_end,
    phase_two_end,
)
from numerics.loss import accuracy, logistic_grad, logistic_loss, margins
from numerics.measure import Measurements, measure_trajectory
from numerics.schedule import linear_schedule, log_schedule, merge_schedules
from numerics.simulation import Simulation, simulate

__all__ = [
    "Simulation", "simulate", "DataError", "Dataset", "FlowTrajectory", "GDTrajectory", "LoadedData", "Measurements",
    "PlantedSpec", "TestSet", "accuracy", "accuracy_crossing", "compare_attacks", "concentrated_test",
    "exact_linf_accuracy", "grokking_times", "groks_with_delay", "linear_schedule", "load_data",
    "log_schedule", "logistic_flow", "logistic_grad", "logistic_loss", "margins", "measure_trajectory",
    "merge_schedules", "naive_gd", "paper_2d_spec", "pgd_linf", "phase_one_end", "phase_two_end",
    "planted_dataset", "quick_2d_spec", "reference_gd", "run_gd", "run_gd_batch", "save_data",
    "standard_test",
]

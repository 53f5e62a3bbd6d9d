"""Every tolerance used by the checks, named and justified in one place.

An agreement check passes when the *scaled error*
``|num - ref| / (atol + rtol * |ref|)`` is below 1 (see :func:`scaled_error`).
Each constant says why it has the size it has. Group by component; add new ones here,
never as bare literals inside a test.
"""

import numpy as np


def scaled_error(num, ref, *, rtol, atol=0.0):
    """Largest ``|num - ref| / (atol + rtol |ref|)`` over all entries (scipy ``compute_error`` style)."""
    num = np.asarray(num, dtype=float)
    ref = np.asarray(ref, dtype=float)
    return float(np.max(np.abs(num - ref) / (atol + rtol * np.abs(ref))))


# --- float64 arithmetic -------------------------------------------------------------------
FLOAT64_EPS = float(np.finfo(np.float64).eps)  # 2.22e-16, unit roundoff times 2

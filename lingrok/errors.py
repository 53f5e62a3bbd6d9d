"""Errors the command line turns into exit codes (never a traceback for a user error).

Exit codes: 0 success; 2 unusable input (the message says what and how to fix it);
3 the data violate an assumption of the theory (the message names it).
"""

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_ASSUMPTION = 3


class UsageError(ValueError):
    """Unusable input: missing or unreadable file, NaN or inf, wrong labels, not separable, bad flag."""

    exit_code = EXIT_INPUT


class AssumptionViolation(ValueError):
    """The data violate an assumption of the theory, e.g. Assumption 3.1 (max-margin bias not 0)."""

    exit_code = EXIT_ASSUMPTION

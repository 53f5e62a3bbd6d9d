"""Loading a command's data files: file problems become `UsageError` (exit code 2)."""

from __future__ import annotations

from numerics.datafiles import DataError, LoadedData, load_data

from lingrok.errors import UsageError


def load(path: str, role: str = "data") -> LoadedData:
    """Load and validate DATA or TEST; any problem becomes a `UsageError` naming the file and the fix."""
    try:
        return load_data(path)
    except DataError as exc:
        raise UsageError(f"{role}: {exc}") from None


def require_same_dimension(train: LoadedData, test: LoadedData) -> None:
    if train.d != test.d:
        raise UsageError(
            f"the test set {test.path} has {test.d} features but the training data {train.path} has {train.d}; "
            "use a test set drawn in the same dimension"
        )

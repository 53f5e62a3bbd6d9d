"""The `lingrok` command line: argument parsing and exit codes only; each command lives in its module.

Exit codes: 0 success; 2 unusable input; 3 the data violate an assumption of the theory.
User errors print one message to stderr, never a traceback; so do file-system errors (a folder that
became unwritable, a full disk) and running out of memory, both exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import math
import os
import re
import sys

from lingrok.errors import AssumptionViolation, UsageError


def _fmt_bound(value) -> str:
    """A bound as the messages show it: 1e12 rather than 1000000000000."""
    if isinstance(value, int) and abs(value) >= 10**6 and value == 10 ** (len(str(abs(value))) - 1):
        return f"1e{len(str(abs(value))) - 1}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _real(minimum: float = 0.0, *, strict: bool = True, maximum: float = math.inf, below: bool = False,
          example: str = "0.01"):
    """argparse type: a finite float in the interval (minimum or [minimum, maximum] or maximum).

    nan, inf, 1e309 (which parses to inf) and values outside the interval are rejected with a
    message naming the interval and an example; -0 is read as 0.
    """
    lo = f"{'(' if strict else '['}{_fmt_bound(minimum)}"
    hi = f"{_fmt_bound(maximum)}{')' if below or maximum == math.inf else ']'}"
    words = f"a finite number in {lo}, {hi}" if maximum != math.inf else (
        f"a finite number {'>' if strict else '>='} {_fmt_bound(minimum)}")

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number; pass a number such as {example}") from None
        inside = (value > minimum if strict else value >= minimum) and (value < maximum if below else value <= maximum)
        if not (math.isfinite(value) and inside):
            raise argparse.ArgumentTypeError(f"must be {words}, got {text!r}; pass a number such as {example}")
        return value + 0.0  # -0.0 -> 0.0

    return parse


_INTEGER_TEXT = re.compile(r"\s*[+-]?\d+\s*")


def _integer(minimum: int, maximum: int, fix: str):
    """argparse type: an integer in [minimum, maximum], written as digits or as 1e7.

    Digits are read exactly (a 400-digit number is out of range, never rounded through a float);
    1e30, 1e309, inf, nan, 1.5 and text are rejected with a message naming the range and ``fix``.
    """
    words = f"an integer between {_fmt_bound(minimum)} and {_fmt_bound(maximum)}"

    def parse(text: str) -> int:
        value = None
        if _INTEGER_TEXT.fullmatch(text):
            digits = text.strip().lstrip("+-").lstrip("0")
            if len(digits) <= 40:  # longer is out of range anyway (and int() of huge strings is slow)
                value = int(text)
        else:
            try:
                number = float(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"{text!r} is not an integer; {fix}") from None
            if math.isfinite(number) and number == int(number) and abs(number) < 1e40:
                value = int(number)
            elif math.isfinite(number) and number != int(number):
                raise argparse.ArgumentTypeError(f"must be {words}, got {text!r} (not a whole number); {fix}")
        if value is None or not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"must be {words}, got {text!r}; {fix}")
        return value

    return parse


# Upper bounds of the count flags: far above any run that finishes (1e12 GD steps is days even for
# N = 1), below where int64 step counters or checkpoint arrays would overflow.
MAX_STEPS = 10**12
MAX_PER_DECADE = 1000
MAX_POINTS = 10**8
MAX_DIMENSION = 10**6
MAX_SEED = 2**32 - 1
# Lengths (gamma, box, gap, sv_spread) of planted data: coordinates up to 1e150 keep squared norms
# (and sums of them over 1e6 dimensions) inside float64's range.
MAX_LENGTH = 1e150
MIN_LENGTH = 1e-150

_positive_float = _real(0.0, strict=True)
_nonnegative_float = _real(0.0, strict=False, example="0")
_eps_float = _real(0.0, strict=False, maximum=1.0, below=True, example="0 or 0.001")
_steps_int = _integer(1, MAX_STEPS, "pass a smaller step count")
_per_decade_int = _integer(1, MAX_PER_DECADE, "pass e.g. 20 checkpoints per decade")
_points_int = _integer(1, MAX_POINTS, "pass a smaller count")
_dimension_int = _integer(1, MAX_DIMENSION, "pass a smaller dimension")
_seed_int = _integer(0, MAX_SEED, "pass a seed such as 0")
_length_float = _real(MIN_LENGTH, strict=False, maximum=MAX_LENGTH, example="1e-3")
_gap_float = _real(0.0, strict=False, maximum=MAX_LENGTH, example="0")


def _add_run_inputs(p, *, test_use: str) -> None:
    """The arguments `predict` and `simulate` share: DATA, --test, --eta, --eps."""
    p.add_argument("data", help="training data: .npz (X, y) or .csv (header, features, label last)")
    p.add_argument("--test", help=f"test set in the same format, {test_use}")
    p.add_argument("--eta", type=_positive_float, default=0.01, help="GD learning rate (default 0.01)")
    p.add_argument("--eps", type=_eps_float, default=0.0, help="accuracy tolerance eps of Def. 3.4 (default 0)")


def _add_predict(sub) -> None:
    p = sub.add_parser(
        "predict",
        help="closed-form predictions of the paper (and corrected ones) for a dataset",
        description="Evaluate the implicit-bias geometry (eqs. 7, 9), the residual limit (Thm 4.2, augmented), "
        "delta and b_inf (Thm 4.5) and the grokking time (Thm 4.6) on DATA.",
    )
    _add_run_inputs(p, test_use="for the asymptotic test time")
    p.add_argument("--alpha", type=_positive_float, default=10.0, help="concentrated band parameter (default 10)")
    p.add_argument("--allow-violations", action="store_true",
                   help="report predictions even when an assumption of the theory fails (exit 0, violations listed)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def _add_simulate(sub) -> None:
    p = sub.add_parser(
        "simulate",
        help="exact full-batch gradient descent on DATA with measurements",
        description="Run full-batch GD on the summed logistic loss with bias (eqs. 3-5) from w = 0, b = 0, "
        "with log-spaced checkpoints, and measure T_tr, T_te, zeta (Def. 3.4).",
    )
    _add_run_inputs(p, test_use="for T_te and zeta")
    p.add_argument("--steps", type=_steps_int, default=10_000_000, help="GD updates (default 1e7)")
    p.add_argument("--reduction", choices=["sum", "mean"], default="sum", help="summed (paper) or mean loss")
    p.add_argument("--per-decade", type=_per_decade_int, default=20, help="log-spaced checkpoints per decade")
    p.add_argument("--state", help="checkpoint file: saved periodically, resumed from if it exists")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout (no progress bar)")


def _add_data(sub) -> None:
    p = sub.add_parser(
        "data",
        help="write a planted dataset (and test sets) as .npz or .csv",
        description="The paper's planted construction made explicit: k+ / k- support vectors exactly on the "
        "hyperplanes w_true^T x = +/- gamma/2, population uniform in [-box, box]^d at distance >= gamma/2 + gap.",
    )
    p.add_argument("out", help="output file for the training set (.npz or .csv)")
    p.add_argument("--preset", choices=["paper-2d", "small"], help="start from a preset (flags below override it)")
    p.add_argument("--d", type=_dimension_int, help="dimension")
    p.add_argument("--n-pos", type=_points_int, help="points of class +1")
    p.add_argument("--n-neg", type=_points_int, help="points of class -1")
    p.add_argument("--k-pos", type=_points_int, help="planted support vectors of class +1")
    p.add_argument("--k-neg", type=_points_int, help="planted support vectors of class -1")
    p.add_argument("--gamma", type=_length_float, help="margin gamma (planted SVs at +/- gamma/2)")
    p.add_argument("--box", type=_length_float, help="half-width of the box [-box, box]^d")
    p.add_argument("--gap", type=_gap_float, help="extra distance of population points beyond gamma/2")
    p.add_argument("--sv-spread", type=_length_float, help="radius of the ball in which SVs spread along the hyperplane (default: whole box)")
    p.add_argument("--seed", type=_seed_int, help="random seed")
    p.add_argument("--standard-test", metavar="FILE", help="also write a standard test set")
    p.add_argument("--concentrated-test", metavar="FILE", help="also write a concentrated test set")
    p.add_argument("--n-test", type=_points_int, default=2000, help="test points (default 2000)")
    p.add_argument("--alpha", type=_positive_float, default=10.0, help="concentrated band |w^T x| <= alpha gamma")
    p.add_argument("--json", action="store_true", help="print a JSON summary")


# Commands whose module defines both ``add_parser(subparsers)`` and ``run(args)``; such a
# module keeps its top-level imports light (heavy ones inside ``run``) so `--help` stays fast.
SELF_PARSING = ("verify", "stability", "reproduce", "sweep", "docs")
# Commands whose parser is defined above; their module defines ``run(args)``.
PARSED_HERE = {"predict": _add_predict, "simulate": _add_simulate, "data": _add_data}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lingrok",
        description="Verify 'Grokking in Linear Models for Logistic Regression' (arXiv:2602.08302).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SELF_PARSING:
        if importlib.util.find_spec(f"lingrok.commands.{name}") is not None:
            importlib.import_module(f"lingrok.commands.{name}").add_parser(sub)
    for add in PARSED_HERE.values():
        add(sub)
    return parser


def _dispatch(args) -> int:
    return importlib.import_module(f"lingrok.commands.{args.command}").run(args)


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # the reader of stdout went away (`lingrok ... | head`): stop quietly
        _silence_stdout()
        return 1


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not fail again (Python docs'
    recipe for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except BrokenPipeError:
        raise
    except (UsageError, AssumptionViolation) as exc:
        print(f"lingrok {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # the file system refused a read or write the checks up front could not foresee
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"lingrok {args.command}: error: {exc.strerror or exc}{where}; check the path, its permissions and "
              "the free space", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"lingrok {args.command}: error: not enough memory for this input; use a smaller data set or "
              "fewer steps / checkpoints", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"lingrok {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

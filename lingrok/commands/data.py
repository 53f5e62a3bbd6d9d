"""`lingrok data`: write a planted dataset (Section 5 of arXiv:2602.08302) and its test sets."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from numerics.datafiles import DataError, save_data
from numerics.datasets import PlantedSpec, concentrated_test, paper_2d_spec, planted_dataset, quick_2d_spec, standard_test

from lingrok.errors import UsageError
from lingrok.inputs import check_output_file

PRESETS = {"paper-2d": paper_2d_spec, "small": quick_2d_spec}
SPEC_FLAGS = ("d", "n_pos", "n_neg", "k_pos", "k_neg", "gamma", "box", "gap", "sv_spread", "seed")


def _flag_names(message: str) -> str:
    """Name the command-line flag, not the Python argument: `k_pos` -> --k-pos."""
    message = re.sub(r"`(\w+)`", lambda m: "--" + m.group(1).replace("_", "-"), message)
    return message if ";" in message else message + "; change the flag named"


def spec_from_args(args) -> PlantedSpec:
    """The preset (default ``small``) with every given flag overriding it."""
    base = dataclasses.asdict(PRESETS[args.preset or "small"]())
    base.update({name: getattr(args, name) for name in SPEC_FLAGS if getattr(args, name) is not None})
    try:
        return PlantedSpec(**base)
    except ValueError as exc:
        raise UsageError(_flag_names(str(exc))) from None


# The planted SVs must lie on their hyperplanes to far better than the margin: the construction is
# exact up to a few ulps of box sqrt(d) (1.75e-16 against gamma/2 = 5e-4 on the paper's set); a
# residual of 1e-3 gamma/2 means gamma is below float64's resolution at this box and d.
PLANE_RESIDUAL_RTOL = 1e-3
# Numbers a run may hold in memory at once (training and test sets, 8 bytes each): 2e9 is 16 GB.
MAX_ENTRIES = 2 * 10**9


def _outputs(args) -> list[Path]:
    paths = [Path(p) for p in (args.out, args.standard_test, args.concentrated_test) if p]
    if len(set(p.resolve() for p in paths)) != len(paths):
        raise UsageError("the training and test output files must be different paths; give each its own file name")
    for path in paths:
        if path.suffix.lower() not in (".npz", ".csv"):
            raise UsageError(f"{path}: output must end in .npz or .csv; rename it")
        check_output_file(str(path), "output")
    return paths


def _check_size(spec: PlantedSpec, args) -> None:
    n_tests = sum(1 for p in (args.standard_test, args.concentrated_test) if p)
    entries = (spec.n + n_tests * args.n_test) * spec.d
    if entries > MAX_ENTRIES:
        raise UsageError(f"the data sets would hold {entries:.3g} numbers ((N + test points) x d), more than "
                         f"{MAX_ENTRIES:.0e} ({8 * MAX_ENTRIES / 1e9:.0f} GB); pass smaller --n-pos/--n-neg/--n-test or --d")


def run(args) -> int:
    _outputs(args)
    spec = spec_from_args(args)
    _check_size(spec, args)
    try:
        data = planted_dataset(spec)
        tests = []
        if args.standard_test:
            tests.append((args.standard_test, standard_test(spec, args.n_test, seed=spec.seed + 1)))
        if args.concentrated_test:
            tests.append((args.concentrated_test, concentrated_test(spec, args.n_test, alpha=args.alpha, seed=spec.seed + 2)))
    except (ValueError, OverflowError) as exc:
        raise UsageError(_flag_names(str(exc))) from None
    except MemoryError:
        raise UsageError("not enough memory for these data sets; pass smaller --n-pos/--n-neg/--n-test or --d") from None
    if not data.plane_residual <= PLANE_RESIDUAL_RTOL * spec.gamma / 2:
        raise UsageError(f"numeric range: the planted support vectors miss their hyperplanes w_true^T x = +/- gamma/2 "
                         f"by {data.plane_residual:.3g} (gamma/2 = {spec.gamma / 2:.3g}): gamma = {spec.gamma:g} is "
                         f"below float64's resolution at box = {spec.box:g}, d = {spec.d}; raise --gamma or lower --box")
    params = {**dataclasses.asdict(spec), "kind": "train", "sv_index": data.sv_index.tolist(),
              "plane_residual": data.plane_residual}
    written = []
    try:
        save_data(args.out, data.X, data.y, params)
        written.append(args.out)
        for path, test in tests:
            save_data(path, test.X, test.y, {**dataclasses.asdict(spec), "kind": test.kind, "lo": test.lo,
                                             "hi": test.hi if test.hi != float("inf") else None, "test_seed": test.seed})
            written.append(path)
    except (DataError, OSError) as exc:
        for path in written:  # all files or none: a training set without its test sets is a partial output
            Path(path).unlink(missing_ok=True)
        raise UsageError(f"{exc}; check the output paths" if isinstance(exc, OSError) else str(exc)) from None
    except BaseException:
        for path in written:
            Path(path).unlink(missing_ok=True)
        raise
    summary = {"spec": dataclasses.asdict(spec), "files": written, "n": spec.n,
               "support_planted": data.sv_index.tolist(), "plane_residual": data.plane_residual}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"planted dataset D({spec.n_pos},{spec.n_neg}) with S({spec.k_pos},{spec.k_neg}), d = {spec.d}, "
              f"gamma = {spec.gamma:g}, box = {spec.box:g}, gap = {spec.gap:g}, seed = {spec.seed}")
        print(f"planted SVs lie on w_true^T x = +/- gamma/2 to within {data.plane_residual:.2e} (exact arithmetic)")
        for path in written:
            print(f"wrote {path}")
    return 0

"""`lingrok data`: write a planted dataset (Section 5 of arXiv:2602.08302) and its test sets."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from numerics.datafiles import DataError, save_data
from numerics.datasets import PlantedSpec, concentrated_test, paper_2d_spec, planted_dataset, quick_2d_spec, standard_test

from lingrok.errors import UsageError

PRESETS = {"paper-2d": paper_2d_spec, "small": quick_2d_spec}
SPEC_FLAGS = ("d", "n_pos", "n_neg", "k_pos", "k_neg", "gamma", "box", "gap", "sv_spread", "seed")


def spec_from_args(args) -> PlantedSpec:
    """The preset (default ``small``) with every given flag overriding it."""
    base = dataclasses.asdict(PRESETS[args.preset or "small"]())
    base.update({name: getattr(args, name) for name in SPEC_FLAGS if getattr(args, name) is not None})
    try:
        return PlantedSpec(**base)
    except ValueError as exc:
        # Name the command-line flag, not the Python argument: `k_pos` -> --k-pos.
        raise UsageError(re.sub(r"`(\w+)`", lambda m: "--" + m.group(1).replace("_", "-"), str(exc))) from None


def _outputs(args) -> list[Path]:
    paths = [Path(p) for p in (args.out, args.standard_test, args.concentrated_test) if p]
    if len(set(p.resolve() for p in paths)) != len(paths):
        raise UsageError("the training and test output files must be different paths")
    for path in paths:
        if path.suffix.lower() not in (".npz", ".csv"):
            raise UsageError(f"{path}: output must end in .npz or .csv")
        if not path.parent.resolve().is_dir():
            raise UsageError(f"{path}: folder {path.parent} does not exist; create it first")
    return paths


def run(args) -> int:
    _outputs(args)
    spec = spec_from_args(args)
    try:
        data = planted_dataset(spec)
        tests = []
        if args.standard_test:
            tests.append((args.standard_test, standard_test(spec, args.n_test, seed=spec.seed + 1)))
        if args.concentrated_test:
            tests.append((args.concentrated_test, concentrated_test(spec, args.n_test, alpha=args.alpha, seed=spec.seed + 2)))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
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
    except DataError as exc:
        raise UsageError(str(exc)) from None
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

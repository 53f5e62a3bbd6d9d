"""`lingrok reproduce`: the paper's Table 1 and Figures 1, 2, 4 (arXiv:2602.08302, Section 5), ours beside theirs.

Top-level imports stay light (argparse only) so that `lingrok --help` is fast; the work is in
lingrok.reproduce (setups), lingrok.experiment (runs), lingrok.reproduce_report (tables, report)
and lingrok.figures (matplotlib, headless).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

from lingrok.errors import UsageError

DEFAULT_OUT = "reproduction"


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "reproduce",
        help="reproduce Table 1 and Figures 1, 2, 4 of the paper, our numbers beside the paper's",
        description="Run the paper's experiments (Section 5) with every planting choice explicit, and write a "
        "table placing our T_tr, T_te, zeta beside the paper's, figures in the style of its panels (PNG + SVG), "
        "and with `all` a report (README.md) saying what matches and why. Times are GD steps, read on even and "
        "odd steps separately (GD oscillates with period 2 at the paper's eta).",
    )
    p.add_argument("target", choices=("table1", "fig1", "fig2", "fig4", "all"), help="what to reproduce")
    p.add_argument("--scale", choices=("paper", "quick", "full"), default="paper",
                   help="paper: d = 2 exactly as the paper (1e7 steps, ~1 min per run), d = 1024 reduced to "
                   "~10 min; full: d = 1024 too at the paper's N = 1e6 (for a GPU: --backend cupy|torch); "
                   "quick: about a minute in all (default paper)")
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--backend", choices=("numba", "numpy", "cupy", "torch"), default="numba",
                   help="GD engine: numba (exact, default) or an array library (cupy / torch use the GPU)")
    p.add_argument("--state-dir", metavar="DIR",
                   help="keep each run's GD state here: an interrupted run resumes, a finished one "
                   "is not recomputed when the report is regenerated")
    p.add_argument("--no-figures", action="store_true", help="write tables only")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object on stdout")


def _needed(target: str, scale: str) -> dict:
    from lingrok.reproduce import fig2_setups, fig4_setups, table1_setups

    d2, d1024 = table1_setups(scale)
    setups = {}
    if target in ("table1", "fig1", "all"):
        setups["d2"] = d2
    if target in ("table1", "all"):
        setups["d1024"] = d1024
    if target in ("fig2", "all"):
        setups.update({s.key: s for s in fig2_setups(scale)})
    if target in ("fig4", "all"):
        setups.update({s.key: s for s in fig4_setups(scale)})
    return setups


def _same_run(a, b) -> bool:
    keys = ("spec", "eta", "steps", "per_decade", "n_test", "alpha")
    return all(getattr(a, k) == getattr(b, k) for k in keys) and (a.pgd or not b.pgd)


def _run_all(setups: dict, backend: str, quiet: bool, state_dir=None) -> dict:
    """Run every setup once; a setup equal to an earlier one (up to PGD) reuses its run."""
    from lingrok.array_backend import BackendUnavailable
    from lingrok.reproduce import run_setup

    results = {}
    for key, setup in setups.items():
        twin = next((k for k in results if _same_run(setups[k], setup)), None)
        if twin is not None:
            results[key] = dataclasses.replace(results[twin], label=setup.title)
            continue
        if not quiet:
            print(f"running {key}: {setup.title}, eta = {setup.eta:g}, {setup.steps:,} steps ...", file=sys.stderr,
                  flush=True)
        tic = time.perf_counter()
        try:
            results[key] = run_setup(setup, backend=backend, state_dir=state_dir, progress=not quiet)
        except BackendUnavailable as exc:
            raise UsageError(str(exc)) from None
        except ValueError as exc:  # e.g. a state file written by another version of the setup
            raise UsageError(f"{key}: {exc}") from None
        if not quiet:
            print(f"  done in {time.perf_counter() - tic:.1f} s", file=sys.stderr, flush=True)
    return results


def _command(args) -> str:
    parts = ["lingrok reproduce", args.target, "--scale", args.scale, "--out", Path(args.out).as_posix()]
    if args.backend != "numba":
        parts += ["--backend", args.backend]
    return " ".join(parts)


def run(args) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {args.out}: exists and is not a folder; choose a folder")
    from lingrok.array_backend import backend_available
    from lingrok.reproduce_report import write_report, write_target

    if not backend_available(args.backend):
        raise UsageError(f"--backend {args.backend}: the package {args.backend!r} is not installed; "
                         f"pip install {args.backend}, or use --backend numba")
    if args.scale == "full" and args.backend in ("numba", "numpy") and args.target in ("table1", "all"):
        print("lingrok reproduce: warning: --scale full runs d = 1024 at N = 1e6 for 1e7 steps (~1e16 "
              "multiply-adds); on a CPU that takes weeks. Use --backend cupy or torch on a GPU.", file=sys.stderr)
    tic = time.perf_counter()
    setups = _needed(args.target, args.scale)
    results = _run_all(setups, args.backend, quiet=args.json, state_dir=args.state_dir)
    targets = ("table1", "fig1", "fig2", "fig4") if args.target == "all" else (args.target,)
    summaries = {}
    for target in targets:
        summaries[target] = write_target(target, results, setups, out, write_figures=not args.no_figures)
    if args.target == "all":
        # the d = 2 run is drawn once, as Figure 1; Table 1's own copy would duplicate it
        for suffix in (".png", ".svg"):
            (out / f"table1-d2{suffix}").unlink(missing_ok=True)
        summaries["table1"]["files"] = [f for f in summaries["table1"]["files"] if not f.startswith("table1-d2")]
        write_report(out, scale=args.scale, command=_command(args), results=results, setups=setups,
                     summaries=summaries)
        if not args.json:
            print(f"all done in {time.perf_counter() - tic:.0f} s", file=sys.stderr)
    if args.json:
        print(json.dumps({"scale": args.scale, "out": str(out), "targets": summaries},
                         default=lambda v: None))
    else:
        for target, summary in summaries.items():
            print(f"{target}: wrote {', '.join(str(out / f) for f in summary['files'])}")
        if "table1" in summaries:
            print((out / "table1.md").read_text())
        if args.target == "all":
            print(f"report: {out / 'README.md'}")
    return 0

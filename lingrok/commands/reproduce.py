"""`lingrok reproduce`: the paper's Table 1 and Figures 1, 2, 4 (arXiv:2602.08302, Section 5), ours beside theirs.

Top-level imports stay light (argparse only) so that `lingrok --help` is fast; the work is in
lingrok.reproduction.runs (setups), lingrok.compare.experiment (runs), lingrok.reproduction.report (tables, report)
and lingrok.reproduction.figures (matplotlib, headless).
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
    p.add_argument("--from-results", action="store_true",
                   help="run nothing: re-render the tables, figures and report from DIR/results.json "
                   "(written by an earlier run of the same target and scale)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if DIR is stale: its results.json was computed by other code "
                   "(a fingerprint of the source, lingrok.provenance) or for other setups, or its pages differ "
                   "from what the code renders from results.json")


def _needed(target: str, scale: str) -> dict:
    from lingrok.reproduction.runs import fig2_setups, fig4_setups, table1_setups

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
    from numerics.array_engine import BackendUnavailable
    from lingrok.reproduction.runs import run_setup

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


def _render(out: Path, target: str, scale: str, command: str, results: dict, setups: dict, *,
            write_figures: bool, shown_out: str) -> dict:
    """Write every table, figure and (for ``all``) the report from ``results``; return the summaries.

    ``shown_out``: the output folder as the pages name it (the command's --out).
    """
    from lingrok.reproduction.report import write_report, write_target

    targets = ("table1", "fig1", "fig2", "fig4") if target == "all" else (target,)
    summaries = {}
    for name in targets:
        summaries[name] = write_target(name, results, setups, out, write_figures=write_figures)
    if target == "all":
        # the d = 2 run is drawn once, as Figure 1; Table 1's own copy would duplicate it
        for suffix in (".png", ".svg"):
            (out / f"table1-d2{suffix}").unlink(missing_ok=True)
        summaries["table1"]["files"] = [f for f in summaries["table1"]["files"] if not f.startswith("table1-d2")]
        write_report(out, scale=scale, command=command, results=results, setups=setups, summaries=summaries,
                     shown_out=shown_out)
    return summaries


def _environment() -> dict:
    import platform

    import numba
    import numpy

    return {"python": platform.python_version(), "numpy": numpy.__version__, "numba": numba.__version__,
            "machine": platform.machine()}


def _archived(out: Path, args, setups: dict) -> dict:
    """results.json of ``out``, checked to belong to this target, scale and these setups (UsageError if not)."""
    from lingrok.reproduction.archive import ARCHIVE_KEYS, ArchiveError, load_archive

    try:
        archive = load_archive(out)
    except ArchiveError as exc:
        raise UsageError(str(exc)) from None
    missing = [k for k in ARCHIVE_KEYS if k not in archive]
    if missing:
        raise UsageError(f"{(out / 'results.json').as_posix()} lacks {', '.join(missing)}; regenerate it with "
                         "lingrok reproduce")
    if (archive["target"], archive["scale"]) != (args.target, args.scale):
        raise UsageError(f"{out / 'results.json'} holds target {archive['target']!r} at scale {archive['scale']!r} "
                         f"(written by `{archive['command']}`), not {args.target!r} at {args.scale!r}; "
                         "give the same target and --scale")
    changed = sorted(k for k in set(setups) | set(archive["setups"]) if setups.get(k) != archive["setups"].get(k))
    if changed:
        raise UsageError(f"{out / 'results.json'}: the setups {', '.join(changed)} differ from the code's; "
                         f"rerun `{archive['command']}` without --from-results/--check")
    return archive


def _check(out: Path, args, setups: dict) -> int:
    """--check: fingerprint, setups and a re-render in a temporary folder compared with ``out``."""
    import tempfile

    from lingrok.provenance import source_fingerprint
    from lingrok.reproduction.archive import ENTRY_MODULES, RESULTS_FILE

    try:
        archive = _archived(out, args, setups)
    except UsageError as exc:
        print(f"lingrok reproduce --check: stale: {exc}", file=sys.stderr)
        return 1
    fix = f"rerun `{archive['command']}` and commit {out.as_posix()}"
    recorded = archive["fingerprint"]
    current = source_fingerprint(ENTRY_MODULES)
    if current.digest != recorded["digest"]:
        changed = current.changed(dict(recorded["files"]))
        print(f"lingrok reproduce --check: stale: the code behind the numbers changed since they were computed "
              f"(modules: {', '.join(changed)}); {fix}", file=sys.stderr)
        return 1
    from lingrok.sweeps.sweep import builtin_sweeps, stale_provenance

    sweeps = out / "sweeps"
    shown = [p for p in sorted(sweeps.iterdir()) if p.is_dir() and p.name in builtin_sweeps()] if sweeps.is_dir() else []
    stale = [f"{p.as_posix()}: {why}" for p in shown if (why := stale_provenance(p)) is not None]
    if stale:
        print("\n".join(stale), file=sys.stderr)
        print(f"lingrok reproduce --check: stale sweeps; rerun `lingrok sweep NAME --out {archive['out']}/sweeps/NAME` "
              "after deleting its results.csv, then the report with --from-results", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        if sweeps.is_dir():  # the report summarises the sweeps found beside it
            (fresh / "sweeps").symlink_to(sweeps.resolve(), target_is_directory=True)
        if (out / "table1-search").is_dir():  # and links the search over readings of Table 1 (issue 14)
            (fresh / "table1-search").symlink_to((out / "table1-search").resolve(), target_is_directory=True)
        _render(fresh, args.target, args.scale, archive["command"], archive["results"], archive["setups"],
                write_figures=archive["figures"], shown_out=archive["out"])
        rendered = sorted(p.name for p in fresh.iterdir() if p.is_file())
        committed = sorted(p.name for p in out.iterdir() if p.is_file() and p.name != RESULTS_FILE)
        problems = [f"missing: {(out / n).as_posix()}" for n in rendered if n not in committed]
        problems += [f"stale (no longer generated): {(out / n).as_posix()}" for n in committed if n not in rendered]
        # text pages byte for byte; PNG/SVG bytes depend on the matplotlib version, so figures by name only
        problems += [f"differs: {(out / n).as_posix()}" for n in rendered
                     if n in committed and n.endswith((".md", ".json"))
                     and (fresh / n).read_bytes() != (out / n).read_bytes()]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(f"lingrok reproduce --check: the pages in {out.as_posix()} differ from what the code renders from "
              f"its results.json; rerun `{archive['command']} --from-results` and commit", file=sys.stderr)
        return 1
    print(f"{out.as_posix()} is up to date: computed by the current code (fingerprint {current.digest[:12]}), "
          f"{len(rendered)} files re-rendered from results.json match")
    return 0


def run(args) -> int:
    from lingrok.inputs import check_output_dir

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {args.out}: exists and is not a folder; choose a folder")
    check_output_dir(args.out, "--out")
    if args.state_dir is not None:
        check_output_dir(args.state_dir, "--state-dir")
    if args.check and args.from_results:
        raise UsageError("--check and --from-results exclude each other: --check writes nothing; pass one of them")
    setups = _needed(args.target, args.scale)
    if args.check:
        return _check(out, args, setups)
    from numerics.array_engine import backend_available

    if not backend_available(args.backend):
        raise UsageError(f"--backend {args.backend}: the package {args.backend!r} is not installed; "
                         f"pip install {args.backend}, or use --backend numba")
    if args.scale == "full" and args.backend in ("numba", "numpy") and args.target in ("table1", "all") \
            and not args.from_results:
        print("lingrok reproduce: warning: --scale full runs d = 1024 at N = 1e6 for 1e7 steps (~1e16 "
              "multiply-adds); on a CPU that takes weeks. Use --backend cupy or torch on a GPU.", file=sys.stderr)
    tic = time.perf_counter()
    if args.from_results:
        archive = _archived(out, args, setups)
        results, command = dict(archive["results"]), archive["command"]
    else:
        from lingrok.provenance import source_fingerprint
        from lingrok.reproduction.archive import ENTRY_MODULES, save_archive

        fingerprint = source_fingerprint(ENTRY_MODULES)  # of the code as it is when the runs start
        results = _run_all(setups, args.backend, quiet=args.json, state_dir=args.state_dir)
        command = _command(args)
        # saved before rendering: a failure while drawing loses no GD work (rerun with --from-results)
        save_archive(out, {"target": args.target, "scale": args.scale, "command": command, "out": out.as_posix(),
                           "figures": not args.no_figures, "environment": _environment(),
                           "fingerprint": {"digest": fingerprint.digest, "files": fingerprint.files},
                           "setups": setups, "results": results})
    summaries = _render(out, args.target, args.scale, command, results, setups, write_figures=not args.no_figures,
                        shown_out=out.as_posix())
    if args.target == "all" and not args.json:
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

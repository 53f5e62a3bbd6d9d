"""`lingrok sweep`: a grid of GD experiments through Dask, resumable, one CSV row per run.

Top-level imports stay light: dask and the experiment code load inside `run`.
"""

from __future__ import annotations

import json
import sys

from lingrok.errors import UsageError


def add_parser(subparsers) -> None:
    from lingrok.cli import MAX_STEPS, _integer, _real

    p = subparsers.add_parser(
        "sweep",
        help="run a grid of experiments (data parameters x seeds x eta) on Dask, resumably",
        description="Expand CONFIG.toml (or a built-in sweep: fig2-sv-imbalance, fig4-class-imbalance, gamma, eta) "
        "into runs and execute them on a local Dask cluster (one single-threaded worker process per core, on "
        "127.0.0.1) or on an existing dask.distributed scheduler (--scheduler; its workers need lingrok installed). "
        "Each finished run is appended to OUT/results.csv at once; rerunning the same command resumes: runs already "
        "in the table are skipped and no row is written twice. Then OUT/NAME.png/.svg plot measured against "
        "predicted times.",
    )
    p.add_argument("config", metavar="CONFIG", help="sweep file (.toml) or the name of a built-in sweep")
    p.add_argument("--scheduler", metavar="ADDRESS", help="address of a running dask scheduler, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--out", metavar="DIR", help="output folder (default sweep-NAME)")
    p.add_argument("--workers", type=_integer(1, 1024, "pass a worker count such as 2"), metavar="N", help="local cluster: worker processes (default: one per core)")
    p.add_argument("--max-runs", type=_integer(1, MAX_STEPS, "pass a smaller run count"), metavar="N", help="run at most N of the missing runs now (resume later)")
    p.add_argument("--timeout", type=_real(0.0, maximum=86400.0, example="10"), default=10.0, metavar="S", help="seconds to wait for the scheduler (default 10)")
    p.add_argument("--list", action="store_true", help="print the expanded runs and exit")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout (no progress bar)")


def run(args) -> int:
    from lingrok.sweeps.sweep import plot_sweep, run_id, run_sweep, load_config

    for flag, value in (("--workers", args.workers), ("--max-runs", args.max_runs)):
        if value is not None and value < 1:
            raise UsageError(f"{flag} must be a positive integer, got {value}; pass e.g. 1")
    if not args.timeout > 0:
        raise UsageError(f"--timeout must be positive, got {args.timeout}; pass e.g. 10")
    from lingrok.inputs import check_output_dir

    config = load_config(args.config)
    out = args.out or f"sweep-{config.name}"
    check_output_dir(out, "--out")
    if args.list:
        for params in config.runs:
            print(run_id(params), json.dumps({k: v for k, v in params.items() if k != "eps"}))
        return 0
    outcome = run_sweep(config, out, scheduler=args.scheduler, n_workers=args.workers, max_runs=args.max_runs,
                        progress=not args.json, timeout_s=args.timeout)
    figures = plot_sweep(config, out) if outcome.remaining == 0 else []
    summary = {"sweep": config.name, "table": str(outcome.table), "runs": outcome.total, "already": outcome.already,
               "written": outcome.written, "failed": outcome.failed, "errors": outcome.errors,
               "remaining": outcome.remaining, "figures": [str(p) for p in figures],
               "where": args.scheduler or "local cluster (127.0.0.1)"}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"sweep {config.name}: {outcome.total} runs; {outcome.already} were done, {outcome.written} written now "
              f"to {outcome.table} ({outcome.errors} with errors), {outcome.failed} lost to failed workers, "
              f"{outcome.remaining} remaining" + ("; rerun the same command to resume" if outcome.remaining else ""))
        for path in figures:
            print(f"figure: {path}")
    if outcome.failed:
        print("lingrok sweep: some runs were lost with their workers; rerun to complete them", file=sys.stderr)
        return 1
    return 0

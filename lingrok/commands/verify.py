"""`lingrok verify`: run the claims ledger of arXiv:2602.08302 and report a verdict per claim.

    lingrok verify [--quick] [--json] [--out DIR] [--seed N]

Prints the ledger as a table (claim id, verdict, one-line summary), or with ``--json`` one object
``{"claims": [...], "config": ..., "runs": ...}`` on stdout. With ``--out DIR`` it writes
``ledger.json`` and ``ledger.md`` (plus PNG figures when matplotlib is importable) atomically into
DIR, and keeps resumable GD state files under ``DIR/.state``. Exit status: 0 when every verdict
was computed (whatever it is), 1 when some check raised (its claim reads ``error``), 2 for
unusable arguments (e.g. DIR is a file). Top-level imports stay light so ``lingrok --help`` is fast.

Each claim also carries its robustness to the paper's unstated choices, read from the committed results
of the robustness sweep (``sweeps/robustness.py`` -> ``docs/ledger/robustness/``, lingrok.ledger.robustness):
the sweep's paper-size variants are too heavy for this command's few minutes, so it reads, not reruns, them.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

from lingrok.errors import UsageError

__all__ = ["add_parser", "run", "build_ledger", "write_outputs"]


def _seed(text: str) -> int:
    """argparse type of --seed: the same integer rule (and range) as every other command's --seed."""
    from lingrok.cli import _seed_int

    return _seed_int(text)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "verify",
        help="check every claim of the paper (and the corrected predictions) against exact GD runs",
        description="Run the claims ledger: every claim of arXiv:2602.08302 and each corrected prediction is checked "
        "against high-precision simulations with named thresholds, and gets a verdict (holds, fails, "
        "holds-under-conditions, or error when the check could not run). Default: ~5 minutes; --quick: < 1 minute.",
    )
    p.add_argument("--quick", action="store_true", help="small configuration (10x smaller paper-regime set, shorter runs)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout (no progress messages)")
    p.add_argument("--out", metavar="DIR", help="write ledger.json, ledger.md and figures into DIR (created if missing); "
                   "GD state for resuming is kept in DIR/.state")
    p.add_argument("--seed", type=_seed, default=0, help="base seed of every data set and test set (default 0)")


def build_ledger(config, *, state_dir=None, progress: bool = False, only=None, robustness: bool = True,
                 robustness_dir=None):
    """Run every claim check on ``config``; return (Ledger, VerifyContext).

    A check that raises yields verdict ``error`` for its claim; the others still run.
    ``only``: optional collection of claim ids to run (tests, debugging).
    ``robustness``: attach each claim's verdicts under the variants of the paper's unstated choices, read
    from the sweep's results in ``robustness_dir`` (default docs/ledger/robustness; lingrok.ledger.robustness);
    a verdict that depends on a choice becomes holds-under-conditions. The sweep itself passes False.
    """
    from lingrok.ledger.claims_common import all_checks
    from lingrok.ledger.records import Ledger, LedgerEntry, error_finding
    from lingrok.ledger.context import VerifyContext

    ctx = VerifyContext(config, state_dir=state_dir, progress=progress)
    entries = []
    tic = time.perf_counter()
    for claim, check in all_checks():
        if only is not None and claim.id not in only:
            continue
        ctx.log(f"checking {claim.id}")
        start = time.perf_counter()
        try:
            found = dataclasses.replace(check(ctx), seconds=time.perf_counter() - start)
        except Exception as exc:  # noqa: BLE001 - any failure of one check becomes that claim's 'error' verdict
            found = error_finding(exc, time.perf_counter() - start)
            ctx.log(f"{claim.id}: ERROR {found.error}")
        else:
            ctx.log(f"{claim.id}: {found.verdict} ({found.seconds:.1f} s)")
        entries.append(LedgerEntry(claim, found))
    if robustness:
        from lingrok.ledger.robustness import attach

        entries = attach(entries, config, robustness_dir)
    ledger = Ledger(entries=tuple(entries), config=config.to_dict(), runs=dict(ctx.runs), seconds=time.perf_counter() - tic)
    return ledger, ctx


def _figures(ctx, out_dir: Path) -> dict:
    """PNG figure of the paper's run and the stable S35-20 run (b, |b|/||w||, accuracies vs log steps).

    Returns {caption: file name}; {} without matplotlib or when the ledger did not compute those runs.
    """
    from numerics.datafiles import atomic_write

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return {}
    import io

    import numpy as np
    from numerics.grokking import phase_one_end, phase_two_end

    if not (ctx.has("stable-runs") and ctx.has("gd:paper")):
        return {}  # only runs the ledger already computed are drawn
    runs = [("stable regime, S(35,20), eta lambda_max(H0) = 1", ctx.stable_runs()[ctx.config.flow_set]),
            (f"paper's regime, eta = {ctx.config.paper_eta}", ctx.paper_run())]
    fig, axes = plt.subplots(3, 2, figsize=(11, 9), sharex="col")
    for col, (title, run) in enumerate(runs):
        t = run.traj.t
        m = (t % 2 == 0) & (t > 0)
        p1 = phase_one_end(t, run.meas.nonsv_mass_share_b).t
        p2 = phase_two_end(t, run.meas.distance).t
        axes[0, col].plot(t[m], run.traj.b[m], label="b(t), even steps")
        axes[0, col].axhline(run.residual.b_inf, color="k", ls=":", label="b_inf = -log delta")
        axes[1, col].plot(t[m], np.asarray(run.meas.distance)[m], label="|b| / ||w||")
        for name, acc in (("train", run.meas.train.accuracy), ("standard", run.meas.test["standard"].accuracy),
                          ("concentrated", run.meas.test["concentrated"].accuracy)):
            axes[2, col].plot(t[m], np.asarray(acc)[m], label=name)
        for ax in axes[:, col]:
            ax.set_xscale("log")
            for tb in (p1, p2):
                if tb:
                    ax.axvline(tb, color="gray", ls="--", lw=0.8)
            ax.legend(fontsize=7)
        axes[0, col].set_title(title, fontsize=9)
        axes[1, col].set_yscale("log")
        axes[2, col].set_xlabel("GD steps (dashed: end of phase 1, end of phase 2)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write(out_dir / "trajectories.png", buf.getvalue())
    return {"b(t), |b|/||w|| and accuracies vs GD steps; stable regime (left) and the paper's (right)": "trajectories.png"}


def write_outputs(ledger, ctx, out_dir: Path) -> list:
    """Write figures, ledger.md and ledger.json into ``out_dir`` atomically; return the paths written."""
    from numerics.datafiles import atomic_write

    from lingrok.ledger.records import ledger_to_dict, render_markdown

    written = []
    try:
        figures = _figures(ctx, out_dir)
    except Exception as exc:  # noqa: BLE001 - a figure problem must not lose the ledger
        print(f"lingrok verify: figures skipped ({type(exc).__name__}: {exc})", file=sys.stderr)
        figures = {}
    written += [out_dir / p for p in figures.values()]
    atomic_write(out_dir / "ledger.md", render_markdown(ledger, figures).encode())
    atomic_write(out_dir / "ledger.json", (json.dumps(ledger_to_dict(ledger), indent=1) + "\n").encode())
    written += [out_dir / "ledger.md", out_dir / "ledger.json"]
    return written


def _prepare_out(out: str | None):
    if out is None:
        return None
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory; choose a directory path")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot create the directory ({exc.strerror}); choose a writable path") from None
    return path


def run(args) -> int:
    from lingrok.ledger.records import ledger_to_dict, render_table
    from lingrok.ledger.config import default_config, quick_config

    out_dir = _prepare_out(args.out)
    config = quick_config(args.seed) if args.quick else default_config(args.seed)
    state_dir = out_dir / ".state" if out_dir is not None else None
    progress = not args.json
    if progress:
        print(f"lingrok verify: {config.name} configuration, seed {config.seed}", file=sys.stderr)
    ledger, ctx = build_ledger(config, state_dir=state_dir, progress=progress)
    if out_dir is not None:
        written = write_outputs(ledger, ctx, out_dir)
        if progress:
            print(f"lingrok verify: wrote {', '.join(str(p) for p in written)}", file=sys.stderr)
    if args.json:
        print(json.dumps(ledger_to_dict(ledger)))
    else:
        print(render_table(ledger))
    return 1 if ledger.n_errors else 0

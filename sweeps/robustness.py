"""The robustness sweep of the claims ledger (issue 14): every claim check rerun under each variant.

    .venv/bin/python sweeps/robustness.py [--config default|quick] [--seed N] [--variants NAME ...]
                                          [--out docs/ledger/robustness]

Each variant of lingrok.ledger.robustness.ALL_VARIANTS changes one of the paper's unstated choices (the
support vectors' spread, the population gap, the box, the seeds, n and k per class, the loss reduction)
relative to the ledger's configuration, or a combination of them (COMBINATIONS: every change of its parts
at once); the sweep builds the ledger on the changed configuration (the same checks, thresholds, GD engine
and float64 precision as ``lingrok verify``; every run's steps and checkpoints are in the result's "runs";
a variant restricted to some claims, like the d = 1024 ones, runs those only) and writes
``<out>/<variant>.json``: the variant, its choices and parts, the configuration, the verdict and summary of
every claim, the wall time and the code's commit. A variant that changes the loss reduction runs every GD
run of the ledger's context on the mean loss at eta N; the one-choice reduction variant also compares the
two formulations' iterates on the paper-regime set. ``lingrok verify`` reads these files
(lingrok.ledger.robustness.attach).
Resumable GD state goes to ``<out>/.state/<variant>/`` (not committed).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lingrok.commands.verify import build_ledger  # noqa: E402
from lingrok.ledger.config import config_by_name  # noqa: E402
from lingrok.ledger.records import json_safe  # noqa: E402
from lingrok.ledger.robustness import ALL_VARIANTS, REDUCTION_VARIANT, RESULTS_DIR, result_file_name  # noqa: E402

# Summed vs mean loss: steps of the comparison, and the relative difference of the iterates below which they
# are the same map up to rounding. eta_mean grad_mean = eta_sum grad_sum exactly in real arithmetic; float64
# rounds the two differently (a division by N and a multiplication by N), an error of a few eps per step that
# the contracting parts of GD damp and the log-t growth carries: 1e-8 leaves six decades above 1e6 steps x 2^-52.
REDUCTION_STEPS = 1_000_000
REDUCTION_TOL = 1e-8


def _commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


_START_COMMIT = _commit()  # HEAD when the sweep started: the code it imported (plus any uncommitted edits)


def _header(variant, base) -> dict:
    return {"variant": variant.name, "choices": list(variant.choices), "parts": list(variant.parts),
            "only_claims": None if variant.claims is None else list(variant.claims), "description": variant.description,
            "base_config": base.name, "base_seed": base.seed, "commit_before_run": _START_COMMIT,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def run_variant(variant, base, out: Path) -> dict:
    """Build the ledger on ``variant.apply(base)`` (the base itself when apply is None); the JSON result.

    A variant with ``claims`` runs those claims only (build_ledger's ``only``).
    """
    cfg = base if variant.apply is None else variant.apply(base)
    tic = time.perf_counter()
    ledger, _ = build_ledger(cfg, state_dir=out / ".state" / result_file_name(variant.name)[:-5], progress=True,
                             only=variant.claims, robustness=False)
    res = _header(variant, base) | {
        "how": "lingrok.commands.verify.build_ledger on the variant configuration: the ledger's checks and thresholds, "
               "float64 GD (numerics.runs, numba engine), the steps and checkpoints listed under runs",
        "config": json_safe(cfg.to_dict()),
        "claims": {e.claim.id: {"verdict": e.finding.verdict, "summary": e.finding.summary,
                                "conditions": e.finding.conditions} for e in ledger.entries},
        "runs": json_safe(dict(ledger.runs)),
        "seconds": round(time.perf_counter() - tic, 1),
    }
    return res


@contextmanager
def mean_loss_runs():
    """Every GD run of the ledger's context (numerics.simulation.simulate / simulate_batch) on the mean loss at eta N.

    The returned GDRun carries the summed-loss eta it is equivalent to (eta_mean / N), because the checks'
    theory (residual limit, sharpness, t_EoS) is written in those units; its ``reduction`` says "mean".
    The kick test and the edge-of-stability detection call numerics.engine directly and stay on the sum.
    """
    import lingrok.ledger.context as context

    orig_sim, orig_batch = context.simulate, context.simulate_batch

    def simulate_mean(X, y, *, eta, reduction="sum", **kw):
        sim = orig_sim(X, y, eta=eta * X.shape[0], reduction="mean", **kw)
        return dataclasses.replace(sim, run=dataclasses.replace(sim.run, eta=eta))

    def batch_mean(Xs, ys, etas, *, reduction="sum", **kw):
        etas = list(np.broadcast_to(np.asarray(etas, dtype=float), (len(Xs),)))
        sims = orig_batch(Xs, ys, [e * X.shape[0] for e, X in zip(etas, Xs)], reduction="mean", **kw)
        return [dataclasses.replace(s, run=dataclasses.replace(s.run, eta=float(e))) for s, e in zip(sims, etas)]

    context.simulate, context.simulate_batch = simulate_mean, batch_mean
    try:
        yield
    finally:
        context.simulate, context.simulate_batch = orig_sim, orig_batch


def run_mean_variant(variant, base, out: Path) -> dict:
    """The ledger rerun on ``variant``'s configuration with its GD runs on the mean loss at eta N; for the
    one-choice REDUCTION_VARIANT also the iterate comparison of run_reduction."""
    with mean_loss_runs():
        res = run_variant(variant, base, out)
    gd_runs = {k: v for k, v in res["runs"].items() if k.startswith("gd:")}
    if not gd_runs or any(v.get("reduction") != "mean" for v in gd_runs.values()):
        raise RuntimeError("the mean-loss patch did not reach the context's GD runs (lingrok.ledger.context changed?)")
    res["how"] += ("; every GD run of the context (paper, small-paper, stable, dimension, d = 1024) on the MEAN loss with "
                   "eta_mean = N eta_sum (each run's provenance shows reduction = mean and the summed-loss eta it equals); "
                   "GD started outside the context stays on the sum: the kick test (thm4.5-ode, corr-a), the edge-of-stability "
                   "detection (corr-e) and the step-resolved reruns of the phase brackets (phases, corr-d)")
    if variant is REDUCTION_VARIANT:
        res["iterates"] = run_reduction(base, out)
    return res


def run_reduction(base, out: Path) -> dict:
    """GD on the paper-regime set with the summed loss (eta) and the mean loss (eta N); their largest difference."""
    from numerics.datasets import planted_dataset
    from numerics.runs import run

    spec = base.paper_spec
    ds = planted_dataset(spec)
    X, y = np.asarray(ds.X), np.asarray(ds.y)
    n = X.shape[0]
    tic = time.perf_counter()
    s = run(X, y, eta=base.paper_eta, steps=REDUCTION_STEPS, reduction="sum")
    m = run(X, y, eta=base.paper_eta * n, steps=REDUCTION_STEPS, reduction="mean")
    ts, tm = np.column_stack([s.w, s.b]), np.column_stack([m.w, m.b])
    scale = np.maximum(np.linalg.norm(ts, axis=1), 1e-300)
    diff = float(np.max(np.linalg.norm(ts - tm, axis=1)[1:] / scale[1:]))
    return {
        "how": f"numerics.runs.run on paper_spec (N = {n}, the paper's eta = {base.paper_eta:g}, period-2 regime): "
               f"summed loss with eta and mean loss with eta N, {REDUCTION_STEPS:,} steps, float64, every checkpoint compared "
               "(||theta_sum - theta_mean|| / ||theta_sum||)",
        "steps": REDUCTION_STEPS, "max_relative_difference": diff, "tolerance": REDUCTION_TOL,
        "spec": json_safe(spec.__dict__), "seconds": round(time.perf_counter() - tic, 1),
    }


def verdict_table(directory: Path, base: dict, record: dict | None = None, flips: dict | None = None) -> str:
    """Markdown table: claim x variant verdicts from the result files in ``directory`` (base: claim id -> verdict;
    record: claim id -> the ledger's verdict of record, a column when given; flips: claim id -> the ledger's
    ``redraw_flips`` record or None, a last column "k/m [low, high]" when given). "-": the variant was not run
    on the claim."""
    short = {"holds": "H", "fails": "F", "holds-under-conditions": "C", "error": "E"}
    results = [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))]
    order = {v.name: i for i, v in enumerate(ALL_VARIANTS)}
    results = sorted((r for r in results if "claims" in r), key=lambda r: order.get(r["variant"], len(order)))
    names = [r["variant"] for r in results]
    tail = (" of record |" if record else "") + (" redraw flips k/m [95% CI] |" if flips is not None else "")
    extra = bool(record) + (flips is not None)
    lines = ["| claim | base | " + " | ".join(names) + " |" + tail, "|---|---|" + "---|" * (len(names) + extra)]
    for cid, verdict in base.items():
        cells = [short.get(r["claims"].get(cid, {}).get("verdict"), "-") for r in results]
        end = f" {short.get(record[cid], record[cid])} |" if record else ""
        if flips is not None:
            f = flips.get(cid)
            end += " - |" if f is None else f" {f['k']}/{f['m']} [{f['low']:.2f}, {f['high']:.2f}] |"
        lines.append(f"| {cid} | {short.get(verdict, verdict)} | " + " | ".join(cells) + " |" + end)
    return "\n".join(lines)


def construction_flip_table(rates: dict) -> str:
    """Markdown table of the per-construction redraw flip rates (rates: claim id -> the ledger's ``construction_flips``
    list): per construction, its own verdict, "k/m [low, high]" of the redraws whose verdict differs from it, and
    "b/m [low, high]" of those that give the default construction's base verdict. "-": no estimate for the claim."""
    short = {"holds": "H", "fails": "F", "holds-under-conditions": "C", "error": "E"}
    names = list(dict.fromkeys(c["construction"] for cs in rates.values() for c in cs or ()))
    head = "| claim | base | " + " | ".join(f"{n}: own | {n}: redraws not own [95% CI] | {n}: redraws giving base [95% CI]"
                                           for n in names) + " |"
    lines = [head, "|---|---|" + "---|---|---|" * len(names)]
    for cid, cs in rates.items():
        by = {c["construction"]: c for c in cs or ()}
        if not by:
            continue
        base = short[next(iter(by.values()))["base_verdict"]]
        cells = []
        for n in names:
            c = by.get(n)
            if c is None:
                cells += ["-", "-", "-"]
                continue
            d, b = c["differ"], c["give_base"]
            cells += [short[c["own_verdict"]], f"{d['k']}/{d['m']} [{d['low']:.2f}, {d['high']:.2f}]",
                      f"{b['k']}/{b['m']} [{b['low']:.2f}, {b['high']:.2f}]"]
        lines.append(f"| {cid} | {base} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="default", choices=("default", "quick"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--variants", nargs="*", help="variant names (default: all, the summed-vs-mean check included)")
    p.add_argument("--out", default=str(RESULTS_DIR))
    p.add_argument("--table", action="store_true", help="print the claim x variant verdict table of the results in --out "
                   "(base verdicts and verdicts of record from docs/ledger/ledger.json), then the per-construction redraw "
                   "flip rates of the ledger, and exit")
    args = p.parse_args(argv)
    base = config_by_name(args.config, args.seed)
    out = Path(args.out)
    if args.table:
        page = json.loads((ROOT / "docs" / "ledger" / "ledger.json").read_text())
        print(verdict_table(out, {c["id"]: (c.get("robustness") or {}).get("base_verdict", c["verdict"])
                                  for c in page["claims"]}, {c["id"]: c["verdict"] for c in page["claims"]},
                            {c["id"]: (c.get("robustness") or {}).get("redraw_flips") for c in page["claims"]}))
        rates = {c["id"]: (c.get("robustness") or {}).get("construction_flips") for c in page["claims"]}
        if any(rates.values()):
            print("\n" + construction_flip_table(rates))
        return 0
    out.mkdir(parents=True, exist_ok=True)
    unknown = set(args.variants or ()) - {v.name for v in ALL_VARIANTS}
    if unknown:
        p.error(f"unknown variants {sorted(unknown)}; known: {[v.name for v in ALL_VARIANTS]}")
    chosen = [v for v in ALL_VARIANTS if not args.variants or v.name in args.variants]
    for v in chosen:
        print(f"[robustness] variant {v.name} on the {base.name} configuration", file=sys.stderr, flush=True)
        res = run_mean_variant(v, base, out) if "reduction" in v.choices else run_variant(v, base, out)
        (out / result_file_name(v.name)).write_text(json.dumps(res, indent=1) + "\n")
        verdicts = res.get("claims", {})
        print(f"[robustness] {v.name}: {res['seconds']} s; "
              + ", ".join(f"{k} {c['verdict']}" for k, c in verdicts.items()), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

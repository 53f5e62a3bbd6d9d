"""Sweep of predicted (theory.phases) vs measured (exact GD, numerics.phases) phase ends, T_tr, T_te (issue 13).

Random planted sets (numerics.datasets) over d in 2..8, imbalanced k+/k- and n+/n-, gamma in
[0.05, 0.5], eta lambda_max(H(0)) in [0.1, 1.9]; the horizon of theory.prediction.default_horizon,
sets whose horizon exceeds --max-horizon skipped (they only cost time). Writes docs/phases/sweep.json
(every set: spec, eta, prediction, stated error, measurement) and docs/phases/sweep.png (predicted /
measured per quantity against eta lambda, gamma, class and support imbalance, d), and prints the
median and worst ratios. The sets are drawn up front and run on Dask (a local cluster of one
single-threaded worker process per core by default, or ``--scheduler ADDRESS``; ``--workers 0`` runs
them in this process), so the result does not depend on how it was run. A script, not a test:

    .venv/bin/python scripts/phase_sweep.py --n 40 --seed 0
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from numerics.phases import measure_phases
from theory.prediction import default_horizon, predict
from numerics.datasets import PlantedSpec, concentrated_test, planted_dataset
from theory.geometry import paper_assumptions
from theory.stability import sharpness_at_init

NAMES = ("phase1_end", "phase2_end", "T_tr", "T_te")


def random_spec(rng, max_pop: int = 80) -> tuple[PlantedSpec, float]:
    d = int(rng.integers(2, 9))
    k_small = int(rng.integers(d + 1, d + 4))
    k_big = int(rng.integers(k_small, 3 * k_small + 1))
    k_pos, k_neg = (k_big, k_small) if rng.random() < 0.5 else (k_small, k_big)
    pop_pos, pop_neg = int(rng.integers(0, max_pop)), int(rng.integers(0, max_pop))
    gamma = float(np.exp(rng.uniform(math.log(0.05), math.log(0.5))))
    spec = PlantedSpec(d=d, n_pos=k_pos + pop_pos, n_neg=k_neg + pop_neg, k_pos=k_pos, k_neg=k_neg, gamma=gamma,
                       gap=gamma * float(rng.uniform(0.5, 2.0)),
                       sv_spread=None if rng.random() < 0.5 else float(rng.uniform(1.0, 3.0)),
                       seed=int(rng.integers(0, 10_000)))
    return spec, float(rng.uniform(0.1, 1.9))


def one(spec: PlantedSpec, c: float, max_horizon: float) -> dict | None:
    ds = planted_dataset(spec)
    pa = paper_assumptions(ds.X, ds.y)
    if not (pa.b_s_is_zero and pa.support_spans_data and pa.eq7.status == "optimal"):
        return None
    eta = c / sharpness_at_init(ds.X, ds.y, eta=1.0).lambda_max
    test = concentrated_test(spec, 400, seed=spec.seed + 1)
    ctx = predict(ds.X, ds.y, eta=eta, test=(test.X, test.y), finite_time=False)
    horizon = default_horizon(ctx.k_star, ctx.residual.b_inf, ctx.T_te_asymptotic)
    if horizon > max_horizon:
        return None
    t0 = time.perf_counter()
    pred = predict(ds.X, ds.y, eta=eta, test=(test.X, test.y), horizon=horizon).phases
    t_pred = time.perf_counter() - t0
    meas = measure_phases(ds.X, ds.y, test.X, test.y, eta=eta, steps=horizon, support=ctx.residual.support)
    row = {"spec": {k: getattr(spec, k) for k in ("d", "n_pos", "n_neg", "k_pos", "k_neg", "gamma", "gap",
                                                  "sv_spread", "seed")},
           "eta_lambda": c, "eta": eta, "horizon": horizon, "k_star": ctx.k_star,
           "T_te_asymptotic": ctx.T_te_asymptotic, "reduced_size": pred.reduced_size, "n_points": pred.n_points,
           "prediction_seconds": t_pred}
    for k in NAMES:
        m = meas[k]
        row[k] = {"predicted": getattr(pred, k), "stated_rel_error": pred.rel_error[k], "measured": m.step,
                  "measured_censored": m.censored, "predicted_censored": pred.censored[k]}
    return row


def summarise(rows: list) -> dict:
    out = {}
    for k in NAMES + ("T_te_asymptotic",):
        ratios = []
        for r in rows:
            if k == "T_te_asymptotic":
                m, p = r["T_te"]["measured"], r["T_te_asymptotic"]
                ok = m and not r["T_te"]["measured_censored"] and math.isfinite(p)
            else:
                m, p = r[k]["measured"], r[k]["predicted"]
                ok = m and not r[k]["measured_censored"] and not r[k]["predicted_censored"] and math.isfinite(p)
            if ok:
                ratios.append(p / m)
        a = np.array(ratios)
        if a.size:
            dev = np.abs(np.log(a))
            out[k] = {"n": int(a.size), "median_ratio": float(np.median(a)), "min_ratio": float(a.min()),
                      "max_ratio": float(a.max()), "median_abs_log": float(np.median(dev)),
                      "within_25pct": int(np.sum(np.abs(a - 1) <= 0.25)), "within_10pct": int(np.sum(np.abs(a - 1) <= 0.10)),
                      "within_factor_2": int(np.sum((a <= 2) & (a >= 0.5)))}
    return out


def figure(rows: list, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    xs = {"eta lambda_max(H(0))": lambda r: r["eta_lambda"], "gamma": lambda r: r["spec"]["gamma"],
          "k+/k-": lambda r: r["spec"]["k_pos"] / r["spec"]["k_neg"],
          "n+/n-": lambda r: r["spec"]["n_pos"] / r["spec"]["n_neg"], "d": lambda r: r["spec"]["d"]}
    fig, axes = plt.subplots(len(NAMES), len(xs), figsize=(3.2 * len(xs), 2.4 * len(NAMES)), sharey="row")
    for i, k in enumerate(NAMES):
        for j, (label, fx) in enumerate(xs.items()):
            ax = axes[i, j]
            pts = [(fx(r), r[k]["predicted"] / r[k]["measured"]) for r in rows
                   if r[k]["measured"] and not r[k]["measured_censored"] and math.isfinite(r[k]["predicted"])]
            if pts:
                x, y = zip(*pts)
                ax.scatter(x, y, s=10)
            ax.axhline(1.0, color="k", lw=0.5)
            for lv in ((0.75, 1.25) if k.startswith("T_") else (0.5, 2.0)):
                ax.axhline(lv, color="r", lw=0.5, ls="--")
            ax.set_yscale("log")
            if label in ("gamma", "k+/k-", "n+/n-"):
                ax.set_xscale("log")
                ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            if i == len(NAMES) - 1:
                ax.set_xlabel(label)
            if j == 0:
                ax.set_ylabel(f"{k}: predicted / GD")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _run_all(specs, max_horizon: float, workers: int, scheduler: str | None) -> list:
    """one() for every (spec, c), in order: in this process (workers 0) or on Dask (a local cluster of
    single-threaded worker processes, or the scheduler at ``scheduler``)."""
    if workers == 0 and scheduler is None:
        return [one(spec, c, max_horizon) for spec, c in specs]
    from dask.distributed import Client, LocalCluster

    cluster = None if scheduler else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                  host="127.0.0.1", dashboard_address=None)
    with Client(scheduler or cluster) as client:
        futures = client.map(one, [s for s, _ in specs], [c for _, c in specs], max_horizon=max_horizon, pure=False)
        rows = client.gather(futures)
    if cluster is not None:
        cluster.close()
    return rows


def main() -> None:
    from numerics.datafiles import atomic_write

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40, help="random sets to draw")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-horizon", type=float, default=1e6)
    ap.add_argument("--max-pop", type=int, default=80, help="population points per class drawn from 0..max-pop")
    ap.add_argument("--workers", type=int, default=2, help="Dask worker processes (0: run in this process)")
    ap.add_argument("--scheduler", help="address of a running dask scheduler instead of a local cluster")
    ap.add_argument("--out", default="docs/phases")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    specs = [random_spec(rng, args.max_pop) for _ in range(args.n)]  # drawn up front: the same sets however run
    rows = [row for row in _run_all(specs, args.max_horizon, args.workers, args.scheduler) if row is not None]
    for row in rows:
        print(json.dumps({k: row[k] for k in ("eta_lambda", "horizon", "reduced_size", "n_points")}),
              {k: (round(row[k]["predicted"], 1), row[k]["measured"], round(row[k]["stated_rel_error"], 4))
               for k in NAMES}, flush=True)
    if not rows:
        raise SystemExit(f"phase_sweep: none of the {args.n} sets fits --max-horizon {args.max_horizon:g}; "
                         "raise it or draw more sets")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary = summarise(rows)
    red = [r["reduced_size"] / r["n_points"] for r in rows]
    summary["reduced_fraction"] = {"median": float(np.median(red)), "min": float(np.min(red)), "max": float(np.max(red))}
    figure(rows, out / "sweep.png")
    command = (f"scripts/phase_sweep.py --n {args.n} --seed {args.seed} --max-horizon {args.max_horizon:g} "
               f"--max-pop {args.max_pop} --out {args.out}")
    atomic_write(out / "sweep.json", json.dumps({"command": command, "summary": summary, "rows": rows}, indent=1,
                                                default=float))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()

"""The hazard model of GD's escape from the chaotic 2-cycle against float64 GD (issue 14, the chaotic class).

Reproduces, from scratch, the development table (sets A1-A15, B1-B15 of docs/stability.md, "The
chaotic class") and the held-out table (C1-C15) of theory.large_step_escape's pre-registered rule
(docs/stability-chaotic-prereg.md).

Streams. ``numpy.random.default_rng(s)`` for s = 1 (A), 2 (B), 3 (C, held out) draws, per candidate set
and in this order: n per class ``integers(10, 101)``, k ``integers(2, 31)``, gamma ``uniform(0.01, 0.1)``
rounded to 4 decimals, seed ``integers(0, 1000)``, eta lambda_max(H(0)) ``10 ** uniform(log10 13, 2)``
rounded to 2 decimals (this reproduces every A and B row of docs/stability.md). Draws with k > n are
skipped (planted support vectors exceed the class). A set is kept if ``predict_cycle(t_max=2e5,
max_evaluations=20000)`` ends at a flip or fold, is ``chaotic`` and not ``short``; the first 15 kept form
the stream's table.

Measurement. ``numerics.cycle_measure.measure_cycle_end`` (float64 GD from w = 0, b = 0, 20 samples per
decade, ``int(1.5 * fold end + 100)`` steps) at ``eta (1 + j 1e-9)``, j = 0..7. The target is the
ensemble median bracket (median of the eight lower ends, median of the eight upper ends); the jitter
spread is max / min of the eight lower ends. "miss" is the factor by which the predicted median lies
outside the median bracket (1.00 inside). "in" says whether the ensemble lies inside the predicted
interval [t(S=0.9), t(S=0.1)]: t(S=0.9) <= every upper end and every lower end <= t(S=0.1).

Usage::

    .venv/bin/python scripts/chaotic_escape_eval.py              # A, B and C (~5 min on one core)
    .venv/bin/python scripts/chaotic_escape_eval.py --streams 3  # the held-out table only
    .venv/bin/python scripts/chaotic_escape_eval.py --json out.json
    .venv/bin/python scripts/chaotic_escape_eval.py --streams 3 --seed 1  # another ensemble (sensitivity)
    .venv/bin/python scripts/chaotic_escape_eval.py --streams 3 --start-steps 2  # the model's current start

The registered rule started the reduced model at t0 = 0 (``predict_cycle(start_steps=0)``); the sets are
always selected with it, so ``--start-steps`` changes the prediction on the same sets, not the sets.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

from numerics.cycle_measure import measure_cycle_end
from numerics.datasets import PlantedSpec, planted_dataset
from theory.large_step import predict_cycle
from theory.large_step_escape import predict_escape
from theory.stability import sharpness_at_init

TAGS = {1: "A", 2: "B", 3: "C"}
N_SETS = 15
JITTER = 1e-9  # relative eta change between the ensemble's runs
N_JITTER = 8
PER_DECADE = 20
END_FACTOR = 1.5  # the factor
SPREAD_RANDOM = 1.5  # jitter spread above which the end counts as a random escape time
REGISTERED_START = 0  # the registered model started from (0, theta(1)); theory.large_step.START_STEPS is now 2


def draw(stream):
    """The stream's candidate sets (n, k, gamma, seed, eta lambda_max(H(0))), in order, forever."""
    rng = np.random.default_rng(stream)
    lo = math.log10(13.0)
    while True:
        yield (int(rng.integers(10, 101)), int(rng.integers(2, 31)), round(float(rng.uniform(0.01, 0.1)), 4),
               int(rng.integers(0, 1000)), round(float(10 ** rng.uniform(lo, 2.0)), 2))


def planted(n, k, gamma, seed, eta_lambda0):
    """checks/test_large_step.py's ``_planted``: the 2-D planted set and eta for the given eta lambda_max(H(0))."""
    ds = planted_dataset(PlantedSpec(d=2, n_pos=n, n_neg=n, k_pos=k, k_neg=k, gamma=gamma, seed=seed))
    X, y = np.array(ds.X), np.array(ds.y)
    return X, y, eta_lambda0 / sharpness_at_init(X, y, eta=1.0).lambda_max


def select(stream, count=N_SETS):
    """The first ``count`` chaotic, non-short, flip-or-fold sets of the stream: [(row, X, y, eta, prediction)]."""
    kept = []
    for row in draw(stream):
        if row[1] > row[0]:
            continue
        X, y, eta = planted(*row)
        pr = predict_cycle(X, y, eta=eta, t_max=2e5, max_evaluations=20_000, start_steps=REGISTERED_START)
        if pr.end_kind in ("flip", "fold") and pr.chaotic and not pr.short:
            kept.append((row, X, y, eta, pr))
            if len(kept) == count:
                return kept


def measure(X, y, eta, fold_end):
    """Brackets of the cycle's end over the eta-jitter ensemble: [(lo, hi)] (j = 0..7)."""
    out = []
    for j in range(N_JITTER):
        r = measure_cycle_end(X, y, eta=eta * (1 + j * JITTER), steps=int(1.5 * fold_end + 100),
                              per_decade=PER_DECADE)
        if not r.detected or r.lasts:
            raise RuntimeError(f"no finished cycle at j = {j}: bracket {r.bracket}")
        out.append(tuple(int(v) for v in r.bracket))
    return out


def miss(t, lo, hi):
    """Factor by which t lies outside (lo, hi] (1 inside)."""
    return 1.0 if lo <= t <= hi else (math.inf if t <= 0 else max(t / hi, lo / t))


def evaluate(stream, seed=0, start_steps=REGISTERED_START):
    """The stream's table; the sets are always the registered selection, the prediction starts at ``start_steps``."""
    rows = []
    for i, (row, X, y, eta, pr) in enumerate(select(stream)):
        if start_steps != REGISTERED_START:
            pr = predict_cycle(X, y, eta=eta, t_max=2e5, max_evaluations=20_000, start_steps=start_steps)
        t0 = time.perf_counter()
        esc = predict_escape(X, y, eta=eta, prediction=pr, seed=seed)
        wall = time.perf_counter() - t0
        br = measure(X, y, eta, pr.end)
        lo, hi = float(np.median([b[0] for b in br])), float(np.median([b[1] for b in br]))
        spread = max(b[0] for b in br) / min(b[0] for b in br)
        inside = esc.early <= min(b[1] for b in br) and max(b[0] for b in br) <= esc.late
        rows.append(dict(name=f"{TAGS[stream]}{i + 1}", n=row[0], k=row[1], gamma=row[2], seed=row[3],
                         eta_lambda0=row[4], brackets=br, median_lo=lo, median_hi=hi, spread=spread,
                         fold=pr.end, median=esc.median, early=esc.early, late=esc.late, escaped=esc.escaped,
                         miss=miss(esc.median, lo, hi), fold_miss=miss(pr.end, lo, hi), inside=inside,
                         wall_s=wall))
    return rows


def _fmt(v):
    """Steps as the docs print them: 1351, 2.47e4."""
    return f"{v:.3g}".replace("e+0", "e") if v >= 1e4 else f"{v:.0f}"


def table(rows):
    lines = ["| | $n$, $k$, $\\gamma$, seed | $\\eta\\lambda _{max}(H(0))$ | measured end (ensemble median) | "
             "jitter spread | fold end | predicted median | interval (S = 0.9 .. 0.1) | miss: median / fold | "
             "ensemble in interval |",
             "|---|---|---:|---|---:|---:|---:|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['n']}, {r['k']}, {r['gamma']}, {r['seed']} | {r['eta_lambda0']} | "
                     f"({_fmt(r['median_lo'])}, {_fmt(r['median_hi'])}] | {r['spread']:.2f} | {_fmt(r['fold'])} | "
                     f"{_fmt(r['median'])} | [{_fmt(r['early'])}, {_fmt(r['late'])}] | "
                     f"{r['miss']:.2f} / {r['fold_miss']:.2f} | {'yes' if r['inside'] else 'no'} |")
    return "\n".join(lines)


def verdict(rows):
    hit = sum(r["miss"] <= END_FACTOR for r in rows)
    rnd = [r for r in rows if r["spread"] > SPREAD_RANDOM]
    ok = sum(r["inside"] for r in rnd)
    fold_hit = sum(r["fold_miss"] <= END_FACTOR for r in rows)
    return (f"median within {END_FACTOR}: {hit}/{len(rows)} (fold end: {fold_hit}/{len(rows)}); "
            f"spread > {SPREAD_RANDOM}: {len(rnd)} sets, ensemble inside the interval on {ok}"), hit, len(rnd), ok


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streams", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--json", help="write the rows here")
    ap.add_argument("--seed", type=int, default=0, help="the ensembles' base seed (registered: 0); others test the sensitivity")
    ap.add_argument("--start-steps", type=int, default=REGISTERED_START,
                    help="the reduced model's exact start t0 (registered: 0; theory.large_step's default is 2)")
    args = ap.parse_args(argv)
    out = {}
    for s in args.streams:
        rows = evaluate(s, seed=args.seed, start_steps=args.start_steps)
        out[TAGS[s]] = rows
        print(table(rows))
        print(verdict(rows)[0], "\n", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()

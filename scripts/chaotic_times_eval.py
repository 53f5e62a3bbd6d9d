"""Accuracy times in the chaotic class: the escape median (rule A) and the central path against float64 GD.

Implements docs/stability-chaotic-times-prereg.md: the first 15 chaotic, non-short sets of a stream (selected as
scripts/chaotic_escape_eval.py selects them), each predicted by theory.prediction.cycle_forecast with the
package defaults and measured by one float64 GD run (numerics.simulation.simulate, 40 checkpoints per decade,
both parities); the kept-from time of accuracy 1 on the training set and on the concentrated test set.

Usage::

    .venv/bin/python scripts/chaotic_times_eval.py --stream 4      # the held-out stream (~10 min on one core)
    .venv/bin/python scripts/chaotic_times_eval.py --stream 3      # C1-C15 (development)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from chaotic_escape_eval import select  # noqa: E402
from checks.test_large_step import _gd_kept_time, _planted_with_test  # noqa: E402
from numerics.simulation import simulate  # noqa: E402
from theory.large_step import cycle_accuracy_times  # noqa: E402
from theory.prediction import cycle_forecast  # noqa: E402

FACTOR = 1.5
RTOL = 0.25
PER_DECADE = 40
NEEDED = 12


def miss(t, bracket):
    """Factor by which t lies outside the bracket (1 inside; inf if either is missing)."""
    if t is None or bracket is None:
        return math.inf
    lo, hi = bracket
    return 1.0 if lo <= t <= hi else (math.inf if t <= 0 else max(t / hi, lo / t))


def evaluate(stream):
    rows = []
    for i, (row, *_rest) in enumerate(select(stream)):
        X, y, test, eta = _planted_with_test(*row)
        fc = cycle_forecast(X, y, test, eta=eta)
        # the central path with delta = 0 after the escape (cycle_forecast reported these before rule A was wired)
        timed = fc.model if fc.escape is None else dataclasses.replace(
            fc.model, delta=np.where((fc.model.t >= fc.end)[:, None], 0.0, fc.model.delta))
        central = {"train": cycle_accuracy_times(timed, X, y)["either"],
                   "test": cycle_accuracy_times(timed, *test)["either"]}
        rule_a = {k: (fc.end if v is not None and fc.escape is not None else v) for k, v in central.items()}
        reported = {"train": fc.train_times["either"], "test": fc.test_times["either"]}
        if fc.escape is not None:
            assert reported == rule_a, (reported, rule_a)  # the package reports rule A since it was wired
        known = [v for v in (fc.model.end, fc.end, *central.values()) if v is not None]
        steps = int(3 * max(known) + 200)
        sim = simulate(X, y, eta=eta, steps=steps, test=test, per_decade=PER_DECADE)
        t = np.asarray(sim.run.t)
        kept = {"train": _gd_kept_time(t, np.asarray(sim.accuracy["train"])),
                "test": _gd_kept_time(t, np.asarray(sim.accuracy["test"]))}
        out = dict(name=f"S{stream}-{i + 1}", n=row[0], k=row[1], gamma=row[2], seed=row[3], eta_lambda0=row[4],
                   steps=steps, end=fc.end, model_end=fc.model.end, chaotic=fc.model.chaotic, escaped=fc.escape is not None,
                   kept=kept, central=central, rule_a=rule_a,
                   miss_a={k: miss(rule_a[k], kept[k]) for k in kept},
                   miss_central={k: miss(central[k], kept[k]) for k in kept})
        rows.append(out)
        print(json.dumps(out), flush=True)
    return rows


def verdict(rows):
    lines = []
    ok = True
    for k in ("train", "test"):
        a = sum(r["miss_a"][k] <= FACTOR for r in rows)
        a25 = sum(r["miss_a"][k] <= 1 + RTOL for r in rows)
        c = sum(r["miss_central"][k] <= FACTOR for r in rows)
        lines.append(f"{k}: rule A within {FACTOR}: {a}/{len(rows)} (within 25%: {a25}); central path: {c}/{len(rows)}")
        ok &= a >= NEEDED
    lines.append("criterion met" if ok else "criterion NOT met")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stream", type=int, default=4)
    ap.add_argument("--json", help="write the rows here")
    args = ap.parse_args(argv)
    rows = evaluate(args.stream)
    print(verdict(rows))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()

"""The reduced model's exact start (theory.large_step.START_STEPS) against float64 GD on held-out sets (issue 14).

Implements the pre-registration docs/stability-start-prereg.md: streams D (``default_rng(31)``, 20 non-chaotic,
non-short sets: end and concentrated T_te) and E (``default_rng(33)``, 15 short sets: end), and the amendment's
fresh F (``default_rng(41)``, as D) and G (``default_rng(43)``, as E), each set predicted
with the new start (t0 = START_STEPS) and the old one (t0 = 0) and measured once with float64 GD. The chaotic
sets C1-C15 are scripts/chaotic_escape_eval.py's (``--streams 3 --start-steps 2``).

Usage::

    .venv/bin/python scripts/start_eval.py                 # D, E, F and G (~5 min on one core)
    .venv/bin/python scripts/start_eval.py --streams 31    # D only
    .venv/bin/python scripts/start_eval.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import theory.large_step as large_step  # noqa: E402
from checks.test_large_step import _gd_kept_time, _gd_test_accuracy, _planted_with_test  # noqa: E402
from numerics.cycle_measure import measure_cycle_end  # noqa: E402
from theory.prediction import cycle_forecast  # noqa: E402

STREAMS = {31: ("D", 20, "valid"), 33: ("E", 15, "short"), 41: ("F", 20, "valid"), 43: ("G", 15, "short")}
END_FACTOR = 1.5
TTE_RTOL = 0.25
STEP_LIMIT = 4e5
END_PER_DECADE = 20


def draw(stream):
    """Candidate sets (n, k, gamma, seed, eta lambda_max(H(0))) of the stream, in order, k <= n, forever."""
    rng = np.random.default_rng(stream)
    while True:
        row = (int(rng.integers(10, 101)), int(rng.integers(2, 31)), round(float(rng.uniform(0.01, 0.1)), 4),
               int(rng.integers(0, 1000)), round(float(10 ** rng.uniform(math.log10(2.0), 2.0)), 2))
        if row[1] <= row[0]:
            yield row


def forecast(X, y, test, eta, start_steps):
    """cycle_forecast with the reduced model started at ``start_steps`` (predict_cycle is restored after)."""
    original = large_step.predict_cycle

    def started(*args, **kwargs):
        kwargs.setdefault("start_steps", start_steps)
        return original(*args, **kwargs)

    large_step.predict_cycle = started
    try:
        return cycle_forecast(X, y, test, eta=eta)
    finally:
        large_step.predict_cycle = original


def miss(t, lo, hi):
    """Factor by which t lies outside [lo, hi] (1 inside)."""
    if t is None:
        return math.inf
    return 1.0 if lo <= t <= hi else (math.inf if t <= 0 else max(t / max(hi, 1e-300), lo / t))


def keep(stream, fc):
    if fc.end is None:
        return False
    if STREAMS[stream][2] == "short":
        return fc.model.short
    t_te = fc.test_times["either"] if fc.test_times else None
    return (not fc.model.short and not fc.model.chaotic and t_te is not None
            and 3 * max(fc.end, t_te) + 200 <= STEP_LIMIT)


def evaluate(stream):
    tag, count, _ = STREAMS[stream]
    rows = []
    for row in draw(stream):
        X, y, test, eta = _planted_with_test(*row)
        new = forecast(X, y, test, eta, large_step.START_STEPS)
        if not keep(stream, new):
            continue
        old = forecast(X, y, test, eta, 0)
        te = {name: (fc.test_times or {}).get("either") for name, fc in (("new", new), ("old", old))}
        times = [v for v in (new.end, old.end, te["new"], te["old"]) if v is not None]
        steps = int(3 * max(times) + 200)
        r = measure_cycle_end(X, y, eta=eta, steps=steps, per_decade=END_PER_DECADE)
        lo, hi = (float(v) for v in r.bracket)
        kept = None
        if STREAMS[stream][2] == "valid":
            _, t, acc = _gd_test_accuracy(X, y, test, eta, steps)
            kept = _gd_kept_time(t, acc)
        out = dict(name=f"{tag}{len(rows) + 1}", n=row[0], k=row[1], gamma=row[2], seed=row[3], eta_lambda0=row[4],
                   steps=steps, end_bracket=(lo, hi), lasts=bool(r.lasts), end_new=new.end, end_old=old.end,
                   end_miss_new=miss(new.end, lo, hi), end_miss_old=miss(old.end, lo, hi),
                   kind_old=old.model.end_kind, short_old=old.model.short, chaotic_old=old.model.chaotic)
        if STREAMS[stream][2] == "valid":
            out.update(kept=kept, tte_new=te["new"], tte_old=te["old"],
                       tte_miss_new=miss(te["new"], *kept) if kept else math.inf,
                       tte_miss_old=miss(te["old"], *kept) if kept else math.inf)
        rows.append(out)
        print(json.dumps(out), flush=True)
        if len(rows) == count:
            return rows


def verdict(stream, rows):
    end_new = sum(r["end_miss_new"] <= END_FACTOR for r in rows)
    end_old = sum(r["end_miss_old"] <= END_FACTOR for r in rows)
    text = f"{STREAMS[stream][0]}: end within {END_FACTOR}: new start {end_new}/{len(rows)}, old {end_old}/{len(rows)}"
    if STREAMS[stream][2] == "valid":
        tte_new = sum(r["tte_miss_new"] <= 1 + TTE_RTOL for r in rows)
        tte_old = sum(r["tte_miss_old"] <= 1 + TTE_RTOL for r in rows)
        text += f"; T_te within {TTE_RTOL:.0%}: new {tte_new}/{len(rows)}, old {tte_old}/{len(rows)}"
        passed = end_new == len(rows) and tte_new >= len(rows) - 1
    else:
        passed = end_new >= len(rows) - 2
    return text + ("  -> criterion met" if passed else "  -> criterion NOT met")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streams", type=int, nargs="+", default=list(STREAMS), choices=list(STREAMS))
    ap.add_argument("--json", help="write the rows here")
    args = ap.parse_args(argv)
    out = {}
    for s in args.streams:
        rows = evaluate(s)
        out[STREAMS[s][0]] = rows
        print(verdict(s, rows), flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()

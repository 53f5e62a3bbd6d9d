"""Mutation test of the claims ledger: does `lingrok verify` notice when theory or numerics is wrong?

Each mutant replaces one function of ``theory`` or ``numerics`` by a subtly wrong version, in memory
only (no file is edited: other processes using the tree are unaffected), reruns the quick ledger,
and compares the verdicts with the unmutated baseline. A mutant is *killed* when at least one verdict
changes (or a check raises). Usage:

    .venv/bin/python scripts/mutation_test.py [--seed N] [--markdown docs/mutation.md]
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import contextmanager

import numpy as np


def _patch_everywhere(original, replacement):
    """Rebind every module-level name bound to ``original`` in loaded lingrok/theory/numerics modules."""
    undo = []
    for name, mod in list(sys.modules.items()):
        if mod is None or not name.split(".")[0] in ("lingrok", "theory", "numerics"):
            continue
        for attr, value in list(vars(mod).items()):
            if value is original:
                setattr(mod, attr, replacement)
                undo.append((mod, attr))
    return undo


@contextmanager
def mutated(original, wrapper):
    replacement = wrapper(original)
    undo = _patch_everywhere(original, replacement)
    try:
        yield len(undo)
    finally:
        for mod, attr in undo:
            setattr(mod, attr, original)


def _mutants():
    import dataclasses

    from numerics import attacks, datasets, engine, measure
    from theory import closed_form, geometry, grokking_time, residual, stability

    def closed_form_rate(f):  # eq. (11) with the exponent g doubled
        def g(t, b0, t0, A_plus, A_minus):
            return f(t, b0, t0, 4 * A_plus, A_minus)  # 2 sqrt(4 A+ A-) = twice the rate, and b_inf shifted
        return g

    def residual_bias(f):  # theta_tilde's bias off by 0.05
        def g(*a, **k):
            r = f(*a, **k)
            return dataclasses.replace(r, b_tilde=r.b_tilde + 0.05, b_tilde_minus_b_inf=r.b_tilde_minus_b_inf + 0.05)
        return g

    def residual_rate_eta(f):  # eq. (10)'s A+- silently flow-normalised (the paper's reading of Theorem 4.2)
        def g(X, y, eta, **k):
            r = f(X, y, eta, **k)
            return dataclasses.replace(r, rate=r.rate * eta, A_plus=r.A_plus * eta, A_minus=r.A_minus * eta)
        return g

    def headline_times_kstar(f):  # Theorem 4.6's headline "corrected" by a factor 1e5
        def g(*a, **k):
            r = f(*a, **k)
            return dataclasses.replace(r, T_headline=r.T_headline * 1e5)
        return g

    def eq9_bias(f):  # eq. (9) returns a slightly wrong w
        def g(*a, **k):
            r = f(*a, **k)
            return dataclasses.replace(r, w_hat=r.w_hat * (1 + 1e-6))
        return g

    def eos_late(f):  # the logistic edge of stability predicted twice too late
        def g(*a, **k):
            r = f(*a, **k)
            return dataclasses.replace(r, t_eos_logistic=2 * r.t_eos_logistic)
        return g

    def gd_eta(f):  # the batched GD engine takes 10% larger steps than asked
        def g(Xs, ys, etas, **k):
            return f(Xs, ys, np.asarray(etas, dtype=float) * 1.1, **k)
        return g

    def accuracy_ties(f):  # a margin of exactly 0 or slightly positive counts as wrong
        def g(X, y, w, b):
            return f(X, y, w, np.asarray(b) - 1e-3 * np.sign(np.asarray(b) + 1e-300))
        return g

    def planted_off_margin(f):  # planted support vectors 1% off their hyperplane
        def g(spec):
            ds = f(spec)
            X = np.array(ds.X)
            X[ds.sv_index] *= 1.01
            X.setflags(write=False)
            return dataclasses.replace(ds, X=X)
        return g

    def pgd_weaker(f):  # PGD takes 2 steps instead of 20
        def g(*a, **k):
            k["n_steps"] = 2
            return f(*a, **k)
        return g

    return [
        ("eq. (11) with a doubled exponent", closed_form.bias_closed_form, closed_form_rate),
        ("theta_tilde's bias + 0.05", residual.residual_limit, residual_bias),
        ("A+- flow-normalised (no eta)", residual.residual_limit, residual_rate_eta),
        ("Theorem 4.6 headline x 1e5", grokking_time.theorem_4_6_test_time, headline_times_kstar),
        ("eq. (9) w_hat x (1 + 1e-6)", geometry.svm_with_bias, eq9_bias),
        ("t_EoS (logistic) x 2", stability.late_time_stability, eos_late),
        ("batched GD eta x 1.1", engine.run_gd_batch, gd_eta),
        ("accuracy with b shifted by 1e-3", measure.set_metrics, accuracy_ties),
        ("planted SVs 1% off the margin", datasets.planted_dataset, planted_off_margin),
        ("PGD with 2 steps", attacks.pgd_linf, pgd_weaker),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", help="write a Markdown report here")
    args = parser.parse_args(argv)

    from lingrok.commands.verify import build_ledger
    from lingrok.ledger.config import quick_config

    tic = time.perf_counter()
    base = build_ledger(quick_config(args.seed))[0].verdicts()
    print(f"baseline: {len(base)} claims ({time.perf_counter() - tic:.0f} s)", flush=True)
    rows = []
    for name, original, wrapper in _mutants():
        tic = time.perf_counter()
        with mutated(original, wrapper) as n_bindings:
            got = build_ledger(quick_config(args.seed))[0].verdicts()
        changed = {k: (base[k], got[k]) for k in base if got.get(k) != base[k]}
        rows.append((name, n_bindings, changed))
        status = "KILLED" if changed else "survived"
        print(f"{status:8s} {name} ({n_bindings} bindings, {time.perf_counter() - tic:.0f} s): "
              + ", ".join(f"{k} {a} -> {b}" for k, (a, b) in changed.items()), flush=True)
    killed = sum(1 for _, _, c in rows if c)
    print(f"{killed} of {len(rows)} mutants killed")
    if args.markdown:
        lines = ["# Mutation test of the claims ledger", "",
                 f"`scripts/mutation_test.py --seed {args.seed}`: each mutant replaces one function of `theory` or "
                 "`numerics` in memory by a subtly wrong version and reruns the quick ledger (`lingrok verify --quick`); "
                 "it is killed when some verdict changes.", "",
                 f"**{killed} of {len(rows)} mutants killed.**", "", "| mutant | verdicts that changed |", "|---|---|"]
        for name, _, changed in rows:
            lines.append(f"| {name} | " + ("; ".join(f"`{k}`: {a} -> {b}" for k, (a, b) in changed.items()) or "**survived**") + " |")
        with open(args.markdown, "w") as fh:
            fh.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

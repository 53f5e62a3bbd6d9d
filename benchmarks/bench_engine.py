"""Speed of the exact GD engine against the plain NumPy loop of the paper (a script, not a test).

Setting: the paper's 2-D experiment (Appendix B of arXiv:2602.08302): D(1000, 1000) with
S(350, 350), gamma = 1e-3, summed loss, eta = 0.01, T = 1e7 GD steps from w = 0, b = 0.

The naive loop (``numerics.engine.naive_gd``: ``X @ w``, scipy's expit, ``X.T @ (y * s)``) is
run for ``--naive-steps`` steps only and its time EXTRAPOLATED linearly to T (its cost per step
does not depend on t). The engine runs the full T. Both on the same data in the same process.

    .venv/bin/python benchmarks/bench_engine.py [--steps 10000000] [--naive-steps 3000]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from numerics.datasets import paper_2d_spec, planted_dataset
from numerics.engine import naive_gd, run_gd
from numerics.flow import logistic_flow
from numerics.loss import accuracy
from numerics.schedule import log_schedule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10**7, help="engine steps (paper: 1e7)")
    parser.add_argument("--naive-steps", type=int, default=3000, help="naive-loop steps (then extrapolated)")
    parser.add_argument("--eta", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    ds = planted_dataset(paper_2d_spec(seed=args.seed))
    X, y = ds.X, ds.y
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    print(f"data: paper 2-D, N = {len(y)}, d = {X.shape[1]}, S(350, 350), gamma = 1e-3; "
          f"planted-plane residual {ds.plane_residual:.2e}")

    tic = time.perf_counter()
    run_gd(X, y, eta=args.eta, steps=10)  # compile or load the cached kernels
    print(f"kernel load/compile: {time.perf_counter() - tic:.2f} s")

    naive = naive_gd(X, y, eta=args.eta, steps=args.naive_steps, checkpoints=[args.naive_steps])
    naive_rate = args.naive_steps / naive.wall_s
    short = run_gd(X, y, eta=args.eta, steps=args.naive_steps, checkpoints=[args.naive_steps])
    th_n = np.append(naive.w_final, naive.b_final)
    th_e = np.append(short.w_final, short.b_final)
    print(f"\nnaive NumPy loop: {args.naive_steps} steps in {naive.wall_s:.2f} s = {naive_rate:,.0f} steps/s "
          f"({1e6 / naive_rate:.1f} us/step); extrapolated to {args.steps:.0e} steps: {args.steps / naive_rate:,.0f} s")
    print(f"  naive vs exact after {args.naive_steps} steps: |theta diff| / |theta| = "
          f"{np.linalg.norm(th_n - th_e) / np.linalg.norm(th_e):.2e} (different exp and summation order)")

    sched = log_schedule(args.steps, extra=[max(args.steps - 1, 0)], with_next=True)
    full = run_gd(X, y, eta=args.eta, steps=args.steps, checkpoints=sched)
    rate = args.steps / full.wall_s
    print(f"\nengine: {args.steps:.0e} steps in {full.wall_s:.1f} s = {rate:,.0f} steps/s ({1e6 / rate:.2f} us/step)")
    print(f"  speed-up over the naive loop: {rate / naive_rate:.0f}x")
    print(f"  exponentials skipped (certified exactly 0): {full.skip_fraction:.1%}; "
          f"rows evaluated per step on average: {full.n_exp / args.steps:.0f} of {len(y)}; "
          f"full refreshes: {full.n_refresh:,}")

    # parity: at eta = 0.01 GD may settle into a period-2 cycle; show both parities at a few times
    print("  period-2 check (consecutive steps t, t+1):")
    index = {int(t): k for k, t in enumerate(full.t)}
    for t in (10**3, 10**4, 10**5, 10**6, args.steps - 1):
        if t in index and t + 1 in index:
            row = []
            for k in (index[t], index[t + 1]):
                acc = accuracy(full.w[k], full.b[k], X, y)
                row.append(f"t={int(full.t[k]):>8}: b={full.b[k]: .5f} |w|={np.linalg.norm(full.w[k]):9.3f} acc={acc:.4f}")
            print("   " + "   ".join(row))

    # the gradient-flow engine (numerics.flow) over the same horizon: tau = eta * t
    flow = logistic_flow(X, y, log_schedule(args.steps), args.eta)
    print(f"\nflow engine (stiff {flow.method}, rtol {flow.rtol:g}, analytic Jacobian, log time): horizon "
          f"{args.steps:.0e} steps (tau = {args.eta * args.steps:.0e}) in {flow.wall_time:.1f} s; "
          f"{flow.nfev} RHS and {flow.njev} Jacobian evaluations; success = {flow.success}")


if __name__ == "__main__":
    main()

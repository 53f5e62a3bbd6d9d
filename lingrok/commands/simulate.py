"""`lingrok simulate`: exact full-batch GD on a dataset, with Definition 3.4 measured.

Every number printed says how it was obtained: float64 GD on the summed (or mean) logistic
loss, eqs. (3)-(5), from w = 0, b = 0, with log-spaced checkpoints; T_tr / T_te are the first
checkpoint at which the accuracy reaches (1 - eps) times its sup over the checkpoints (an upper
bound; the previous checkpoint is the lower bound).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from lingrok.errors import UsageError
from lingrok.inputs import check_output_file, json_float, json_text, load, range_error, range_words, require_same_dimension, \
    separable_after_rescaling


def _crossing(c) -> dict:
    return {"t": c.t_first, "t_lower": c.t_prev, "t_log_interp": c.t_interp, "sup": c.sup, "level": c.level}


def _geometry(train, eta):
    """Max-margin solution and residual limit when the data are separable, else (None, reason)."""
    from theory.geometry import NotSeparableError, augmented_max_margin
    from theory.residual import residual_limit

    try:
        sol = augmented_max_margin(train.X, train.y)
    except NotSeparableError:
        check = separable_after_rescaling(train)
        if check is not None and check[0]:  # separability is scale-invariant: the solver failed at this scale
            return None, None, str(range_error(train, "eq. (7), the residual limit and hence the phases"))
        return None, None, "data not linearly separable: no max-margin direction, phases and angle undefined"
    except (OverflowError, FloatingPointError, ZeroDivisionError, RuntimeError, np.linalg.LinAlgError) as exc:
        return None, None, str(range_error(train, f"eq. (7) ({type(exc).__name__}: {exc}) and hence the phases"))
    try:
        return sol, residual_limit(train.X, train.y, eta, solution=sol), None
    except ValueError as exc:  # e.g. eq. (7) solved inaccurately at this scale: no strict support vector
        return None, None, (f"the residual limit of Theorem 4.2 could not be computed ({exc}); {range_words(train)}; "
                            "rescaling the data to coordinates of order 1 may help")
    except (OverflowError, FloatingPointError, ZeroDivisionError, RuntimeError, np.linalg.LinAlgError) as exc:
        return None, None, (f"numeric range: the residual limit of Theorem 4.2 leaves float64's range "
                            f"({type(exc).__name__}: {exc}) at eta = {eta:g} ({range_words(train)}), so the "
                            "phases are not located; pass an --eta nearer the paper's 0.01, or rescale the data")


def _boundary(b) -> dict:
    return {"t": b.t, "t_lower": b.t_lower, "t_upper": b.t_upper, "at_edge": b.at_edge, "rule": b.rule}


def simulate(train, test, *, eta, steps, eps, reduction="sum", per_decade=20, state=None, progress=False) -> dict:
    """Run GD on ``train`` (and measure on ``test``); return the JSON-ready report.

    When the data are separable, the theory's max-margin solution (eq. 7) and residual limit
    (Thm 4.2) are computed too, so each checkpoint also reports the angle to w_hat, the residual
    theta(t) - theta_hat log t, and the non-support-vector share of the bias gradient, and the
    phase boundaries are located (phase 1 -> 2: that share falls below 1/2 for good; phase 2 -> 3:
    the peak of |b| / ||w||).
    """
    from numerics.simulation import simulate as run_and_measure

    sol, res, no_geometry = _geometry(train, eta)
    reference = None if sol is None else {
        "w_hat": sol.w_hat, "b_hat": sol.b_hat,
        # the residual limit in the GD-step convention theta(t) ~ theta_hat log t + theta_tilde
        "theta_tilde": None if reduction != "sum" else np.append(res.w_tilde, res.b_tilde),
    }
    try:
        sim = run_and_measure(train.X, train.y, eta=eta, steps=steps, test=(test.X, test.y) if test is not None else None,
                              state=state, reduction=reduction, support=None if sol is None else sol.support,
                              reference=reference, eps=(eps,), per_decade=per_decade, parity=False, progress=progress)
    except FloatingPointError as exc:
        raise UsageError(f"numeric range: gradient descent diverged ({exc}); {range_words(train)}, eta = {eta:g}; "
                         "lower --eta or rescale the data") from None
    except ValueError as exc:  # e.g. a state file written by another run
        raise UsageError(f"--state: {exc}" if state is not None and "state_path" in str(exc) else str(exc)) from None
    traj, m = sim.run, sim.measurements
    bad = ~(np.isfinite(m.w_norm) & np.isfinite(m.train.loss_sum))
    if bad.any():
        t_bad = int(traj.t[int(np.argmax(bad))])
        raise UsageError(f"numeric range: the training loss or ||w|| leaves float64's range at step t = {t_bad} "
                         f"({range_words(train)}, eta = {eta:g}); rescale the data or lower --eta")
    train_acc = np.asarray(m.train.accuracy)
    rows = []
    for k, t in enumerate(traj.t):
        row = {"t": int(t), "w": [float(v) for v in traj.w[k]], "b": float(traj.b[k]),
               "w_norm": float(m.w_norm[k]), "distance": json_float(m.distance[k]),
               "train_loss": float(m.train.loss_sum[k]), "train_acc": float(train_acc[k])}
        if test is not None:
            row["test_acc"] = float(m.test["test"].accuracy[k])
        if sol is not None:
            row["angle_to_w_hat"] = json_float(m.angle[k])
            row["residual"] = [json_float(v) for v in m.residual[k]]
            row["nonsv_share_bias_grad"] = json_float(m.nonsv_mass_share_b[k])
        rows.append(row)
    report = {
        "data": train.path, "test": test.path if test is not None else None,
        "eta": eta, "steps": steps, "reduction": reduction, "eps": eps,
        "method": ("float64 full-batch GD, eqs. (3)-(5) of arXiv:2602.08302, from w = 0, b = 0; "
                   "gradient summed sequentially over rows; only terms certified to be exactly 0 skipped"),
        "engine": traj.engine, "wall_s": traj.wall_s, "skip_fraction": traj.skip_fraction,
        "checkpoints": rows,
        "T_tr": None, "T_te": None, "zeta": None, "T_gr": None,
    }
    times = sim.crossings[("test" if test is not None else "train", float(eps), "all")]
    report["T_tr"] = times.train.t_first if times.train is not None else None
    report["T_tr_detail"] = _crossing(times.train) if times.train is not None else None
    if test is not None:
        report["T_te"] = times.test.t_first if times.test is not None else None
        report["T_te_detail"] = _crossing(times.test) if times.test is not None else None
        report["zeta"] = json_float(times.zeta)
        report["T_gr"] = times.t_grok
    if sol is not None:
        report["phases"] = {
            "phase1_end": _boundary(sim.phase_one_end),
            "phase2_end": _boundary(sim.phase_two_end),
            "support": sorted(int(i) for i in sol.support),
            "theta_tilde": None if reduction != "sum" else [float(v) for v in reference["theta_tilde"]],
        }
    else:
        report["phases"] = None
        report["phases_unavailable"] = no_geometry
    report["crossing_rule"] = ("first checkpoint t with accuracy >= (1 - eps) * sup over checkpoints; "
                               "the true crossing lies in (t_lower, t]")
    return report


def _print_human(r: dict) -> None:
    print(f"GD on {r['data']}: eta = {r['eta']:g}, {r['steps']:,} steps, {r['reduction']} loss, "
          f"{len(r['checkpoints'])} log-spaced checkpoints ({r['wall_s']:.1f} s, "
          f"{100 * r['skip_fraction']:.1f}% of exponentials certified zero and skipped)")
    header = f"{'t':>10} {'b':>11} {'||w||':>11} {'|b|/||w||':>10} {'train':>6}" + (f" {'test':>6}" if r["test"] else "")
    print(header)
    stride = max(1, len(r["checkpoints"]) // 40)
    shown = r["checkpoints"][::stride]
    if shown[-1] is not r["checkpoints"][-1]:
        shown.append(r["checkpoints"][-1])
    for c in shown:
        dist = "-" if c["distance"] is None else f"{c['distance']:.3e}"
        line = f"{c['t']:>10} {c['b']:>11.4g} {c['w_norm']:>11.4g} {dist:>10} {c['train_acc']:>6.3f}"
        if r["test"]:
            line += f" {c['test_acc']:>6.3f}"
        print(line)
    print(f"T_tr(eps={r['eps']:g}) = {r['T_tr']}" + (f", T_te = {r['T_te']}, zeta = {r['zeta']}" if r["test"] else ""))
    print(f"({r['crossing_rule']})")
    if r["phases"] is not None:
        p1, p2 = r["phases"]["phase1_end"], r["phases"]["phase2_end"]
        print(f"phase 1 -> 2 (non-SV share of the bias gradient < 1/2 for good): t = {p1['t']}; "
              f"phase 2 -> 3 (peak of |b|/||w||): t = {p2['t']}" + (" (at the edge of the run)" if p2["at_edge"] else ""))
    else:
        print(f"phases: {r['phases_unavailable']}")


def run(args) -> int:
    if args.state is not None:
        check_output_file(args.state, "--state")
    train = load(args.data, "DATA")
    test = load(args.test, "TEST") if args.test else None
    if test is not None:
        require_same_dimension(train, test)
    fresh_state = args.state is not None and not os.path.exists(args.state)
    try:
        report = simulate(train, test, eta=args.eta, steps=args.steps, eps=args.eps, reduction=args.reduction,
                          per_decade=args.per_decade, state=args.state, progress=not args.json and sys.stderr.isatty())
    except UsageError:
        if fresh_state:  # a failed command leaves no output behind (the run is deterministic: rerun it)
            Path(args.state).unlink(missing_ok=True)
        raise
    if args.json:
        print(json_text(report))  # inf / nan -> null
    else:
        _print_human(report)
    return 0

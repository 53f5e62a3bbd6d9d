"""`lingrok stability`: is the paper's GD the gradient flow its theory describes?

Reports, for DATA and a step size: eta times the largest Hessian eigenvalue at w = 0, b = 0
(``sharpness0``), the predicted late-time edge of stability (``t_eos_predicted``), the measured
end of the period-2 oscillation (``oscillation_end``), the float64 precision horizon against a
double-double reference, and tables of GD-vs-flow and float64-vs-reference distances, with a scan
over step sizes that asks when eq. (11) of arXiv:2602.08302 (time made correct) describes GD.
The computation lives in :mod:`lingrok.compare.stability`; this module parses and prints.
"""

from __future__ import annotations

import sys

from lingrok.errors import UsageError

# Gradient flow is integrated in s = log(1 + tau): a horizon far below float64's normal range
# (e.g. eta = 1e-320) stalls the integrator; 1e-100 leaves any physically meaningful run alone.
MIN_FLOW_TIME = 1e-100


def _float_list(text: str) -> list[float]:
    import argparse

    if text.strip().lower() in ("", "none"):
        return []
    out = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r} is not a number; give a comma-separated list such as "
                                             "0.01,0.003 (or 'none')") from None
        if not (0 < value < float("inf")):
            raise argparse.ArgumentTypeError(f"step sizes must be positive and finite, got {part!r}; give a "
                                             "comma-separated list such as 0.01,0.003 (or 'none')")
        out.append(value)
    return out


def add_parser(subparsers) -> None:
    """Add the `stability` subcommand to the `lingrok` parser."""
    from lingrok.cli import _nonnegative_float, _positive_float, _steps_int

    p = subparsers.add_parser(
        "stability",
        help="edge of stability: sharpness at init, t_EoS, measured oscillation, GD vs gradient flow, precision",
        description="Pair the edge-of-stability theory with GD on DATA: eta lambda_max(H(0)), the late-time t_EoS, "
        "the measured period-2 oscillation, the float64 precision horizon (double-double reference), GD against "
        "the gradient flow at equal flow time tau = eta t, and a step-size scan of eq. (11) (time made correct).",
    )
    p.add_argument("data", help="training data: .npz (X, y) or .csv (header, features, label last)")
    p.add_argument("--test", help="test set in the same format (accuracies are then test accuracies)")
    p.add_argument("--eta", type=_positive_float, default=0.01, help="GD step size (default 0.01, the paper's)")
    p.add_argument("--steps", type=_steps_int, default=1_000_000, help="float64 GD steps of the main run (default 1e6)")
    p.add_argument("--reference-steps", type=_steps_int, default=None,
                   help="double-double reference horizon in GD steps (default: 5e7 / N point-steps, at most --steps)")
    p.add_argument("--etas", type=_float_list, default=None,
                   help="comma-separated step sizes for the GD-vs-flow scan (default: eta, eta/3, eta/10, eta/30; "
                   "'none' skips the scan)")
    p.add_argument("--scan-tau", type=_positive_float, default=None,
                   help="flow-time horizon tau = eta t of the scan (default: eta * steps)")
    p.add_argument("--scan-max-steps", type=_steps_int, default=None,
                   help="GD step budget per scanned step size; larger needs are skipped (default 30 * --steps)")
    p.add_argument("--atol", type=_nonnegative_float, default=None,
                   help="eq. (11) match tolerance: |b_GD - b_11| <= atol + rtol |b_11| (default atol 1e-3)")
    p.add_argument("--rtol", type=_nonnegative_float, default=None, help="see --atol (default rtol 1)")
    p.add_argument("--reduction", choices=["sum", "mean"], default="sum", help="summed (paper, eq. 3) or mean loss")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout (no progress on stderr)")


def _progress(message: str) -> None:
    print(f"lingrok stability: {message}", file=sys.stderr, flush=True)


def _fmt(v, spec=".3g"):
    return "null" if v is None else format(v, spec)


def _print_human(r: dict) -> None:
    s = r["sharpness0_detail"]
    print(f"{r['data']}: n = {r['n']}, d = {r['d']}, eta = {r['eta']:g}, {r['steps']:,} steps, {r['reduction']} loss")
    print(f"sharpness at init: eta lambda_max(H(0)) = {r['sharpness0']:.6g} "
          f"({'UNSTABLE, > 2' if s['unstable'] else 'stable, <= 2'}); GD is stable everywhere for eta < "
          f"{_fmt(s['eta_critical'], '.4g')}")
    if r["t_eos_predicted"] is None:
        print(f"late-time edge of stability: not available ({r['t_eos_reason']})")
    else:
        d = r["t_eos_detail"]
        print(f"late-time edge of stability: t_EoS = {r['t_eos_predicted']:.4g} GD steps (exponential tail), "
              f"{r['t_eos_logistic']:.4g} with the logistic curvature; top direction "
              f"{100 * d['boundary_fraction']:.2f}% along the decision boundary")
    o = r["oscillation"]
    if r["oscillation_end"] is None:
        print(f"measured period-2 oscillation: still oscillating at t = {o['last_oscillating_t']:,} "
              f"(b amplitude {o['amplitude_b_last']:.3g}): it lasts the whole run")
    elif not o["detected"]:
        print(f"measured period-2 oscillation: none at the {o['samples']} sampled times")
    else:
        print(f"measured period-2 oscillation: ends between t = {o['end_bracket'][0]:,} and {o['end_bracket'][1]:,}")
    if "oscillation_predicted" in r:
        op = r["oscillation_predicted"]
        print("predicted period-2 oscillation (theory.large_step): "
              + (f"none ({op['reason']})" if r["oscillation_end_predicted"] is None else
                 f"ends at t = {r['oscillation_end_predicted']:.4g} ({op['end_kind']}; {op['validity']})"))
    sf = r["sharpness_final"]["eta_lambda_max"]
    print(f"sharpness at the end: eta lambda_max(H) = {sf[0]:.4g} (t = {r['steps']:,}), {sf[1]:.4g} (t + 1)")
    h = r["precision_horizon_detail"]
    hor = r["precision_horizon"]
    print(f"float64 precision horizon (vs double-double, rtol {h['rtol']:g}, {h['reference_steps']:,} reference steps): "
          + ("none (the first checkpoint disagrees)" if hor is None else
             f">= {hor:,} (all agree)" if h["all_agree"] else f"{hor:,} (first disagreement at {h['first_disagreement']:,})"))
    print("  t            ||theta_64 - theta_dd|| / ||theta_dd||")
    for row in r["float64_vs_reference"]:
        print(f"  {row['t']:>10,}   {_fmt(row['rel_diff'], '.2e')}")
    g = r["gd_vs_flow"]
    print(f"GD vs gradient flow at eta = {g['eta']:g} (flow {g['flow_method']}, precision {g['flow_precision']:.1e}; "
          "max over parities t, t+1):")
    print(f"  {'t':>10} {'tau':>9} {'b_GD':>10} {'b_flow':>10} {'|db|':>9} {'d||w||':>9} {'d(|b|/||w||)':>12} "
          f"{'d acc':>6}")
    for row in g["rows"]:
        print(f"  {row['t']:>10,} {row['tau']:>9.3g} {row['b_gd'][0]:>10.4g} {row['b_flow'][0]:>10.4g} "
              f"{row['b_abs']:>9.2e} {_fmt(row['w_norm_rel'], '.2e'):>9} {_fmt(row['distance_rel'], '.2e'):>12} "
              f"{row['accuracy_abs']:>6.3f}")
    sc = r["eta_scan"]
    if sc is not None:
        print(f"step-size scan to flow time tau = {sc['tau_end']:g}; eq. (11) (time made correct) over tau in "
              f"[{sc['tau_window'][0]:g}, {sc['tau_window'][1]:g}]")
        if sc["eq11_unavailable"]:
            print(f"  {sc['eq11_unavailable']}")
        print(f"  {'eta':>9} {'eta*l0':>7} {'steps':>11} {'max|db|':>9} {'max d||w||':>10} {'eq11 err GD':>11} "
              f"{'eq11 err flow':>13} match")
        for row in sc["rows"]:
            if row["skipped"]:
                print(f"  {row['eta']:>9.3g} {row['eta_sharpness0']:>7.3g}   skipped: {row['skipped']}")
                continue
            e_gd, e_fl = row["eq11_gd"], row["eq11_flow"]
            print(f"  {row['eta']:>9.3g} {row['eta_sharpness0']:>7.3g} {row['steps']:>11,} {row['max_b_abs']:>9.2e} "
                  f"{_fmt(row['max_w_norm_rel'], '.2e'):>10} {_fmt(e_gd and e_gd['max_error'], '.2e'):>11} "
                  f"{_fmt(e_fl and e_fl['max_error'], '.2e'):>13} {'-' if e_gd is None else e_gd['matches']}")
        if sc["tolerance"] is not None:
            tol = sc["tolerance"]
            print(f"  largest eta matching eq. (11) with |b_GD - b_11| <= {tol['atol']:g} + {tol['rtol']:g} |b_11|: "
                  f"{_fmt(sc['largest_matching_eta'], 'g')}")
    t = r["timings"]
    print("timings: " + ", ".join(f"{k} {v:.1f}" for k, v in t.items()))


def run(args) -> int:
    """Run `lingrok stability` on parsed arguments; return the exit code."""
    from lingrok.inputs import json_text, load, require_same_dimension
    from lingrok.compare.stability import stability_report

    train = load(args.data, "DATA")
    test = load(args.test, "TEST") if args.test else None
    if test is not None:
        require_same_dimension(train, test)
    if args.atol == 0 and args.rtol == 0:
        raise UsageError("--atol and --rtol cannot both be 0 (eq. (11) would have to match exactly); give one a positive value")
    tau = args.eta * args.steps
    for flag, value in (("--eta times --steps", tau), ("--scan-tau", args.scan_tau)):
        if value is not None and value < MIN_FLOW_TIME:
            raise UsageError(f"numeric range: the flow time {flag} = {value:.3g} is below {MIN_FLOW_TIME:g}, too small "
                             "for the gradient-flow integrator in float64; pass a larger --eta or --steps")
    if args.reference_steps is not None and args.reference_steps > args.steps:
        raise UsageError(f"--reference-steps ({args.reference_steps:,}) must not exceed --steps ({args.steps:,}); pass a smaller --reference-steps")
    report = stability_report(
        train, test, eta=args.eta, steps=args.steps, reference_steps=args.reference_steps, etas=args.etas,
        scan_tau=args.scan_tau, scan_max_steps=args.scan_max_steps, atol=args.atol, rtol=args.rtol,
        reduction=args.reduction, progress=None if args.json else _progress,
    )
    if args.json:
        print(json_text(report))  # inf / nan -> null
    else:
        _print_human(report)
    return 0

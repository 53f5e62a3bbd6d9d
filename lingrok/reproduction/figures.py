"""Figures in the style of the paper's panels (arXiv:2602.08302, Figures 1, 2, 4), headless, PNG + SVG.

Every panel has log steps on the x axis (t counts GD updates; t = 0, the initial model, is not
drawn). Curves from even steps are solid, odd steps dashed: at eta = 1e-2 with the summed loss GD
oscillates with period 2 and the two parities differ. Measured phases (numerics.grokking) are
shaded; predicted test times are vertical lines. Files are byte-stable across regenerations:
fixed SVG hash salt, no dates, no software version in the metadata.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

__all__ = ["save_figure", "run_figure", "comparison_figure", "sweep_figure"]

_RC = {
    "svg.hashsalt": "lingrok",
    "svg.fonttype": "path",
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.dpi": 100,
}
_PHASE_COLORS = ("#dbe9f6", "#fde0c5", "#dcefd9")
_CURVES = {"train": "black", "standard": "tab:blue", "concentrated": "tab:red", "pgd": "tab:purple"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return matplotlib, plt


def save_figure(fig, stem) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` with deterministic metadata; close the figure; return the paths."""
    from numerics.datafiles import atomic_write

    _, plt = _pyplot()
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    for path, kwargs in ((png, {"format": "png", "dpi": 120, "metadata": {"Software": None}}),
                         (svg, {"format": "svg", "metadata": {"Date": None, "Creator": None}})):
        buf = io.BytesIO()
        fig.savefig(buf, **kwargs)
        atomic_write(path, buf.getvalue())  # no partial figure when drawing fails or is interrupted
    plt.close(fig)
    return [png, svg]


def _parity(t, values):
    """(t_even, v_even, t_odd, v_odd) for t >= 1."""
    t = np.asarray(t)
    v = np.asarray(values, dtype=float)
    pos = t >= 1
    even, odd = pos & (t % 2 == 0), pos & (t % 2 == 1)
    return t[even], v[even], t[odd], v[odd]


def _plot_parities(ax, t, values, color, label):
    te, ve, to, vo = _parity(t, values)
    ax.plot(te, ve, color=color, lw=1.2, label=f"{label} (even t)")
    ax.plot(to, vo, color=color, lw=0.8, ls="--", alpha=0.6, label=f"{label} (odd t)")


def _shade_phases(axes, res):
    """Shade phases 1, 2, 3 between the measured boundaries (when found)."""
    p1, p2 = res.phase_one_end.t, res.phase_two_end.t
    edges = [1.0, float(p1) if p1 else None, float(p2) if p2 else None, float(res.steps)]
    if edges[1] is None or edges[2] is None or edges[2] <= edges[1]:
        return False
    for ax in axes:
        for k in range(3):
            ax.axvspan(max(edges[k], 1.0), max(edges[k + 1], 1.0), color=_PHASE_COLORS[k], alpha=0.6, lw=0, zorder=0)
    return True


def _predicted_lines(axes, res, test="concentrated", eps=0.0):
    pred = res.prediction
    if pred is None or not pred.asymptotic:
        return
    t_asym = pred.asymptotic.get((test, eps), math.inf)
    t46 = pred.thm46.get(eps, (math.inf,))[0]
    for k, ax in enumerate(axes):  # labelled once, in the top panel's legend
        if math.isfinite(t_asym) and t_asym >= 1:
            ax.axvline(t_asym, color="tab:green", ls="-.", lw=1.2,
                       label=f"predicted T_te, asymptotic hyperplane ({test}, eps={eps:g})" if k == 0 else None)
        if math.isfinite(t46) and t46 >= 1:
            ax.axvline(max(t46, 1.0), color="tab:olive", ls=":", lw=1.5,
                       label="predicted T_te, Theorem 4.6 headline" if k == 0 else None)


def run_figure(res, stem, *, title: str, gamma: float, paper_phases=None, paper_T_te: float | None = None) -> list[Path]:
    """One run in three panels: b(t); |b|/||w||; train / standard / concentrated / PGD accuracy.

    Args:
        res: lingrok.compare.experiment.ExperimentResult. stem: output path without suffix.
        title: figure title. gamma: the planted margin (drawn at gamma / 2). paper_phases: the paper's ((start, end), ...) phase windows, drawn as
            bars above the top panel. paper_T_te: the paper's T_te (concentrated, eps = 0) to mark.

    Returns:
        the PNG and SVG paths.
    """
    matplotlib, plt = _pyplot()
    with matplotlib.rc_context(_RC):
        fig, axes = plt.subplots(3, 1, figsize=(7.0, 8.2), sharex=True)
        shaded = _shade_phases(axes, res)
        _plot_parities(axes[0], res.t, res.b, "tab:blue", "b(t)")
        pred = res.prediction
        if pred is not None and math.isfinite(pred.b_inf):
            axes[0].axhline(pred.b_inf, color="gray", ls=":", lw=1, label="b_inf = -log delta (Thm 4.5)")
        axes[0].set_ylabel("bias b(t)")
        _plot_parities(axes[1], res.t, res.distance, "tab:orange", "|b|/||w||")
        axes[1].axhline(gamma / 2, color="gray", ls=":", lw=1, label="gamma/2 (planted)")
        axes[1].set_yscale("log")
        axes[1].set_ylabel("distance |b| / ||w||")
        for name, acc in res.accuracy.items():
            label = "PGD (standard, r = 1)" if name == "pgd" else name
            _plot_parities(axes[2], res.t, acc, _CURVES.get(name, "gray"), label)
        axes[2].set_ylabel("accuracy")
        lowest = min(float(np.min(np.asarray(a)[np.asarray(res.t) >= 1])) for a in res.accuracy.values())
        axes[2].set_ylim(min(0.4, lowest - 0.03), 1.02)
        _predicted_lines(axes, res)
        if paper_T_te:
            for k, ax in enumerate(axes):
                ax.axvline(paper_T_te, color="black", ls=(0, (1, 3)), lw=1.2,
                           label="paper's T_te (Table 1)" if k == 0 else None)
        if paper_phases:
            for k, (lo, hi) in enumerate(paper_phases):
                axes[0].axvspan(lo, hi, ymin=0.93, ymax=1.0, color=_PHASE_COLORS[k], ec="gray", lw=0.5,
                                label=f"paper's phase {k + 1}" if k == 0 else None)
        axes[2].set_xscale("log")
        axes[2].set_xlim(1, res.steps)
        axes[2].set_xlabel("GD steps t (log)")
        for ax in axes:
            ax.legend(fontsize=6, loc="best", ncol=2, framealpha=0.7)
        note = "shaded: measured phases 1 / 2 / 3" if shaded else "phases not resolved"
        fig.suptitle(f"{title}\n{note}; eta = {res.eta:g}, eta*lambda_max(0) = {res.eta_sharpness:.3g}", fontsize=9)
        fig.tight_layout()
        return save_figure(fig, stem)


def comparison_figure(results, stem, *, title: str) -> list[Path]:
    """Several runs (Figures 2 and 4): b(t), |b|/||w||, concentrated and standard accuracy, even steps.

    Markers: o on the distance curve at the measured phase 2 -> 3 boundary (its peak); v on the
    concentrated-accuracy panel at (predicted time, 0.9): when the asymptotic hyperplane reaches 0.9.
    """
    matplotlib, plt = _pyplot()
    with matplotlib.rc_context(_RC):
        fig, axes = plt.subplots(4, 1, figsize=(7.0, 9.5), sharex=True)
        colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, max(len(results), 2)))
        for res, color in zip(results, colors):
            te, be, _, _ = _parity(res.t, res.b)
            axes[0].plot(te, be, color=color, lw=1.2, label=res.label)
            te, de, _, _ = _parity(res.t, res.distance)
            axes[1].plot(te, de, color=color, lw=1.2)
            p2 = res.phase_two_end
            if p2.t:
                k = int(np.flatnonzero(res.t == p2.t)[0])
                axes[1].plot([p2.t], [res.distance[k]], "o", color=color, ms=5)
            for ax, name in ((axes[2], "concentrated"), (axes[3], "standard")):
                te, ae, _, _ = _parity(res.t, res.accuracy[name])
                ax.plot(te, ae, color=color, lw=1.2)
            pred = res.prediction
            if pred is not None and pred.asymptotic_level:
                t_asym = pred.asymptotic_level.get(("concentrated", 0.9), math.inf)
                if math.isfinite(t_asym):
                    axes[2].plot([t_asym], [0.9], "v", color=color, ms=7, mec="black", mew=0.5)
        axes[0].set_ylabel("bias b(t)")
        axes[1].set_ylabel("|b| / ||w||")
        axes[1].set_yscale("log")
        axes[2].set_ylabel("concentrated acc.")
        axes[3].set_ylabel("standard acc.")
        axes[2].set_ylim(0.4, 1.03)
        axes[3].set_ylim(0.4, 1.03)
        axes[3].set_xscale("log")
        axes[3].set_xlim(1, max(r.steps for r in results))
        axes[3].set_xlabel("GD steps t (log), even steps")
        axes[0].legend(fontsize=7)
        axes[2].axhline(0.9, color="gray", lw=0.6, ls=":")
        fig.suptitle(f"{title}\no: measured phase 2 -> 3 (peak of |b|/||w||)\nv: predicted time of concentrated "
                     "accuracy 0.9 (asymptotic hyperplane)", fontsize=9)
        fig.tight_layout()
        return save_figure(fig, stem)


def sweep_figure(table, stem, *, title: str, x_key: str, x_label: str, measured: str, predicted: dict) -> list[Path]:
    """A sweep: the measured time against the swept parameter, and measured against predicted.

    Args:
        table: list of row dicts (lingrok.sweeps.sweep results). stem: output path without suffix.
        x_key: the column on the x axis of the left panel; x_label its label.
        measured: column of the measured time (e.g. "T_te_concentrated_eps0_even").
        predicted: legend label -> column of a predicted time.

    Returns:
        the PNG and SVG paths.
    """
    matplotlib, plt = _pyplot()

    def col(key):
        out = []
        for row in table:
            v = row.get(key)
            out.append(float(v) if v not in (None, "") else math.nan)
        return np.array(out)

    x, y = col(x_key), col(measured)
    with matplotlib.rc_context(_RC):
        fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9.0, 3.8))
        ax0.plot(x, y, "o", color="black", ms=4, label="measured")
        markers = ("s", "^", "D")
        for (label, key), mk in zip(predicted.items(), markers):
            p = col(key)
            ax0.plot(x, p, mk, mfc="none", ms=5, label=label)
            ok = np.isfinite(p) & np.isfinite(y) & (p > 0) & (y > 0)
            ax1.plot(p[ok], y[ok], mk, mfc="none", ms=5, label=label)
        ax0.set_yscale("log")
        xs = x[np.isfinite(x)]
        if xs.size and xs.min() > 0 and xs.max() > 10 * xs.min():
            ax0.set_xscale("log")
        ax0.set_xlabel(x_label)
        ax0.set_ylabel(f"{measured} (GD steps)")
        ax0.legend(fontsize=7)
        lims = [v for v in np.concatenate([y, *[col(k) for k in predicted.values()]]) if np.isfinite(v) and v > 0]
        if lims:
            lo, hi = min(lims) / 2, max(lims) * 2
            ax1.plot([lo, hi], [lo, hi], color="gray", lw=0.8, ls="--", label="measured = predicted")
            ax1.set_xlim(lo, hi)
            ax1.set_ylim(lo, hi)
        ax1.set_xscale("log")
        ax1.set_yscale("log")
        ax1.set_xlabel("predicted (GD steps)")
        ax1.set_ylabel("measured (GD steps)")
        ax1.legend(fontsize=7)
        fig.suptitle(title, fontsize=9)
        fig.tight_layout()
        return save_figure(fig, stem)

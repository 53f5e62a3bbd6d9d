"""Robustness of every verdict to the choices the paper leaves unstated (issue 14).

The paper states its data only as "support vectors on the margin hyperplanes, the rest uniform in
[-5, 5]^d" with eta = 1e-2. Everything else is a choice of this project (numerics.datasets): how far the
support vectors spread along their hyperplane, the gap between them and the population, the box, the
seeds, the sizes n and k per class, and whether the loss is summed or averaged. A :class:`Variant`
changes exactly one of these relative to the ledger's configuration; the sweep (``sweeps/robustness.py``)
reruns every claim check on every variant and writes one JSON file per variant under
``docs/ledger/robustness/``; :func:`attach` reads them when the ledger is built and gives each finding
a :class:`lingrok.ledger.records.Robustness`: the variants tried, the verdict under each, and the
summary of :func:`lingrok.ledger.records.robustness_summary` ("holds under all", "fails under all",
or "depends on <choice>"). A verdict that depends on a choice becomes holds-under-conditions, naming
the choice and which value gives which verdict: the verdict of record is the one that survives.

The summed and the mean loss give the same GD map when eta_mean = N eta_sum (the gradient of the mean
is the gradient of the sum over N), but not the same float64 iterates: in the paper's period-2 regime
the two roundings drift apart. So that variant is a rerun too: the sweep runs every GD run of the
ledger's context on the mean loss at eta N (``sweeps/robustness.py``, ``mean_loss_runs``) and also
records the largest relative difference of the two formulations' iterates on the paper-regime set.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lingrok.ledger.config import VerifyConfig, config_by_name
from lingrok.ledger.records import ERROR, Robustness, VariantOutcome, robustness_summary

__all__ = [
    "CHOICES",
    "Variant",
    "VARIANTS",
    "REDUCTION_VARIANT",
    "CLAIM_CHOICES",
    "NO_VARIANT_REASON",
    "RESULTS_DIR",
    "variant_by_name",
    "claim_robustness",
    "attach",
    "load_results",
    "result_file_name",
]

#: The unstated choices, in the words the ledger uses.
CHOICES = {
    "sv_spread": "the support vectors' spread along their hyperplane",
    "gap": "the population gap beyond the support-vector hyperplanes",
    "box": "the half-width of the input box",
    "seed": "the seeds of every data and test set",
    "reduction": "the summed vs the mean loss (eta scaled by N to match)",
    "n": "the number of points per class",
    "k": "the number of support vectors per class",
}

#: Where the sweep writes (and the ledger reads) one JSON file per variant.
RESULTS_DIR = Path(__file__).resolve().parents[2] / "docs" / "ledger" / "robustness"


def _both_paper(cfg: VerifyConfig, fn: Callable) -> dict:
    """replace() arguments that apply ``fn(spec) -> changes`` to both paper-regime specs."""
    return dict(paper_spec=dataclasses.replace(cfg.paper_spec, **fn(cfg.paper_spec)),
                small_paper_spec=dataclasses.replace(cfg.small_paper_spec, **fn(cfg.small_paper_spec)))


def _sv_spread(cfg):
    return dataclasses.replace(cfg, stable_sv_spread=2.0, **_both_paper(cfg, lambda s: dict(sv_spread=2.0)))


def _gap(cfg):
    # the paper-regime sets have gap 0: "doubled" is read as a gap of one margin gamma there
    return dataclasses.replace(cfg, stable_gap=2 * cfg.stable_gap,
                               **_both_paper(cfg, lambda s: dict(gap=2 * s.gap if s.gap else s.gamma)))


def _box(cfg):
    return dataclasses.replace(cfg, stable_box=2 * cfg.stable_box, **_both_paper(cfg, lambda s: dict(box=2 * s.box)))


def _seed(k):
    return lambda cfg: config_by_name(cfg.name, cfg.seed + k)


def _n(cfg):
    sets = tuple((key, 2 * n_pos, 2 * n_neg, k_pos, k_neg) for key, n_pos, n_neg, k_pos, k_neg in cfg.stable_sets)
    return dataclasses.replace(cfg, stable_sets=sets,
                               **_both_paper(cfg, lambda s: dict(n_pos=2 * s.n_pos, n_neg=2 * s.n_neg)))


def _k(cfg):
    sets = tuple((key, n_pos, n_neg, min(2 * k_pos, n_pos), min(2 * k_neg, n_neg))
                 for key, n_pos, n_neg, k_pos, k_neg in cfg.stable_sets)
    return dataclasses.replace(cfg, stable_sets=sets, **_both_paper(
        cfg, lambda s: dict(k_pos=min(2 * s.k_pos, s.n_pos), k_neg=min(2 * s.k_neg, s.n_neg))))


@dataclass(frozen=True)
class Variant:
    """A named change of one unstated choice relative to the ledger's configuration.

    Attributes:
        name: short label ("sv_spread=2").
        choice: key of :data:`CHOICES`.
        description: what changes, in words (base value -> variant value).
        apply: VerifyConfig -> VerifyConfig (None: not a configuration change, see REDUCTION_VARIANT).
    """

    name: str
    choice: str
    description: str
    apply: Callable | None = None


VARIANTS = (
    Variant("sv_spread=2", "sv_spread", "support vectors uniform in a radius-2 ball around the hyperplane's foot point "
            "+-(gamma/2) w_true (base: uniform on the whole box section); paper-regime and stable sets", _sv_spread),
    Variant("gap x2", "gap", "population gap doubled on the stable sets (0.02 -> 0.04 in the default configuration); "
            "the paper-regime sets (gap 0) get a gap of one margin gamma", _gap),
    Variant("box x2", "box", "input box [-5, 5]^d -> [-10, 10]^d on the paper-regime and stable sets (eta stays 1e-2 on "
            "the paper's sets; the stable eta follows lambda_max(H0))", _box),
    Variant("seed+1", "seed", "every data and test seed shifted by 1 (an independent draw of every set)", _seed(1)),
    Variant("seed+2", "seed", "every data and test seed shifted by 2", _seed(2)),
    Variant("n x2", "n", "points per class doubled, support vectors per class unchanged (paper set 1000 -> 2000 per "
            "class, stable sets 100 -> 200)", _n),
    Variant("k x2", "k", "support vectors per class doubled, points per class unchanged (paper set 350 -> 700, stable "
            "S(35, 20) -> S(70, 40), ...)", _k),
)

#: Not a configuration change: the sweep runs the context's GD on the mean loss at eta N (module docstring).
REDUCTION_VARIANT = Variant("mean loss, eta x N", "reduction", "every GD run of the ledger on the mean loss with "
                            "eta_mean = N eta_sum instead of the summed loss with eta_sum (the same GD map in exact arithmetic)")

#: The choices each claim's verdict can depend on. A claim without a data set has none (see NO_VARIANT_REASON).
_GD = ("sv_spread", "gap", "box", "seed", "reduction", "n", "k")
CLAIM_CHOICES = {
    "thm4.3": ("sv_spread", "gap", "box", "seed", "n", "k"),  # exact QPs: no GD, so no loss reduction
    "thm4.5-closed-form": (),
    "appA2-accuracy": ("box", "seed"),  # the concentrated test set depends on gamma, alpha, the box and its seed only
}
NO_VARIANT_REASON = {
    "thm4.5-closed-form": "no data set enters: eq. (11) is compared with an ODE solve of eq. (10) at fixed (A+, A-, b0)",
}


def variant_by_name(name: str) -> Variant:
    for v in VARIANTS + (REDUCTION_VARIANT,):
        if v.name == name:
            return v
    raise ValueError(f"`name` must be one of {[v.name for v in VARIANTS + (REDUCTION_VARIANT,)]}, got {name!r}")


def result_file_name(name: str) -> str:
    return name.replace(" ", "_").replace("=", "-").replace("+", "p").replace(",", "") + ".json"


def load_results(config: VerifyConfig, directory: Path | None = None) -> dict:
    """variant name -> its sweep result (dict from JSON) for ``config`` (name and seed must match the sweep's)."""
    directory = RESULTS_DIR if directory is None else Path(directory)
    out = {}
    if not directory.is_dir():
        return out
    for path in sorted(directory.glob("*.json")):
        res = json.loads(path.read_text())
        if res.get("base_config") == config.name and res.get("base_seed") == config.seed:
            out[res["variant"]] = res
    return out


def _censored(summary: str) -> bool:
    """Whether a check's summary reports a time cut off by the run's horizon (the checks write "censored"
    for Definition 3.4's times and "not settled" for the settled ones)."""
    text = summary.lower()
    return "censored" in text or "not settled" in text


def claim_robustness(claim_id: str, base_verdict: str, results: dict, *, source: str) -> Robustness:
    """The :class:`Robustness` of one claim from the sweep's results (variant name -> result dict)."""
    choices = CLAIM_CHOICES.get(claim_id, _GD)
    if not choices:
        return robustness_summary(base_verdict, (), source=source, reason=NO_VARIANT_REASON[claim_id])
    outcomes = []
    for v in VARIANTS + (REDUCTION_VARIANT,):
        if v.choice not in choices:
            continue
        res = results.get(v.name)
        if res is None:
            outcomes.append(VariantOutcome(v.name, v.choice, None, "not run (no sweep result for this configuration)"))
            continue
        claim = res["claims"].get(claim_id)
        if claim is None:
            outcomes.append(VariantOutcome(v.name, v.choice, None, "not run (claim absent from the sweep result)"))
            continue
        outcomes.append(VariantOutcome(v.name, v.choice, claim["verdict"], claim["summary"], _censored(claim["summary"])))
    return robustness_summary(base_verdict, tuple(outcomes), source=source)


def attach(entries, config: VerifyConfig, directory: Path | None = None) -> tuple:
    """LedgerEntries with each finding's ``robustness`` filled in and its verdict replaced by the one that survives.

    A claim whose verdict depends on a choice gets holds-under-conditions with the conditions naming the
    choice (its base verdict stays in ``robustness.base_verdict``). Entries whose check raised are left alone.
    """
    results = load_results(config, directory)
    where = RESULTS_DIR if directory is None else Path(directory)
    try:
        source = str(where.relative_to(Path(__file__).resolve().parents[2]))
    except ValueError:
        source = str(where)
    out = []
    for e in entries:
        f = e.finding
        if f.verdict == ERROR:
            out.append(e)
            continue
        rob = claim_robustness(e.claim.id, f.verdict, results, source=source)
        changes = dict(robustness=rob)
        if rob.conditions is not None:
            base = f"{f.conditions}. " if f.conditions else ""
            changes.update(verdict=rob.verdict_of_record, conditions=base + rob.conditions)
        out.append(dataclasses.replace(e, finding=dataclasses.replace(f, **changes)))
    return tuple(out)


"""Robustness of every verdict to the choices the paper leaves unstated (issue 14).

The paper states its data only as "support vectors on the margin hyperplanes, the rest uniform in
[-5, 5]^d" with eta = 1e-2. Everything else is a choice of this project (numerics.datasets): how far the
support vectors spread along their hyperplane, the gap between them and the population, the box, the
seeds, the sizes n and k per class, and whether the loss is summed or averaged. A :class:`Variant`
changes one of these relative to the ledger's configuration (:data:`VARIANTS`, :data:`REDUCTION_VARIANT`,
and :data:`D1024_VARIANTS` for the d = 1024 set of table1-dimension) or several at once
(:data:`COMBINATIONS`, built by :func:`combine`: a combination names every choice it changes and the
one-choice variants it is made of). The sweep (``sweeps/robustness.py``) reruns every claim check on
every variant and writes one JSON file per variant under ``docs/ledger/robustness/``; :func:`attach`
reads them when the ledger is built and gives each finding a :class:`lingrok.ledger.records.Robustness`:
the variants tried, the verdict under each, and the summary of
:func:`lingrok.ledger.records.robustness_summary` ("holds under all", "fails under all", or "depends on
<choices>", a combination's change charged to the smallest group of its parts that changes the verdict
on its own). A verdict that depends on a choice becomes holds-under-conditions, naming the choice and
which value gives which verdict: the verdict of record is the one that survives.

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
    "combine",
    "VARIANTS",
    "REDUCTION_VARIANT",
    "D1024_VARIANTS",
    "COMBINATIONS",
    "ALL_VARIANTS",
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


def _d1024_n(cfg):
    return dataclasses.replace(cfg, d1024_n=2 * cfg.d1024_n, d1024_k=cfg.d1024_k_per_class())


def _d1024_k(cfg):
    return dataclasses.replace(cfg, d1024_k=min(2 * cfg.d1024_k_per_class(), cfg.d1024_n // 2))


@dataclass(frozen=True)
class Variant:
    """A named change of one or more unstated choices relative to the ledger's configuration.

    Attributes:
        name: short label ("sv_spread=2"; a combination joins its parts' names with " & ": "sv_spread=2 & box x2").
        choices: keys of :data:`CHOICES` it changes, every one of them (one for a one-choice variant).
        description: what changes, in words (base value -> variant value).
        apply: VerifyConfig -> VerifyConfig (None: not a configuration change, see REDUCTION_VARIANT).
        parts: names of the one-choice variants a combination is made of (() for a one-choice variant):
            the summary rule (lingrok.ledger.records.robustness_summary) compares a combination with its parts.
        claims: the only claims the variant is run on (None: every claim whose CLAIM_CHOICES include its choices);
            the d = 1024 variants change a set that only table1-dimension reads.
    """

    name: str
    choices: tuple
    description: str
    apply: Callable | None = None
    parts: tuple = ()
    claims: tuple | None = None

    @property
    def components(self) -> tuple:
        """The one-choice variants it is made of: its parts, or itself."""
        return self.parts or (self.name,)


def combine(*parts: Variant) -> Variant:
    """The variant that makes every change of ``parts`` (one-choice variants of different choices) at once.

    A seed variant rebuilds the whole configuration (config_by_name at the shifted seed), so it is applied
    first and the other changes on top of it. The loss reduction is not a configuration change: the sweep
    runs a combination that contains it under its mean-loss patch.
    """
    if len(parts) < 2 or any(p.parts for p in parts):
        raise ValueError(f"`parts` must be two or more one-choice variants, got {[p.name for p in parts]}")
    choices = tuple(c for p in parts for c in p.choices)
    if len(set(choices)) != len(choices):
        raise ValueError(f"`parts` must change different choices, got {choices}")
    ordered = sorted(parts, key=lambda p: p.choices != ("seed",))

    def apply(cfg):
        for p in ordered:
            if p.apply is not None:
                cfg = p.apply(cfg)
        return cfg

    return Variant(" & ".join(p.name for p in parts), choices, "; ".join(f"{p.name}: {p.description}" for p in parts),
                   apply, tuple(p.name for p in parts))


def _one(name, choice, description, apply=None, claims=None):
    return Variant(name, (choice,), description, apply, (), claims)


VARIANTS = (
    _one("sv_spread=2", "sv_spread", "support vectors uniform in a radius-2 ball around the hyperplane's foot point "
         "+-(gamma/2) w_true (base: uniform on the whole box section); paper-regime and stable sets", _sv_spread),
    _one("gap x2", "gap", "population gap doubled on the stable sets (0.02 -> 0.04 in the default configuration); "
         "the paper-regime sets (gap 0) get a gap of one margin gamma", _gap),
    _one("box x2", "box", "input box [-5, 5]^d -> [-10, 10]^d on the paper-regime and stable sets (eta stays 1e-2 on "
         "the paper's sets; the stable eta follows lambda_max(H0))", _box),
    _one("seed+1", "seed", "every data and test seed shifted by 1 (an independent draw of every set)", _seed(1)),
    _one("seed+2", "seed", "every data and test seed shifted by 2", _seed(2)),
    _one("seed+3", "seed", "every data and test seed shifted by 3", _seed(3)),
    _one("seed+4", "seed", "every data and test seed shifted by 4", _seed(4)),
    _one("seed+5", "seed", "every data and test seed shifted by 5", _seed(5)),
    _one("seed+6", "seed", "every data and test seed shifted by 6", _seed(6)),
    _one("seed+7", "seed", "every data and test seed shifted by 7", _seed(7)),
    _one("seed+8", "seed", "every data and test seed shifted by 8", _seed(8)),
    _one("n x2", "n", "points per class doubled, support vectors per class unchanged (paper set 1000 -> 2000 per "
         "class, stable sets 100 -> 200)", _n),
    _one("k x2", "k", "support vectors per class doubled, points per class unchanged (paper set 350 -> 700, stable "
         "S(35, 20) -> S(70, 40), ...)", _k),
)

#: Not a configuration change: the sweep runs the context's GD on the mean loss at eta N (module docstring).
REDUCTION_VARIANT = _one("mean loss, eta x N", "reduction", "every GD run of the ledger on the mean loss with "
                         "eta_mean = N eta_sum instead of the summed loss with eta_sum (the same GD map in exact arithmetic)")

#: The d = 1024 set of table1-dimension (reduced N, the paper's eta): the variants above leave its construction
#: alone (the seed variants redraw it); these change it, and only table1-dimension reads it.
D1024_VARIANTS = (
    _one("sv_spread=2 on d1024", "sv_spread", "support vectors of the d = 1024 set uniform in a radius-2 ball "
         "around the foot point (base: uniform on the box section); no other set changes",
         lambda cfg: dataclasses.replace(cfg, d1024_sv_spread=2.0), ("table1-dimension",)),
    _one("box x2 on d1024", "box", "box of the d = 1024 set [-5, 5]^1024 -> [-10, 10]^1024 (eta stays 1e-2); "
         "no other set changes", lambda cfg: dataclasses.replace(cfg, d1024_box=2 * cfg.d1024_box), ("table1-dimension",)),
    _one("gap x2 on d1024", "gap", "the d = 1024 set (gap 0) gets a population gap of one margin gamma = 1e-3, as the "
         "paper-regime sets under gap x2; no other set changes",
         lambda cfg: dataclasses.replace(cfg, d1024_gap=2 * cfg.d1024_gap if cfg.d1024_gap else 1e-3), ("table1-dimension",)),
    _one("n x2 on d1024", "n", "points per class of the d = 1024 set doubled (1000 -> 2000), support vectors per class "
         "kept (350); no other set changes", _d1024_n, ("table1-dimension",)),
    _one("k x2 on d1024", "k", "support vectors per class of the d = 1024 set doubled (350 -> 700 of 1000), points kept; "
         "no other set changes", _d1024_k, ("table1-dimension",)),
)

_BY_NAME = {v.name: v for v in VARIANTS + (REDUCTION_VARIANT,)}

#: Combinations that test the choice-dependent verdicts: the two choices that flipped verdicts one at a time
#: (sv_spread, box) together, each of them on independent redraws and on the mean loss, and three choices at once;
#: the sv_spread=2 and box x2 constructions on all eight redraws seed+1 ... seed+8 (their flip rates,
#: lingrok.ledger.records.construction_flip_rate), and gap, n and k crossed with sv_spread=2.
COMBINATIONS = tuple(combine(*(_BY_NAME[n] for n in names)) for names in (
    ("sv_spread=2", "box x2"),
    ("sv_spread=2", "seed+1"),
    ("sv_spread=2", "seed+2"),
    ("box x2", "seed+1"),
    ("sv_spread=2", "mean loss, eta x N"),
    ("box x2", "seed+2"),
    ("box x2", "mean loss, eta x N"),
    ("sv_spread=2", "box x2", "seed+1"),
    ("sv_spread=2", "box x2", "seed+2"),
    ("sv_spread=2", "seed+1", "mean loss, eta x N"),
    *(("sv_spread=2", f"seed+{k}") for k in range(3, 9)),
    *(("box x2", f"seed+{k}") for k in range(3, 9)),
    ("gap x2", "sv_spread=2"),
    ("n x2", "sv_spread=2"),
    ("k x2", "sv_spread=2"),
))

#: Every variant, in the order of the ledger's tables.
ALL_VARIANTS = VARIANTS + (REDUCTION_VARIANT,) + D1024_VARIANTS + COMBINATIONS

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
    for v in ALL_VARIANTS:
        if v.name == name:
            return v
    raise ValueError(f"`name` must be one of {[v.name for v in ALL_VARIANTS]}, got {name!r}")


def result_file_name(name: str) -> str:
    """"sv_spread=2 & seed+1" -> "sv_spread-2_and_seedp1.json" (no shell-special characters)."""
    return (name.replace(" & ", "_and_").replace(" ", "_").replace("=", "-").replace("+", "p").replace(",", "")
            + ".json")


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
    for v in ALL_VARIANTS:
        if not set(v.choices) <= set(choices) or (v.claims is not None and claim_id not in v.claims):
            continue
        res = results.get(v.name)
        claim = None if res is None else res["claims"].get(claim_id)
        if claim is None:
            why = "no sweep result for this configuration" if res is None else "claim absent from the sweep result"
            outcomes.append(VariantOutcome(v.name, v.choices, None, f"not run ({why})", parts=v.parts))
            continue
        outcomes.append(VariantOutcome(v.name, v.choices, claim["verdict"], claim["summary"], _censored(claim["summary"]),
                                       v.parts))
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


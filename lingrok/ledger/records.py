"""The claims ledger of arXiv:2602.08302: one record per claim, its evidence and a computed verdict.

A :class:`Claim` is what the paper (or a corrected prediction) says, where, and how it is
checked; a :class:`Finding` is what the check measured: named :class:`Evidence` items (each
says how it was obtained and from which run), a verdict from :data:`VERDICTS`, the conditions
under which it holds, and a one-sentence summary with numbers. A :class:`Ledger` holds the
entries in order with the configuration and the provenance of every simulation run.

Verdicts are computed from evidence by the claim checks (``lingrok/claims_*.py``) with named
thresholds; the helpers here combine sub-checks (:func:`regime_verdict`) and measure agreement
(:func:`scaled_error`). Rendering: :func:`render_table` (terminal), :func:`ledger_to_dict`
(JSON), :func:`render_markdown` (report).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import numpy as np
from scipy.stats import beta

__all__ = [
    "HOLDS",
    "FAILS",
    "CONDITIONAL",
    "ERROR",
    "VERDICTS",
    "Evidence",
    "Claim",
    "Finding",
    "LedgerEntry",
    "Ledger",
    "VariantOutcome",
    "Robustness",
    "FlipRate",
    "ConstructionFlipRate",
    "REDRAW_CHOICE",
    "clopper_pearson",
    "redraw_flip_rate",
    "construction_flip_rates",
    "flip_causes",
    "robustness_summary",
    "ev",
    "finding",
    "error_finding",
    "regime_verdict",
    "all_verdict",
    "scaled_error",
    "json_safe",
    "ledger_to_dict",
    "render_table",
    "render_markdown",
]

HOLDS = "holds"
FAILS = "fails"
CONDITIONAL = "holds-under-conditions"
ERROR = "error"  # the check raised: no verdict could be computed
VERDICTS = (HOLDS, FAILS, CONDITIONAL, ERROR)
# What an evidence value is (see Evidence.nature): how a rerun on other arithmetic may compare with it.
NATURES = ("measured", "rounding")


@dataclass(frozen=True)
class Evidence:
    """One measured or computed number (or short list / flag) behind a verdict.

    Attributes:
        value: float, int, bool, str, or a short list of those.
        how: how it was obtained (method, precision, tolerance, window), in words.
        source: key of the run or data set in :attr:`Ledger.runs` it came from (None: pure theory).
        tolerance: the threshold it was compared with, if any (a number or a short rule).
        nature: "measured" (a time, ratio, rate, state, accuracy or flag: reproducible to its own
            precision) or "rounding" (zero in exact arithmetic: the value is rounding or solver noise,
            and ``tolerance`` is the absolute floor below which it counts as zero; another machine's
            arithmetic moves it freely below that floor).
    """

    value: object
    how: str
    source: str | None = None
    tolerance: object = None
    nature: str = "measured"

    def __post_init__(self):
        if self.nature not in NATURES:
            raise ValueError(f"evidence nature must be one of {NATURES}, got {self.nature!r}")
        if self.nature == "rounding" and not isinstance(self.tolerance, (int, float)):
            raise ValueError("rounding-level evidence needs a numeric tolerance: the floor below which it counts as zero")


@dataclass(frozen=True)
class Claim:
    """A claim of arXiv:2602.08302 (``kind="paper"``) or a corrected prediction (``kind="corrected"``)."""

    id: str
    statement: str
    reference: str  # section / equation / table of the paper
    method: str  # how it is checked, in one or two sentences
    topic: str  # geometry, bias, grokking, experiments, corrected
    kind: str = "paper"


@dataclass(frozen=True)
class VariantOutcome:
    """The verdict of one claim under one variant of the unstated choices (lingrok.ledger.robustness).

    Attributes:
        variant: the variant's name ("sv_spread=2", "sv_spread=2 & seed+1").
        choices: every choice it changes (("sv_spread",); ("sv_spread", "seed") for that combination).
        verdict: one of :data:`VERDICTS`, or None when the variant was not run (``note`` says why).
        note: the check's one-sentence summary under the variant, or why it was not run.
        censored: some time of the check was cut off by the run's horizon under the variant (its summary
            says "censored" or "not settled"): that part of the verdict is a bound, not a measurement.
        parts: the one-choice variants a combination is made of, by name (() for a one-choice variant).
    """

    variant: str
    choices: tuple
    verdict: str | None
    note: str
    censored: bool = False
    parts: tuple = ()

    @property
    def components(self) -> frozenset:
        """The one-choice variants it is made of (itself for a one-choice variant)."""
        return frozenset(self.parts or (self.variant,))


#: The choice whose one-choice variants are redraws of the data (seed+1, seed+2, ...), not construction changes.
REDRAW_CHOICE = "seed"
#: Confidence level of the redraw flip-rate interval (two-sided, exact Clopper-Pearson).
FLIP_RATE_LEVEL = 0.95


def clopper_pearson(k: int, m: int, level: float = FLIP_RATE_LEVEL) -> tuple:
    """Exact two-sided Clopper-Pearson interval (low, high) for a binomial proportion from k successes in m trials.

    low = Beta^-1((1 - level)/2; k, m - k + 1) (0 when k = 0), high = Beta^-1((1 + level)/2; k + 1, m - k)
    (1 when k = m): the interval whose two tails each have probability at most (1 - level)/2 under every p.
    For k = 0 the upper end is 1 - ((1 - level)/2)^(1/m) (m = 8: 0.369).

    Raises:
        ValueError: ``m`` < 1, ``k`` outside [0, m], or ``level`` outside (0, 1).
    """
    if m < 1 or not 0 <= k <= m:
        raise ValueError(f"`k` and `m` must satisfy 0 <= k <= m and m >= 1, got k = {k}, m = {m}")
    if not 0 < level < 1:
        raise ValueError(f"`level` must be in (0, 1), got {level}")
    tail = (1 - level) / 2
    low = 0.0 if k == 0 else float(beta.ppf(tail, k, m - k + 1))
    high = 1.0 if k == m else float(beta.ppf(1 - tail, k + 1, m - k))
    return low, high


@dataclass(frozen=True)
class FlipRate:
    """How often a claim's verdict flips under redraws of the data (the seed variants), with its exact interval.

    Attributes:
        k: redraws whose verdict differs from the base verdict.  m: redraws run (not raising).
        low, high: Clopper-Pearson interval for the flip probability of one redraw of this construction.
        level: its confidence level.  variants: the redraws counted, by name.
    """

    k: int
    m: int
    low: float
    high: float
    level: float
    variants: tuple

    @classmethod
    def of(cls, k: int, m: int, level: float, variants: tuple) -> "FlipRate":
        """k of m with its :func:`clopper_pearson` interval at ``level``."""
        return cls(k, m, *clopper_pearson(k, m, level), level, tuple(variants))

    def as_dict(self) -> dict:
        return {"k": self.k, "m": self.m, "low": self.low, "high": self.high, "level": self.level}

    def text(self) -> str:
        return (f"verdict flips under {self.k} of {self.m} seed redraws (flip rate {self.k / self.m:.2f}, "
                f"{self.level:.0%} Clopper-Pearson interval [{self.low:.3f}, {self.high:.3f}] for one redraw of this "
                "construction)")


def redraw_flip_rate(base_verdict: str, outcomes, level: float = FLIP_RATE_LEVEL) -> FlipRate | None:
    """The :class:`FlipRate` over the one-choice redraw variants (choices == (REDRAW_CHOICE,)) among ``outcomes``.

    Only one-choice seed variants count (a combination such as sv_spread=2 & seed+1 redraws another
    construction); not run and raising ones are left out. None when no redraw was run.
    """
    draws = [o for o in outcomes if o.choices == (REDRAW_CHOICE,) and not o.parts and o.verdict not in (None, ERROR)]
    if not draws:
        return None
    return FlipRate.of(sum(o.verdict != base_verdict for o in draws), len(draws), level, (o.variant for o in draws))


@dataclass(frozen=True)
class ConstructionFlipRate:
    """How often the draw decides a claim's verdict under a construction other than the default one.

    The construction is a one-choice variant C that is not a redraw ("sv_spread=2", "box x2"); its redraws are the
    two-part combinations "C & seed+j" (:func:`construction_flip_rates`).

    Attributes:
        construction: C, by name.
        own_verdict: the claim's verdict under C on the base draw (the reference of ``differ``).
        base_verdict: the default construction's base verdict (the reference of ``give_base``).
        differ: the redraws of C whose verdict differs from ``own_verdict`` (k of m, with its interval).
        give_base: the redraws of C whose verdict equals ``base_verdict`` (k of m, with its interval).
    """

    construction: str
    own_verdict: str
    base_verdict: str
    differ: FlipRate
    give_base: FlipRate

    def text(self) -> str:
        d, b = self.differ, self.give_base
        return (f"under {self.construction} (its own verdict {self.own_verdict}) {d.k} of {d.m} redraws give another "
                f"verdict (rate {d.k / d.m:.2f}, {d.level:.0%} Clopper-Pearson [{d.low:.3f}, {d.high:.3f}]) and {b.k} of "
                f"{b.m} give the base verdict {self.base_verdict} ([{b.low:.3f}, {b.high:.3f}])")


def construction_flip_rates(base_verdict: str, outcomes, level: float = FLIP_RATE_LEVEL) -> tuple:
    """One :class:`ConstructionFlipRate` per construction C with redraws among ``outcomes``, in order of appearance.

    C is the non-seed part of a two-part combination whose other part is a seed variant ("sv_spread=2 & seed+3"):
    those combinations are C's redraws. Combinations of three or more parts redraw another construction and do not
    count; not run and raising outcomes are left out. A construction whose own one-choice outcome was not run or
    raised has no reference verdict and no estimate.
    """
    tried = [o for o in outcomes if o.verdict not in (None, ERROR)]
    own = {o.variant: o.verdict for o in tried if not o.parts}
    draws = {}
    for o in tried:
        if len(o.parts) != 2 or sorted(o.choices).count(REDRAW_CHOICE) != 1:
            continue
        construction = next(p for p, c in zip(o.parts, o.choices) if c != REDRAW_CHOICE)
        draws.setdefault(construction, []).append(o)
    out = []
    for construction, group in draws.items():
        if construction not in own:
            continue
        names = tuple(o.variant for o in group)
        differ = FlipRate.of(sum(o.verdict != own[construction] for o in group), len(group), level, names)
        give_base = FlipRate.of(sum(o.verdict == base_verdict for o in group), len(group), level, names)
        out.append(ConstructionFlipRate(construction, own[construction], base_verdict, differ, give_base))
    return tuple(out)


@dataclass(frozen=True)
class Robustness:
    """A verdict's robustness to the paper's unstated choices (built by :func:`robustness_summary`).

    Attributes:
        base_verdict: the check's verdict on the ledger's own configuration.
        outcomes: one :class:`VariantOutcome` per variant that applies to the claim (empty: none applies).
        summary: "holds under all ...", "fails under all ...", "depends on <choices> ...", "no variant applies: ...",
            or "not tested ...".
        verdict_of_record: base_verdict, or holds-under-conditions when it depends on a choice.
        conditions: for a dependence: which value of which choice gives which verdict (else None).
        source: where the variants' results were read from.
        depends_on: the causes of the flips, each a tuple of choices (one choice, or several that flip the
            verdict only together); () when the verdict never changes.
        redraw_flips: how often the verdict flips under the seed redraws (:func:`redraw_flip_rate`; None: none run).
            Reported, not used for the verdict of record.
        construction_flips: the same for the redraws of other constructions (:func:`construction_flip_rates`),
            reported, not used for the verdict of record.
    """

    base_verdict: str
    outcomes: tuple
    summary: str
    verdict_of_record: str
    conditions: str | None
    source: str
    depends_on: tuple = ()
    redraw_flips: FlipRate | None = None
    construction_flips: tuple = ()


def flip_causes(base_verdict: str, outcomes) -> dict:
    """variant name -> the causes of its flip, for every outcome whose verdict differs from ``base_verdict``.

    A cause is a minimal set of one-choice variants whose own run (alone, or as a combination of exactly
    those) also flips the verdict: the flip of "sv_spread=2 & box x2" is caused by sv_spread=2 when
    sv_spread=2 alone flips and box x2 alone does not, by both (two causes) when each flips alone, and by
    the pair jointly when neither does or when neither was run. Not run and raising outcomes take no part.
    Each cause is returned as the frozenset of its one-choice variants' names.
    """
    tried = [o for o in outcomes if o.verdict not in (None, ERROR)]
    flipped = {o.components for o in tried if o.verdict != base_verdict}
    out = {}
    for o in tried:
        if o.verdict == base_verdict:
            continue
        subsets = [s for s in flipped if s <= o.components]
        out[o.variant] = tuple(sorted((s for s in subsets if not any(t < s for t in subsets)), key=sorted))
    return out


def robustness_summary(base_verdict: str, outcomes, *, source: str, reason: str | None = None) -> Robustness:
    """Summarise the per-variant verdicts of one claim against its base verdict.

    Holds / fails / holds-under-conditions "under all" when every variant that was run gives the base
    verdict. Otherwise the verdict "depends on" the choices that cause the flips (:func:`flip_causes`:
    a combination's flip is charged to the smallest group of its parts that flips on its own, so a flip under
    sv_spread=2 alone and under sv_spread=2 & box x2 depends on sv_spread, not on box; a group of several
    choices is named as "a with b"); the verdict of record is then holds-under-conditions, its conditions
    naming which variants give which verdict. A combination that gives the base verdict back although one of
    its parts flips it alone is named too ("undone by"): that flip does not survive the other change (e.g.
    a redraw of the seeds). Variants not run (verdict None) or whose check raised (``error``) decide
    nothing and are named. ``reason``: why no variant applies, when ``outcomes`` is empty.
    """
    outcomes = tuple(outcomes)
    if not outcomes:
        return Robustness(base_verdict, (), f"no variant applies: {reason or 'not stated'}", base_verdict, None, source)
    tried = [o for o in outcomes if o.verdict not in (None, ERROR)]
    untried = [o.variant for o in outcomes if o.verdict is None]
    broken = [o.variant for o in outcomes if o.verdict == ERROR]
    rate = redraw_flip_rate(base_verdict, outcomes)
    others = construction_flip_rates(base_verdict, outcomes)
    tail = ((f"; {rate.text()}" if rate is not None else "") + "".join(f"; {c.text()}" for c in others)
            + (f"; not run: {', '.join(untried)}" if untried else "")
            + (f"; check raised under: {', '.join(broken)}" if broken else ""))
    if not tried:
        return Robustness(base_verdict, outcomes, "not tested: no variant was run" + tail, base_verdict, None, source)
    flips = [o for o in tried if o.verdict != base_verdict]
    if not flips:
        return Robustness(base_verdict, outcomes, f"{base_verdict} under all {len(tried)} variants run{tail}",
                          base_verdict, None, source, (), rate, others)
    causes = flip_causes(base_verdict, outcomes)
    by_components = {o.components: o for o in tried}
    depends = []
    for o in flips:
        for cause in causes[o.variant]:
            owner = by_components[cause]  # the run of exactly that group (it flipped: that is why it is a cause)
            if owner.choices not in depends:
                depends.append(tuple(owner.choices))
    same = [o.variant for o in tried if o.verdict == base_verdict]
    by_verdict = {}
    for o in flips:
        by_verdict.setdefault(o.verdict, []).append(o.variant)
    undone = [f"{c.variant} gives {base_verdict} again ({', '.join(sorted(c.components - f.components))} "
              f"undoes {f.variant})"
              for f in flips for c in tried if c.verdict == base_verdict and f.components < c.components]
    conditions = (f"depends on {', '.join(' with '.join(d) for d in depends)}: {base_verdict} with the base construction"
                  + (f" and under {', '.join(same)}" if same else "") + "; "
                  + "; ".join(f"{v} under {', '.join(names)}" for v, names in by_verdict.items())
                  + (f"; not surviving a further change: {'; '.join(undone)}" if undone else ""))
    return Robustness(base_verdict, outcomes, conditions + tail, CONDITIONAL, conditions, source, tuple(depends), rate,
                      others)


@dataclass(frozen=True)
class Finding:
    """The outcome of checking one claim.

    Attributes:
        verdict: one of :data:`VERDICTS`.
        summary: one sentence with the decisive numbers.
        evidence: read-only mapping name -> :class:`Evidence`.
        conditions: for ``holds-under-conditions``: where it holds (and where it fails).
        error: for ``error``: the exception, one line.
        seconds: wall time of the check (shared cached runs are charged to the first user).
        robustness: the verdict under each variant of the paper's unstated choices (None: not attached).
    """

    verdict: str
    summary: str
    evidence: Mapping[str, Evidence] = field(default_factory=dict)
    conditions: str | None = None
    error: str | None = None
    seconds: float = 0.0
    robustness: Robustness | None = None

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"`verdict` must be one of {VERDICTS}, got {self.verdict!r}")
        if self.verdict == CONDITIONAL and not self.conditions:
            raise ValueError("`conditions` must say where the claim holds when the verdict is holds-under-conditions")
        object.__setattr__(self, "evidence", MappingProxyType(dict(self.evidence)))


@dataclass(frozen=True)
class LedgerEntry:
    """One row of the ledger: a claim and what its check found."""

    claim: Claim
    finding: Finding


@dataclass(frozen=True)
class Ledger:
    """Every claim with its finding, the configuration, and the provenance of every run."""

    entries: tuple
    config: Mapping
    runs: Mapping  # run / data-set key -> dict describing it (spec, eta, steps, precision, seed)
    seconds: float

    @property
    def n_errors(self) -> int:
        return sum(e.finding.verdict == ERROR for e in self.entries)

    def verdicts(self) -> dict:
        """Claim id -> verdict."""
        return {e.claim.id: e.finding.verdict for e in self.entries}


# ---------------------------------------------------------------- building findings


def ev(value, how: str, source: str | None = None, tolerance=None, *, nature: str = "measured") -> Evidence:
    """Shorthand for :class:`Evidence` with numpy scalars converted to Python numbers."""
    return Evidence(_plain(value), how, source, _plain(tolerance), nature)


def finding(verdict: str, summary: str, evidence: Mapping, conditions: str | None = None) -> Finding:
    """Shorthand for :class:`Finding` (``seconds`` is filled in by the runner)."""
    return Finding(verdict=verdict, summary=summary, evidence=evidence, conditions=conditions)


def error_finding(exc: BaseException, seconds: float = 0.0) -> Finding:
    """The finding of a check that raised: verdict ``error`` with the exception in one line."""
    text = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
    return Finding(verdict=ERROR, summary=f"the check raised {text}", error=text, seconds=seconds)


def regime_verdict(stable_ok: bool, paper_ok: bool | None, *, stable_regime: str, paper_regime: str):
    """Combine a sub-check evaluated in the stable regime and at the paper's settings.

    Returns (verdict, conditions): holds if it passes in both (or only the stable regime was
    tested and passed), holds-under-conditions if it passes in the stable regime only, fails
    if it fails in the stable regime.
    """
    if not stable_ok:
        return FAILS, None
    if paper_ok is None or paper_ok:
        return HOLDS, None
    return CONDITIONAL, f"holds in {stable_regime}; fails in {paper_regime}"


def all_verdict(oks) -> str:
    """holds if every sub-check passed, else fails."""
    return HOLDS if all(bool(o) for o in oks) else FAILS


def scaled_error(num, ref, *, rtol: float, atol: float = 0.0) -> float:
    """Largest |num - ref| / (atol + rtol |ref|): agreement iff <= 1."""
    num = np.asarray(num, dtype=float)
    ref = np.asarray(ref, dtype=float)
    return float(np.max(np.abs(num - ref) / (atol + rtol * np.abs(ref))))


# ---------------------------------------------------------------- JSON


def _plain(value):
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def json_safe(value):
    """Recursively convert to JSON types; non-finite floats become the strings 'inf', '-inf', 'nan'."""
    value = _plain(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _entry_dict(e: LedgerEntry) -> dict:
    c, f = e.claim, e.finding
    return {
        "id": c.id, "kind": c.kind, "topic": c.topic, "statement": c.statement, "reference": c.reference,
        "method": c.method, "verdict": f.verdict, "conditions": f.conditions, "summary": f.summary,
        "evidence": {k: {"value": json_safe(v.value), "how": v.how, "source": v.source,
                         "tolerance": json_safe(v.tolerance), "nature": v.nature} for k, v in f.evidence.items()},
        "error": f.error, "seconds": round(f.seconds, 3), "robustness": _robustness_dict(f.robustness),
    }


def _construction_flip_dict(c: ConstructionFlipRate) -> dict:
    def rate(f, what):
        return {**f.as_dict(), "what": what}

    return {"construction": c.construction, "own_verdict": c.own_verdict, "base_verdict": c.base_verdict,
            "variants": list(c.differ.variants),
            "differ": rate(c.differ, "redraws of the construction whose verdict differs from its own verdict"),
            "give_base": rate(c.give_base, "redraws of the construction whose verdict is the default construction's base "
                                           "verdict"),
            "how": "exact Clopper-Pearson interval (scipy.stats.beta) for the probability that one seed redraw of the "
                   "construction gives that outcome; redraws are its two-part combinations with a seed variant"}


def _robustness_dict(r: Robustness | None):
    if r is None:
        return None
    return {"base_verdict": r.base_verdict, "summary": r.summary, "verdict_of_record": r.verdict_of_record,
            "conditions": r.conditions, "source": r.source, "depends_on": [list(d) for d in r.depends_on],
            "redraw_flips": None if r.redraw_flips is None else {
                **r.redraw_flips.as_dict(), "variants": list(r.redraw_flips.variants),
                "how": "exact Clopper-Pearson interval (scipy.stats.beta) for the probability that one seed redraw of "
                       "the default construction gives a verdict other than the base verdict"},
            "construction_flips": [_construction_flip_dict(c) for c in r.construction_flips],
            "variants": [{"variant": o.variant, "choices": list(o.choices), "parts": list(o.parts), "verdict": o.verdict,
                          "censored": o.censored, "note": o.note} for o in r.outcomes]}


def ledger_to_dict(ledger: Ledger) -> dict:
    """The JSON object of ``lingrok verify --json``: {"claims": [...], "config": ..., "runs": ...}."""
    return {
        "claims": [_entry_dict(e) for e in ledger.entries],
        "config": json_safe(dict(ledger.config)),
        "runs": json_safe(dict(ledger.runs)),
        "verdict_counts": {v: sum(e.finding.verdict == v for e in ledger.entries) for v in VERDICTS},
        "seconds": round(ledger.seconds, 2),
    }


# ---------------------------------------------------------------- text and Markdown


def _fmt(value) -> str:
    value = _plain(value)
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value == 0.0:
            return "0"
        return f"{value:.4g}"
    if isinstance(value, list):
        inner = ", ".join(_fmt(v) for v in value[:12])
        return f"[{inner}{', ...' if len(value) > 12 else ''}]"
    return str(value)


def render_table(ledger: Ledger, width: int = 150) -> str:
    """Plain-text table: id, verdict, one-line summary (wrapped to ``width``)."""
    idw = max(len(e.claim.id) for e in ledger.entries) if ledger.entries else 2
    vw = max(len(v) for v in VERDICTS)
    lines = [f"{'claim':<{idw}}  {'verdict':<{vw}}  summary", "-" * min(width, idw + vw + 60)]
    room = max(40, width - idw - vw - 4)
    for e in ledger.entries:
        words, first, cur = e.finding.summary.split(), True, ""
        chunks = []
        for w in words:
            if cur and len(cur) + 1 + len(w) > room:
                chunks.append(cur)
                cur = w
            else:
                cur = f"{cur} {w}" if cur else w
        chunks.append(cur)
        for chunk in chunks:
            head = f"{e.claim.id:<{idw}}  {e.finding.verdict:<{vw}}" if first else " " * (idw + vw + 2)
            lines.append(f"{head}  {chunk}")
            first = False
    counts = ", ".join(f"{sum(e.finding.verdict == v for e in ledger.entries)} {v}" for v in VERDICTS)
    lines.append(f"{len(ledger.entries)} claims: {counts} ({ledger.seconds:.0f} s)")
    return "\n".join(lines)


def _md_cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(ledger: Ledger, figures: Mapping[str, str] | None = None) -> str:
    """The Markdown report: overview table, then per claim statement, reference, method, evidence, verdict.

    ``figures`` maps a caption to a relative image path, embedded after the overview.
    """
    cfg = dict(ledger.config)
    out = [
        "# Verification ledger: Grokking in Linear Models for Logistic Regression (arXiv:2602.08302)",
        "",
        f"Configuration `{cfg.get('name', '?')}`, seed {cfg.get('seed', '?')}, {len(ledger.entries)} claims, "
        f"{ledger.seconds:.0f} s. Every verdict is computed from the evidence below with the named thresholds "
        "listed as tolerances (lingrok/ledger/thresholds.py); times count GD steps unless stated otherwise. "
        "Robustness: each claim's check rerun with one of the paper's unstated choices changed (support-vector "
        "spread, population gap, box, seeds, n and k per class, summed vs mean loss) and under combinations of "
        "them; a verdict that changes with a choice is recorded as holds-under-conditions naming it (a "
        "combination's change is charged to the smallest group of its choices that changes the verdict alone).",
        "",
        "| claim | kind | verdict | robustness | summary |",
        "|---|---|---|---|---|",
    ]
    for e in ledger.entries:
        anchor = e.claim.id.replace(".", "").lower()  # GitHub's heading anchors: lower case, dots dropped
        rob = e.finding.robustness
        short = "" if rob is None else rob.summary.split(":")[0].split(";")[0]
        out.append(f"| [{e.claim.id}](#{anchor}) | {e.claim.kind} | **{e.finding.verdict}** | {_md_cell(short)} | "
                   f"{_md_cell(e.finding.summary)} |")
    if figures:
        out += ["", "## Figures", ""]
        for caption, path in figures.items():
            out += [f"![{caption}]({path})", "", f"*{caption}*", ""]
    for e in ledger.entries:
        c, f = e.claim, e.finding
        out += ["", f"## {c.id}", "", f"**Statement.** {c.statement}", "", f"**Reference.** {c.reference}", "",
                f"**Method.** {c.method}", "", f"**Verdict: {f.verdict}.** {f.summary}"]
        if f.conditions:
            out += ["", f"**Conditions.** {f.conditions}"]
        if f.error:
            out += ["", f"**Error.** `{f.error}`"]
        if f.robustness is not None:
            r = f.robustness
            out += ["", f"**Robustness** (base verdict {r.base_verdict}; variants from `{r.source}`). {r.summary}"]
            if r.outcomes:
                out += ["", "| variant | choices | verdict | censored | under the variant |", "|---|---|---|---|---|"]
                out += [f"| {_md_cell(o.variant)} | {', '.join(o.choices)} | {o.verdict or 'not run'} | {'yes' if o.censored else ''} | "
                        f"{_md_cell(o.note)} |" for o in r.outcomes]
        if f.evidence:
            out += ["", "| evidence | value | how obtained | source | tolerance |", "|---|---|---|---|---|"]
            for k, v in f.evidence.items():
                tol = "" if v.tolerance is None else _fmt(v.tolerance)
                out.append(f"| {_md_cell(k)} | {_md_cell(_fmt(v.value))} | {_md_cell(v.how)} | "
                           f"{_md_cell(v.source or 'theory')} | {_md_cell(tol)} |")
    out += ["", "## Runs and data sets", "", "| key | description |", "|---|---|"]
    for k, v in dict(ledger.runs).items():
        desc = "; ".join(f"{kk} = {_fmt(vv)}" for kk, vv in dict(v).items())
        out.append(f"| {_md_cell(k)} | {_md_cell(desc)} |")
    out += ["", "## Configuration", "", "```", *(f"{k}: {json_safe(v)}" for k, v in cfg.items()), "```", ""]
    return "\n".join(out)

"""Robustness of the verdicts to the paper's unstated choices (lingrok.ledger.robustness, issue 14).

The summary is computed from the per-variant verdicts (a fake finding set that flips under one choice
reads "depends on" that choice and becomes holds-under-conditions); every claim lists at least one
variant or says why none applies; each variant changes only its own choice; the committed ledger
carries a robustness record per claim.
"""

import dataclasses
import json
from pathlib import Path

import pytest

from lingrok.ledger.claims_common import all_checks
from lingrok.ledger.config import default_config
from lingrok.ledger.records import (CONDITIONAL, ERROR, FAILS, HOLDS, Claim, LedgerEntry, VariantOutcome, finding,
                                    ledger_to_dict, Ledger, render_markdown, robustness_summary)
from lingrok.ledger.robustness import (CHOICES, CLAIM_CHOICES, NO_VARIANT_REASON, REDUCTION_VARIANT, VARIANTS, attach,
                                       result_file_name)

PAGE = Path(__file__).resolve().parent.parent / "docs" / "ledger" / "ledger.json"


def _o(name, choice, verdict):
    return VariantOutcome(name, choice, verdict, f"summary under {name}")


def test_a_verdict_that_flips_with_one_choice_depends_on_it():
    outcomes = (_o("sv_spread=2", "sv_spread", HOLDS), _o("box x2", "box", FAILS), _o("seed+1", "seed", FAILS))
    r = robustness_summary(FAILS, outcomes, source="fake")
    assert r.verdict_of_record == CONDITIONAL
    assert r.summary.startswith("depends on sv_spread:")
    assert "fails with the base construction and under box x2, seed+1" in r.conditions
    assert "holds under sv_spread=2" in r.conditions


def test_a_verdict_that_never_flips_holds_or_fails_under_all():
    outcomes = (_o("sv_spread=2", "sv_spread", HOLDS), _o("box x2", "box", HOLDS))
    r = robustness_summary(HOLDS, outcomes, source="fake")
    assert (r.verdict_of_record, r.conditions) == (HOLDS, None)
    assert r.summary == "holds under all 2 variants run"
    r = robustness_summary(FAILS, (_o("box x2", "box", FAILS),), source="fake")
    assert r.summary == "fails under all 1 variants run" and r.verdict_of_record == FAILS


def test_variants_not_run_or_raising_decide_nothing_but_are_named():
    outcomes = (_o("sv_spread=2", "sv_spread", None), _o("box x2", "box", ERROR), _o("gap x2", "gap", HOLDS))
    r = robustness_summary(HOLDS, outcomes, source="fake")
    assert r.verdict_of_record == HOLDS
    assert "not run: sv_spread=2" in r.summary and "check raised under: box x2" in r.summary
    r = robustness_summary(HOLDS, (_o("sv_spread=2", "sv_spread", None),), source="fake")
    assert r.summary.startswith("not tested") and r.verdict_of_record == HOLDS


def test_no_variant_needs_a_reason():
    r = robustness_summary(HOLDS, (), source="fake", reason="pure theory")
    assert r.summary == "no variant applies: pure theory" and r.outcomes == ()


def test_every_claim_lists_a_variant_or_says_why_none_applies():
    variant_choices = {v.choice for v in VARIANTS + (REDUCTION_VARIANT,)}
    assert variant_choices == set(CHOICES), "every unstated choice has a variant"
    for claim, _ in all_checks():
        choices = CLAIM_CHOICES.get(claim.id)
        if choices == ():
            assert NO_VARIANT_REASON.get(claim.id), f"{claim.id}: no variant and no reason"
        else:
            assert choices is None or set(choices) <= set(CHOICES), claim.id
    assert set(CLAIM_CHOICES) <= {c.id for c, _ in all_checks()}, "a choice list for a claim that does not exist"


_CHANGED = {  # variant -> the spec fields it may change (everything else must stay)
    "sv_spread=2": {"sv_spread"}, "gap x2": {"gap"}, "box x2": {"box"}, "n x2": {"n_pos", "n_neg"},
    "k x2": {"k_pos", "k_neg"}, "seed+1": {"seed"}, "seed+2": {"seed"},
}


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_each_variant_changes_only_its_own_choice(variant):
    base = default_config(0)
    cfg = variant.apply(base)
    pairs = [(base.paper_spec, cfg.paper_spec), (base.small_paper_spec, cfg.small_paper_spec)]
    pairs += [(base.stable_spec(s[0]), cfg.stable_spec(s[0])) for s in base.stable_sets]
    for old, new in pairs:
        a, b = dataclasses.asdict(old), dataclasses.asdict(new)
        moved = {k for k in a if a[k] != b[k]}
        assert moved and moved <= _CHANGED[variant.name], (variant.name, moved)
    assert (cfg.paper_eta, cfg.paper_steps, cfg.stable_steps) == (base.paper_eta, base.paper_steps, base.stable_steps)


def _fake_entries():
    mk = lambda cid: Claim(id=cid, statement="s", reference="r", method="m", topic="grokking")  # noqa: E731
    return (LedgerEntry(mk("rem4.7"), finding(FAILS, "base fails", {})),
            LedgerEntry(mk("thm4.5-closed-form"), finding(HOLDS, "pure theory", {})))


def test_attach_reads_the_sweep_and_makes_a_flipping_verdict_conditional(tmp_path):
    cfg = default_config(0)
    for v in VARIANTS:
        verdict = HOLDS if v.choice == "sv_spread" else FAILS
        res = {"variant": v.name, "base_config": cfg.name, "base_seed": cfg.seed,
               "claims": {"rem4.7": {"verdict": verdict, "summary": f"under {v.name}", "conditions": None}}}
        (tmp_path / result_file_name(v.name)).write_text(json.dumps(res))
    other = {"variant": "box x2", "base_config": "quick", "base_seed": 0, "claims": {}}  # another configuration: ignored
    (tmp_path / "other.json").write_text(json.dumps(other))
    entries = attach(_fake_entries(), cfg, tmp_path)
    rem, closed = (e.finding for e in entries)
    assert rem.verdict == CONDITIONAL and "depends on sv_spread" in rem.conditions
    assert rem.robustness.base_verdict == FAILS
    assert [o.verdict for o in rem.robustness.outcomes if o.choice == "reduction"] == [None]  # no result: not run
    assert closed.verdict == HOLDS and closed.robustness.summary.startswith("no variant applies")
    ledger = Ledger(entries=entries, config={"name": "default", "seed": 0}, runs={}, seconds=0.0)
    row = ledger_to_dict(ledger)["claims"][0]["robustness"]
    assert row["verdict_of_record"] == CONDITIONAL and {v["variant"] for v in row["variants"]} >= {"sv_spread=2"}
    assert "| sv_spread=2 | sv_spread | holds |  |" in render_markdown(ledger)


def test_a_variant_whose_times_are_cut_off_is_flagged_censored(tmp_path):
    cfg = default_config(0)
    notes = {"seed+1": "T_te = 1e7 (censored: supremum only at the horizon)", "seed+2": "paper not settled by 1e7",
             "box x2": "T_te = 5e5"}
    for name, note in notes.items():
        res = {"variant": name, "base_config": cfg.name, "base_seed": cfg.seed,
               "claims": {"rem4.7": {"verdict": FAILS, "summary": note, "conditions": None}}}
        (tmp_path / result_file_name(name)).write_text(json.dumps(res))
    rem = attach(_fake_entries(), cfg, tmp_path)[0].finding
    flags = {o.variant: o.censored for o in rem.robustness.outcomes if o.verdict is not None}
    assert flags == {"seed+1": True, "seed+2": True, "box x2": False}


def test_committed_ledger_carries_each_claims_robustness():
    page = json.loads(PAGE.read_text())
    for c in page["claims"]:
        r = c["robustness"]
        assert r is not None, c["id"]
        assert r["variants"] or r["summary"].startswith("no variant applies"), c["id"]
        assert r["verdict_of_record"] == c["verdict"], c["id"]

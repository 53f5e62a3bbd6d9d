"""Robustness of the verdicts to the paper's unstated choices (lingrok.ledger.robustness, issue 14).

The summary is computed from the per-variant verdicts (a fake finding set that flips under one choice
reads "depends on" that choice and becomes holds-under-conditions); a combination's flip is charged to the
smallest group of its parts that flips alone, and a combination that undoes a part's flip is named; every
claim lists at least one variant or says why none applies; each variant changes only its own choices (a
combination exactly its parts' changes); the committed ledger carries a robustness record per claim.
"""

import dataclasses
import json
import string
from pathlib import Path

import pytest

from lingrok.ledger.claims_common import all_checks
from lingrok.ledger.config import default_config
from lingrok.ledger.context import VerifyContext
from lingrok.ledger.records import (CONDITIONAL, ERROR, FAILS, HOLDS, Claim, LedgerEntry, VariantOutcome, finding,
                                    flip_causes, ledger_to_dict, Ledger, render_markdown, robustness_summary)
from lingrok.ledger.robustness import (ALL_VARIANTS, CHOICES, CLAIM_CHOICES, COMBINATIONS, D1024_VARIANTS,
                                       NO_VARIANT_REASON, REDUCTION_VARIANT, VARIANTS, attach, claim_robustness, combine,
                                       result_file_name, variant_by_name)

PAGE = Path(__file__).resolve().parent.parent / "docs" / "ledger" / "ledger.json"


def _o(name, choice, verdict):
    return VariantOutcome(name, (choice,), verdict, f"summary under {name}")


def _c(parts, verdict):
    """Outcome of the combination of the one-choice outcomes ``parts`` (as built by _o)."""
    return VariantOutcome(" & ".join(p.variant for p in parts), tuple(c for p in parts for c in p.choices), verdict,
                          "summary under the combination", parts=tuple(p.variant for p in parts))


SV, BOX, SEED1, SEED2 = (_o("sv_spread=2", "sv_spread", None), _o("box x2", "box", None), _o("seed+1", "seed", None),
                         _o("seed+2", "seed", None))


def _with(o, verdict):
    return dataclasses.replace(o, verdict=verdict)


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


def test_a_combination_flip_is_charged_to_the_part_that_flips_alone():
    # sv_spread=2 flips alone, box x2 does not: "sv_spread=2 & box x2" depends on sv_spread, not on box
    outcomes = (_with(SV, HOLDS), _with(BOX, FAILS), _c((SV, BOX), HOLDS))
    assert flip_causes(FAILS, outcomes) == {"sv_spread=2": (frozenset({"sv_spread=2"}),),
                                            "sv_spread=2 & box x2": (frozenset({"sv_spread=2"}),)}
    r = robustness_summary(FAILS, outcomes, source="fake")
    assert r.depends_on == (("sv_spread",),)
    assert r.summary.startswith("depends on sv_spread:") and "box" not in r.summary.split(":")[0]
    assert "holds under sv_spread=2, sv_spread=2 & box x2" in r.conditions
    assert r.verdict_of_record == CONDITIONAL


def test_a_combination_whose_parts_both_flip_depends_on_both():
    outcomes = (_with(SV, HOLDS), _with(BOX, HOLDS), _c((SV, BOX), HOLDS))
    r = robustness_summary(FAILS, outcomes, source="fake")
    assert r.depends_on == (("sv_spread",), ("box",))
    assert flip_causes(FAILS, outcomes)["sv_spread=2 & box x2"] == (frozenset({"box x2"}), frozenset({"sv_spread=2"}))


@pytest.mark.parametrize("alone", [FAILS, None], ids=["parts-run-no-flip", "parts-not-run"])
def test_a_flip_no_part_explains_is_charged_to_the_group_jointly(alone):
    outcomes = (_with(SV, alone), _with(BOX, alone), _c((SV, BOX), HOLDS))
    r = robustness_summary(FAILS, outcomes, source="fake")
    assert r.depends_on == (("sv_spread", "box"),)
    assert r.summary.startswith("depends on sv_spread with box:")
    assert r.verdict_of_record == CONDITIONAL


def test_a_combination_that_gives_the_base_verdict_back_is_named_as_undoing_the_flip():
    # the flip under sv_spread=2 does not survive the redraw seed+1 but survives seed+2
    outcomes = (_with(SV, HOLDS), _with(SEED1, FAILS), _with(SEED2, FAILS), _c((SV, SEED1), FAILS), _c((SV, SEED2), HOLDS))
    r = robustness_summary(FAILS, outcomes, source="fake")
    assert r.depends_on == (("sv_spread",),)
    assert "sv_spread=2 & seed+1 gives fails again (seed+1 undoes sv_spread=2)" in r.conditions
    assert "seed+2 undoes" not in r.conditions
    assert "holds under sv_spread=2, sv_spread=2 & seed+2" in r.conditions


def test_flips_to_different_verdicts_are_listed_per_verdict():
    outcomes = (_with(SV, HOLDS), _with(BOX, FAILS), _c((SV, BOX), FAILS))
    r = robustness_summary(CONDITIONAL, outcomes, source="fake")
    assert r.depends_on == (("sv_spread",), ("box",))
    assert "holds under sv_spread=2; fails under box x2, sv_spread=2 & box x2" in r.conditions


def test_no_variant_needs_a_reason():
    r = robustness_summary(HOLDS, (), source="fake", reason="pure theory")
    assert r.summary == "no variant applies: pure theory" and r.outcomes == ()


def test_every_claim_lists_a_variant_or_says_why_none_applies():
    variant_choices = {c for v in VARIANTS + (REDUCTION_VARIANT,) for c in v.choices}
    assert variant_choices == set(CHOICES), "every unstated choice has a variant"
    for claim, _ in all_checks():
        choices = CLAIM_CHOICES.get(claim.id)
        if choices == ():
            assert NO_VARIANT_REASON.get(claim.id), f"{claim.id}: no variant and no reason"
        else:
            assert choices is None or set(choices) <= set(CHOICES), claim.id
    assert set(CLAIM_CHOICES) <= {c.id for c, _ in all_checks()}, "a choice list for a claim that does not exist"


_CHANGED = {  # choice -> the spec fields its variants may change (everything else must stay)
    "sv_spread": {"sv_spread"}, "gap": {"gap"}, "box": {"box"}, "n": {"n_pos", "n_neg"}, "k": {"k_pos", "k_neg"},
    "seed": {"seed"}, "reduction": set(),
}
_SETS = ("paper", "small-paper", "dim", "d1024") + tuple(s[0] for s in default_config(0).stable_sets)


def _moved(variant):
    """data-set key -> the spec fields ``variant`` changes there (sets it leaves alone are absent)."""
    base = VerifyContext(default_config(0))
    new = VerifyContext(base.config if variant.apply is None else variant.apply(base.config))
    out = {}
    for key in _SETS:
        a, b = dataclasses.asdict(base.spec(key)), dataclasses.asdict(new.spec(key))
        moved = {k for k in a if a[k] != b[k]}
        if moved:
            out[key] = moved
    return out


@pytest.mark.parametrize("variant", VARIANTS + (REDUCTION_VARIANT,) + D1024_VARIANTS, ids=lambda v: v.name)
def test_each_one_choice_variant_changes_only_its_own_choice(variant):
    (choice,) = variant.choices
    moved = _moved(variant)
    assert bool(moved) == (choice != "reduction"), (variant.name, moved)
    for key, fields in moved.items():
        assert fields <= _CHANGED[choice], (variant.name, key, fields)
    if variant.claims is not None:  # the d = 1024 variants: only the set their claims read
        assert set(moved) == {"d1024"}, (variant.name, moved)
    base = default_config(0)
    cfg = base if variant.apply is None else variant.apply(base)
    assert (cfg.paper_eta, cfg.paper_steps, cfg.stable_steps) == (base.paper_eta, base.paper_steps, base.stable_steps)


@pytest.mark.parametrize("variant", COMBINATIONS, ids=lambda v: v.name)
def test_a_combination_makes_exactly_its_parts_changes_and_names_every_choice(variant):
    parts = [variant_by_name(n) for n in variant.parts]
    assert len(parts) >= 2 and variant.choices == tuple(c for p in parts for c in p.choices)
    assert variant.name == " & ".join(variant.parts)
    expected = {}
    for p in parts:
        for key, fields in _moved(p).items():
            expected[key] = expected.get(key, set()) | fields
    assert _moved(variant) == expected


def test_combine_refuses_a_choice_twice_or_a_single_part():
    with pytest.raises(ValueError, match="different choices"):
        combine(variant_by_name("seed+1"), variant_by_name("seed+2"))
    with pytest.raises(ValueError, match="two or more"):
        combine(variant_by_name("box x2"))


def test_variant_names_and_file_names_are_unique():
    names = [v.name for v in ALL_VARIANTS]
    assert len(set(names)) == len(names)
    files = [result_file_name(n) for n in names]
    assert len(set(files)) == len(files) and all(set(f) <= set(string.ascii_letters + string.digits + "_-.") for f in files)


def test_a_claim_lists_only_the_variants_whose_choices_it_can_depend_on():
    # appA2-accuracy reads the box and the seed only: box x2 & seed+1 applies, sv_spread=2 & box x2 does not;
    # the d = 1024 variants apply to table1-dimension only
    names = {o.variant for o in claim_robustness("appA2-accuracy", HOLDS, {}, source="fake").outcomes}
    assert "box x2 & seed+1" in names and "sv_spread=2 & box x2" not in names and "sv_spread=2 on d1024" not in names
    names = {o.variant for o in claim_robustness("table1-dimension", CONDITIONAL, {}, source="fake").outcomes}
    assert {v.name for v in D1024_VARIANTS} <= names


def _fake_entries():
    mk = lambda cid: Claim(id=cid, statement="s", reference="r", method="m", topic="grokking")  # noqa: E731
    return (LedgerEntry(mk("rem4.7"), finding(FAILS, "base fails", {})),
            LedgerEntry(mk("thm4.5-closed-form"), finding(HOLDS, "pure theory", {})))


def test_attach_reads_the_sweep_and_makes_a_flipping_verdict_conditional(tmp_path):
    cfg = default_config(0)
    for v in ALL_VARIANTS:
        verdict = HOLDS if "sv_spread" in v.choices else FAILS
        res = {"variant": v.name, "base_config": cfg.name, "base_seed": cfg.seed,
               "claims": {"rem4.7": {"verdict": verdict, "summary": f"under {v.name}", "conditions": None}}}
        (tmp_path / result_file_name(v.name)).write_text(json.dumps(res))
    other = {"variant": "box x2", "base_config": "quick", "base_seed": 0, "claims": {}}  # another configuration: ignored
    (tmp_path / "other.json").write_text(json.dumps(other))
    entries = attach(_fake_entries(), cfg, tmp_path)
    rem, closed = (e.finding for e in entries)
    assert rem.verdict == CONDITIONAL and rem.conditions.startswith("depends on sv_spread:")
    assert rem.robustness.depends_on == (("sv_spread",),)  # not seed, box or reduction: they flip only with sv_spread
    assert rem.robustness.base_verdict == FAILS
    assert "d1024" not in " ".join(o.variant for o in rem.robustness.outcomes)  # table1-dimension's variants only
    assert closed.verdict == HOLDS and closed.robustness.summary.startswith("no variant applies")
    ledger = Ledger(entries=entries, config={"name": "default", "seed": 0}, runs={}, seconds=0.0)
    row = ledger_to_dict(ledger)["claims"][0]["robustness"]
    assert row["verdict_of_record"] == CONDITIONAL and {v["variant"] for v in row["variants"]} >= {"sv_spread=2"}
    assert row["depends_on"] == [["sv_spread"]]
    combo = next(v for v in row["variants"] if v["variant"] == "sv_spread=2 & seed+1")
    assert combo["choices"] == ["sv_spread", "seed"] and combo["parts"] == ["sv_spread=2", "seed+1"]
    page = render_markdown(ledger)
    assert "| sv_spread=2 | sv_spread | holds |  |" in page
    assert "| sv_spread=2 & seed+1 | sv_spread, seed | holds |  |" in page


def test_a_variant_without_a_result_is_not_run(tmp_path):
    rem = attach(_fake_entries(), default_config(0), tmp_path)[0].finding
    assert all(o.verdict is None for o in rem.robustness.outcomes)
    assert rem.verdict == FAILS and rem.robustness.summary.startswith("not tested")


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

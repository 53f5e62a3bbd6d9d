"""Robustness of the verdicts to the paper's unstated choices (lingrok.ledger.robustness, issue 14).

The summary is computed from the per-variant verdicts (a fake finding set that flips under one choice
reads "depends on" that choice and becomes holds-under-conditions); a combination's flip is charged to the
smallest group of its parts that flips alone, and a combination that undoes a part's flip is named; every
claim lists at least one variant or says why none applies; each variant changes only its own choices (a
combination exactly its parts' changes); the committed ledger carries a robustness record per claim.
Three-choice combinations are charged by the same smallest-group rule; the redraw flip rate (k of m seed
redraws, exact Clopper-Pearson interval) matches the Beta distribution's closed forms at its ends; the d = 1024
set's gap and k fields at their defaults build the spec the ledger built before they existed. The flip rate of
another construction C (its two-part redraws C & seed+j) counts the redraws that leave C's own verdict and, apart,
those that give the default's base verdict, each with its interval; the committed ledger's counts match its variants.
"""

import dataclasses
import json
import string
from pathlib import Path

import pytest

from checks.tolerances import ROBUSTNESS_BETA_PPF_RTOL, ZERO_REF_ATOL, scaled_error
from lingrok.ledger.claims_common import all_checks
from lingrok.ledger.config import default_config, quick_config
from lingrok.ledger.context import VerifyContext
from lingrok.ledger.records import (CONDITIONAL, ERROR, FAILS, HOLDS, Claim, LedgerEntry, VariantOutcome, _robustness_dict,
                                    clopper_pearson, construction_flip_rates, finding, flip_causes, ledger_to_dict, Ledger, redraw_flip_rate,
                                    render_markdown, robustness_summary)
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
        redraws = [v for v in r["variants"] if v["choices"] == ["seed"] and not v["parts"] and v["verdict"] not in (None, ERROR)]
        flips = r["redraw_flips"]
        if not redraws:
            assert flips is None, c["id"]
            continue
        assert (flips["m"], flips["k"]) == (len(redraws), sum(v["verdict"] != r["base_verdict"] for v in redraws)), c["id"]
        assert [flips["low"], flips["high"]] == list(clopper_pearson(flips["k"], flips["m"])), c["id"]
        assert f"verdict flips under {flips['k']} of {flips['m']} seed redraws" in r["summary"], c["id"]


def test_committed_ledger_estimates_the_flip_rate_over_eight_redraws():
    page = json.loads(PAGE.read_text())
    rates = {c["id"]: c["robustness"]["redraw_flips"] for c in page["claims"]}
    assert rates["thm4.5-closed-form"] is None  # no data set, no variant
    assert all(r["m"] == 8 for cid, r in rates.items() if cid != "thm4.5-closed-form")


# ---------------------------------------------------------------- three-choice combinations, redraw flip rate


def test_a_three_choice_combination_is_charged_to_the_part_that_flips_alone():
    outcomes = (_with(SV, HOLDS), _with(BOX, FAILS), _with(SEED1, FAILS), _c((SV, BOX), HOLDS), _c((SV, BOX, SEED1), HOLDS))
    causes = flip_causes(FAILS, outcomes)
    assert causes["sv_spread=2 & box x2 & seed+1"] == (frozenset({"sv_spread=2"}),)
    r = robustness_summary(FAILS, outcomes, source="fake")
    assert r.depends_on == (("sv_spread",),)


def test_a_three_choice_combination_is_charged_to_the_smallest_flipping_pair():
    # no part flips alone, the pair sv_spread=2 & box x2 does: the triple is charged to that pair jointly
    outcomes = (_with(SV, FAILS), _with(BOX, FAILS), _with(SEED1, FAILS), _c((SV, BOX), HOLDS), _c((SV, SEED1), FAILS),
                _c((SV, BOX, SEED1), HOLDS))
    assert flip_causes(FAILS, outcomes)["sv_spread=2 & box x2 & seed+1"] == (frozenset({"sv_spread=2", "box x2"}),)
    r = robustness_summary(FAILS, outcomes, source="fake")
    assert r.depends_on == (("sv_spread", "box"),)
    assert r.summary.startswith("depends on sv_spread with box:")


def test_a_three_choice_flip_nothing_smaller_explains_is_charged_to_all_three_jointly():
    outcomes = (_with(SV, FAILS), _with(BOX, FAILS), _with(SEED1, FAILS), _c((SV, BOX), FAILS), _c((SV, BOX, SEED1), HOLDS))
    r = robustness_summary(FAILS, outcomes, source="fake")
    assert r.depends_on == (("sv_spread", "box", "seed"),)
    assert r.summary.startswith("depends on sv_spread with box with seed:")


def test_a_three_choice_combination_that_gives_the_base_back_undoes_the_pairs_flip():
    outcomes = (_with(SV, HOLDS), _with(BOX, FAILS), _with(SEED2, FAILS), _c((SV, BOX), HOLDS), _c((SV, BOX, SEED2), FAILS))
    r = robustness_summary(FAILS, outcomes, source="fake")
    assert "sv_spread=2 & box x2 & seed+2 gives fails again (box x2, seed+2 undoes sv_spread=2)" in r.conditions
    assert "sv_spread=2 & box x2 & seed+2 gives fails again (seed+2 undoes sv_spread=2 & box x2)" in r.conditions


@pytest.mark.parametrize("m", [1, 2, 5, 8, 20])
def test_clopper_pearson_matches_its_closed_forms_at_the_ends(m):
    # Beta(1, m) and Beta(m, 1) have CDFs 1 - (1 - x)^m and x^m: the interval's ends at k = 0, 1, m - 1, m in closed form
    tail = 0.025
    lo, hi = clopper_pearson(0, m)
    assert lo == 0.0 and scaled_error(hi, 1 - tail ** (1 / m), rtol=ROBUSTNESS_BETA_PPF_RTOL) <= 1
    lo, hi = clopper_pearson(m, m)
    assert hi == 1.0 and scaled_error(lo, tail ** (1 / m), rtol=ROBUSTNESS_BETA_PPF_RTOL) <= 1
    lo, _ = clopper_pearson(1, m)
    assert scaled_error(lo, 1 - (1 - tail) ** (1 / m), rtol=ROBUSTNESS_BETA_PPF_RTOL) <= 1
    _, hi = clopper_pearson(m - 1, m)
    assert scaled_error(hi, (1 - tail) ** (1 / m), rtol=ROBUSTNESS_BETA_PPF_RTOL) <= 1


def test_clopper_pearson_known_values_and_symmetry():
    # k = 0 of m = 8: the upper end 1 - 0.025^(1/8) = 0.3694 (the "rule of three"-like bound for 8 draws)
    assert scaled_error(clopper_pearson(0, 8)[1], 0.36941664755281933, rtol=ROBUSTNESS_BETA_PPF_RTOL) <= 1
    # 1 of 8: [0.0032, 0.5265] (standard tables); k and m - k mirror each other
    lo, hi = clopper_pearson(1, 8)
    assert scaled_error([lo, hi], [0.0031597235312519, 0.5265096708752065], rtol=ROBUSTNESS_BETA_PPF_RTOL) <= 1
    for k in range(9):
        lo, hi = clopper_pearson(k, 8)
        mlo, mhi = clopper_pearson(8 - k, 8)
        assert scaled_error([lo, hi], [1 - mhi, 1 - mlo], rtol=ROBUSTNESS_BETA_PPF_RTOL, atol=ZERO_REF_ATOL) <= 1
        assert lo <= k / 8 <= hi


@pytest.mark.parametrize("k, m, level", [(-1, 8, 0.95), (9, 8, 0.95), (0, 0, 0.95), (1, 8, 1.0)])
def test_clopper_pearson_rejects_impossible_counts(k, m, level):
    with pytest.raises(ValueError, match="`k` and `m`|`level`"):
        clopper_pearson(k, m, level)


def test_the_redraw_flip_rate_counts_one_choice_seed_variants_only():
    seeds = tuple(_o(f"seed+{j}", "seed", HOLDS if j in (3, 5) else FAILS) for j in range(1, 9))
    others = (_o("seed+9", "seed", None), _o("seed+10", "seed", ERROR), _with(SV, HOLDS), _c((SV, SEED1), HOLDS))
    rate = redraw_flip_rate(FAILS, seeds + others)
    assert (rate.k, rate.m) == (2, 8) and rate.variants == tuple(f"seed+{j}" for j in range(1, 9))
    assert (rate.low, rate.high) == clopper_pearson(2, 8)
    r = robustness_summary(FAILS, seeds + others, source="fake")
    assert r.redraw_flips == rate
    assert "verdict flips under 2 of 8 seed redraws (flip rate 0.25, 95% Clopper-Pearson interval [0.032, 0.651]" in r.summary
    assert redraw_flip_rate(FAILS, (_with(SV, HOLDS),)) is None
    r = robustness_summary(FAILS, (_with(SV, FAILS),), source="fake")
    assert r.redraw_flips is None and r.summary == "fails under all 1 variants run"


def test_a_claim_that_never_flips_under_redraws_reports_zero_of_m():
    seeds = tuple(_o(f"seed+{j}", "seed", HOLDS) for j in range(1, 9))
    r = robustness_summary(HOLDS, seeds, source="fake")
    assert r.summary.startswith("holds under all 8 variants run; verdict flips under 0 of 8 seed redraws")
    assert r.redraw_flips.high == clopper_pearson(0, 8)[1]
    row = _robustness_dict(r)["redraw_flips"]
    assert (row["k"], row["m"], row["low"]) == (0, 8, 0.0)


def test_the_d1024_fields_at_their_defaults_leave_the_default_configuration_unchanged():
    from numerics.datasets import PlantedSpec

    cfg = default_config(0)
    assert (cfg.d1024_gap, cfg.d1024_k) == (0.0, None)
    # the spec the ledger built before the fields existed (k = round(0.35 n / 2) hard-wired, gap PlantedSpec's 0)
    assert VerifyContext(cfg).spec("d1024") == PlantedSpec(d=1024, n_pos=1000, n_neg=1000, k_pos=350, k_neg=350,
                                                           gamma=1e-3, box=5.0, sv_spread=None, seed=7)
    quick = quick_config(0)
    assert VerifyContext(quick).spec("d1024") == PlantedSpec(d=1024, n_pos=200, n_neg=200, k_pos=70, k_neg=70,
                                                             gamma=1e-3, box=5.0, sv_spread=None, seed=7)
    explicit = dataclasses.replace(cfg, d1024_gap=0.0, d1024_k=350)
    assert VerifyContext(explicit).spec("d1024") == VerifyContext(cfg).spec("d1024")


def test_the_d1024_n_and_k_variants_keep_the_other_count():
    base = VerifyContext(default_config(0)).spec("d1024")
    n2 = VerifyContext(variant_by_name("n x2 on d1024").apply(default_config(0))).spec("d1024")
    k2 = VerifyContext(variant_by_name("k x2 on d1024").apply(default_config(0))).spec("d1024")
    assert (n2.n_pos, n2.n_neg, n2.k_pos, n2.k_neg) == (2 * base.n_pos, 2 * base.n_neg, base.k_pos, base.k_neg)
    assert (k2.n_pos, k2.n_neg, k2.k_pos, k2.k_neg) == (base.n_pos, base.n_neg, 2 * base.k_pos, 2 * base.k_neg)


def test_the_new_variants_are_listed():
    names = {v.name for v in ALL_VARIANTS}
    assert {f"seed+{j}" for j in range(1, 9)} <= names
    assert {"gap x2 on d1024", "n x2 on d1024", "k x2 on d1024", "box x2 & seed+2", "box x2 & mean loss, eta x N",
            "sv_spread=2 & box x2 & seed+1", "sv_spread=2 & box x2 & seed+2",
            "sv_spread=2 & seed+1 & mean loss, eta x N"} <= names


# ---------------------------------------------------------------- flip rate of the sv_spread=2 and box x2 constructions

MEAN = _o("mean loss, eta x N", "reduction", None)
SEEDS = tuple(_o(f"seed+{j}", "seed", None) for j in range(1, 10))


def _redraws_of(construction, verdicts):
    """C & seed+1 ... C & seed+len(verdicts), with those verdicts."""
    return tuple(_c((construction, SEEDS[j]), v) for j, v in enumerate(verdicts))


def _construction_outcomes():
    # base fails; sv_spread=2 holds on the base draw, its redraws: fails at seed+2, +5, conditional at +7, else holds;
    # box x2 fails like the base on every draw
    sv = _redraws_of(SV, [HOLDS, FAILS, HOLDS, HOLDS, FAILS, HOLDS, CONDITIONAL, HOLDS])
    box = _redraws_of(BOX, [FAILS] * 8)
    ignored = (tuple(_with(o, FAILS) for o in SEEDS[:8])  # one-choice redraws of the default construction
               + (_c((SV, BOX), HOLDS), _c((SV, BOX, SEED1), FAILS), _c((SV, SEED1, MEAN), FAILS))  # no / three-part redraws
               + (_c((SV, SEEDS[8]), None), _c((BOX, SEEDS[8]), ERROR))  # not run, raised
               + (_o("gap x2", "gap", None), _c((_o("gap x2", "gap", None), SEED1), HOLDS)))  # no own verdict
    return (_with(SV, HOLDS), _with(BOX, FAILS)) + sv + box + ignored


def test_the_construction_flip_rate_counts_redraws_leaving_its_own_verdict_and_giving_the_base_one():
    sv, box = construction_flip_rates(FAILS, _construction_outcomes())
    assert (sv.construction, sv.own_verdict, sv.base_verdict) == ("sv_spread=2", HOLDS, FAILS)
    assert sv.differ.variants == sv.give_base.variants == tuple(f"sv_spread=2 & seed+{j}" for j in range(1, 9))
    # 3 of 8 leave holds (two fails, one conditional), 2 of 8 give the base's fails: not m - k when a third verdict occurs
    assert (sv.differ.k, sv.differ.m, sv.give_base.k, sv.give_base.m) == (3, 8, 2, 8)
    assert (sv.differ.low, sv.differ.high) == clopper_pearson(3, 8)
    assert (sv.give_base.low, sv.give_base.high) == clopper_pearson(2, 8)
    assert (box.construction, box.own_verdict, box.differ.k, box.differ.m, box.give_base.k) == ("box x2", FAILS, 0, 8, 8)
    # k = 0 and k = m of 8: the interval's ends in closed form, 1 - 0.025^(1/8) and 0.025^(1/8)
    assert box.differ.low == 0.0 and scaled_error(box.differ.high, 1 - 0.025 ** (1 / 8), rtol=ROBUSTNESS_BETA_PPF_RTOL) <= 1
    assert box.give_base.high == 1.0
    assert scaled_error(box.give_base.low, 0.025 ** (1 / 8), rtol=ROBUSTNESS_BETA_PPF_RTOL) <= 1


def test_the_construction_flip_rate_is_reported_not_used_for_the_verdict_of_record():
    outcomes = _construction_outcomes()
    r = robustness_summary(FAILS, outcomes, source="fake")
    assert r.construction_flips == construction_flip_rates(FAILS, outcomes)
    assert r.redraw_flips.k == 0 and r.redraw_flips.m == 8  # the default construction's redraws are unchanged
    assert ("under sv_spread=2 (its own verdict holds) 3 of 8 redraws give another verdict (rate 0.38, 95% "
            "Clopper-Pearson [0.085, 0.755]) and 2 of 8 give the base verdict fails ([0.032, 0.651])") in r.summary
    assert "under box x2 (its own verdict fails) 0 of 8 redraws give another verdict (rate 0.00" in r.summary
    # the flips themselves are charged by rules 1-6 as before (gap x2 & seed+1, gap x2 not run: gap with seed jointly)
    assert r.depends_on == (("sv_spread",), ("gap", "seed"))
    rows = _robustness_dict(r)["construction_flips"]
    assert [(c["construction"], c["own_verdict"], c["differ"]["k"], c["give_base"]["k"], c["differ"]["m"]) for c in rows] == [
        ("sv_spread=2", HOLDS, 3, 2, 8), ("box x2", FAILS, 0, 8, 8)]
    assert rows[0]["variants"] == [f"sv_spread=2 & seed+{j}" for j in range(1, 9)]


def test_no_construction_flip_rate_without_redraws_or_own_verdict():
    assert construction_flip_rates(FAILS, (_with(SV, HOLDS), _c((SV, BOX), HOLDS), _c((SV, BOX, SEED1), HOLDS))) == ()
    assert construction_flip_rates(FAILS, (_with(SV, ERROR), _c((SV, SEED1), HOLDS))) == ()
    assert construction_flip_rates(FAILS, (_with(SV, HOLDS), _c((SV, SEED1), None))) == ()
    r = robustness_summary(FAILS, (_with(SV, FAILS),), source="fake")
    assert r.construction_flips == () and _robustness_dict(r)["construction_flips"] == []


def test_the_construction_redraws_are_listed():
    names = {v.name for v in ALL_VARIANTS}
    assert {f"{c} & seed+{j}" for c in ("sv_spread=2", "box x2") for j in range(1, 9)} <= names
    assert {"gap x2 & sv_spread=2", "n x2 & sv_spread=2", "k x2 & sv_spread=2"} <= names


def test_committed_ledger_construction_flip_counts_match_its_variants():
    page = json.loads(PAGE.read_text())
    for c in page["claims"]:
        r = c["robustness"]
        verdicts = {v["variant"]: v["verdict"] for v in r["variants"]}
        for row in r.get("construction_flips", []):
            own = verdicts[row["construction"]]
            draws = [verdicts[n] for n in row["variants"]]
            assert row["own_verdict"] == own and row["base_verdict"] == r["base_verdict"], c["id"]
            assert row["variants"] == [v["variant"] for v in r["variants"] if len(v["parts"]) == 2
                                       and v["parts"][0] == row["construction"] and v["parts"][1].startswith("seed+")
                                       and v["verdict"] not in (None, ERROR)], c["id"]
            assert (row["differ"]["k"], row["differ"]["m"]) == (sum(v != own for v in draws), len(draws)), c["id"]
            assert row["give_base"]["k"] == sum(v == r["base_verdict"] for v in draws), c["id"]
            assert [row["differ"]["low"], row["differ"]["high"]] == list(clopper_pearson(row["differ"]["k"], len(draws)))

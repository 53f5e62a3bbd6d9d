"""The committed ledger page (docs/ledger, written by `lingrok verify --out docs/ledger`) is not stale.

Reruns the default ledger (about a minute on two cores) and compares, claim by claim, what a
reader relies on: the claim ids in order, the statements, the configuration, each verdict, and
every evidence entry (its name, how it was obtained, its tolerance and nature exactly; a measured value
to LEDGER_EVIDENCE_RTOL, because runs past float64's precision horizon keep only 3-5 digits on another
CPU; a rounding-level value, zero in exact arithmetic, by its floor). Summaries repeat the evidence
rounded for reading and carry wall times, so they are not compared.
"""

import json
import math
from pathlib import Path

from lingrok.ledger.records import ledger_to_dict
from lingrok.commands.verify import build_ledger
from lingrok.ledger.config import default_config

from checks.tolerances import LEDGER_EVIDENCE_RTOL

PAGE = Path(__file__).resolve().parent.parent / "docs" / "ledger" / "ledger.json"
FIX = "regenerate it with `lingrok verify --out docs/ledger` and commit docs/ledger"


def test_committed_ledger_matches_a_fresh_default_run():
    committed = json.loads(PAGE.read_text())
    ledger, _ = build_ledger(default_config(committed["config"]["seed"]))
    fresh = json.loads(json.dumps(ledger_to_dict(ledger)))
    assert fresh["config"] == committed["config"], f"the default configuration changed; {FIX}"
    assert [c["id"] for c in fresh["claims"]] == [c["id"] for c in committed["claims"]], f"claims differ; {FIX}"
    for new, old in zip(fresh["claims"], committed["claims"]):
        assert new["statement"] == old["statement"], f"{new['id']}: statement changed; {FIX}"
        assert new["verdict"] == old["verdict"], f"{new['id']}: verdict {old['verdict']} -> {new['verdict']}; {FIX}"
        assert list(new["evidence"]) == list(old["evidence"]), f"{new['id']}: evidence entries changed; {FIX}"
        for name, entry in new["evidence"].items():
            was = old["evidence"][name]
            where = f"{new['id']}: evidence {name!r}"
            assert (entry["how"], entry["tolerance"], entry["nature"]) == (was["how"], was["tolerance"], was["nature"]), \
                f"{where} changed; {FIX}"
            assert _same_evidence(entry["value"], was["value"], entry["nature"], entry["tolerance"]), \
                f"{where}: {was['value']} -> {entry['value']}; {FIX}"


def _same_evidence(new, old, nature: str, floor) -> bool:
    """A rounding-level value (zero in exact arithmetic) is the same while both sit at or below its floor,
    the tolerance under which the claim counts it as zero: below the floor it is noise that another CPU's
    summation order, FMA or libm moves freely (a relative comparison there would test one machine's
    last bits). Above the floor, and for measured values, :func:`_close`."""
    if nature == "rounding" and _is_number(new) and _is_number(old) and abs(new) <= floor and abs(old) <= floor:
        return True
    return _close(new, old)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _close(new, old) -> bool:
    """Equal, numbers to LEDGER_EVIDENCE_RTOL (recursively in lists); NaN equals NaN."""
    if isinstance(new, list) and isinstance(old, list):
        return len(new) == len(old) and all(_close(a, b) for a, b in zip(new, old))
    if not (_is_number(new) and _is_number(old)):
        return type(new) is type(old) and new == old
    if math.isnan(new) or math.isnan(old):
        return math.isnan(new) and math.isnan(old)
    return math.isclose(new, old, rel_tol=LEDGER_EVIDENCE_RTOL, abs_tol=0.0)


def test_evidence_comparison_tells_a_moved_number():
    assert _close([1.0, float("nan"), "x", True], [1.0 + 1e-9, float("nan"), "x", True])
    assert not _close(1.0, 1.0 + 10 * LEDGER_EVIDENCE_RTOL)
    assert not _close([1, 2], [1, 2, 3]) and not _close(True, 1) and not _close(0.0, 1e-300)


def test_rounding_level_evidence_is_compared_by_its_floor():
    """The case that failed on another CPU: a Theorem 4.3 gap of 1.9e-13 against a committed 4.6e-13,
    both far below the 1e-9 floor, is the same evidence; a gap that rises above the floor is not, and
    measured evidence is never excused by a floor."""
    assert _same_evidence(1.9e-13, 4.6e-13, "rounding", 1e-9)
    assert _same_evidence(0.0, 1e-15, "rounding", 1e-15)
    assert not _same_evidence(2e-9, 4.6e-13, "rounding", 1e-9)
    assert not _same_evidence(1.9e-13, 4.6e-13, "measured", 1e-9)

"""Ledger mechanics (lingrok.ledger.records): records, verdict vocabulary, combination rules, rendering."""

import json
import math

import numpy as np
import pytest

from lingrok.ledger.records import (
    CONDITIONAL,
    ERROR,
    FAILS,
    HOLDS,
    VERDICTS,
    Claim,
    Ledger,
    LedgerEntry,
    all_verdict,
    error_finding,
    ev,
    finding,
    json_safe,
    ledger_to_dict,
    regime_verdict,
    render_markdown,
    render_table,
    scaled_error,
)


def _claim(i="c1", kind="paper"):
    return Claim(id=i, statement=f"statement {i}", reference="eq. (11)", method="compare", topic="bias", kind=kind)


def _ledger():
    e1 = LedgerEntry(_claim("thm4.5"), finding(HOLDS, "agrees to 1e-12", {
        "max error": ev(np.float64(1e-12), "DOP853 vs closed form", "gd:S35-20", 1e-9),
        "flags": ev(np.array([True, False]), "two sub-checks"),
    }))
    e2 = LedgerEntry(_claim("table1|x", "corrected"), finding(CONDITIONAL, "holds in the stable regime only | pipe",
                                                             {"zeta": ev(math.inf, "ratio")}, "stable regime"))
    e3 = LedgerEntry(_claim("broken"), error_finding(RuntimeError("boom\nsecond line")))
    runs = {"gd:S35-20": {"eta": 0.001, "steps": 10}}
    return Ledger(entries=(e1, e2, e3), config={"name": "test", "seed": 3}, runs=runs, seconds=1.5)


def test_verdict_vocabulary_is_closed():
    assert VERDICTS == ("holds", "fails", "holds-under-conditions", "error")
    with pytest.raises(ValueError, match="`verdict` must be one of"):
        finding("mostly holds", "x", {})


def test_conditional_verdict_needs_conditions():
    with pytest.raises(ValueError, match="`conditions` must say where"):
        finding(CONDITIONAL, "x", {})
    assert finding(CONDITIONAL, "x", {}, "small eta").conditions == "small eta"


def test_evidence_is_read_only_and_plain():
    f = finding(HOLDS, "x", {"a": ev(np.int64(3), "count", tolerance=np.float32(0.5))})
    assert type(f.evidence["a"].value) is int and type(f.evidence["a"].tolerance) is float
    with pytest.raises(TypeError):
        f.evidence["b"] = ev(1, "y")


@pytest.mark.parametrize(
    "stable, paper, verdict",
    [(True, True, HOLDS), (True, None, HOLDS), (True, False, CONDITIONAL), (False, True, FAILS), (False, False, FAILS)],
)
def test_regime_verdict_truth_table(stable, paper, verdict):
    v, cond = regime_verdict(stable, paper, stable_regime="A", paper_regime="B")
    assert v == verdict
    assert (cond is not None) == (verdict == CONDITIONAL)
    if cond:
        assert "A" in cond and "B" in cond


def test_all_verdict():
    assert all_verdict([True, np.bool_(True)]) == HOLDS
    assert all_verdict([True, False]) == FAILS


def test_scaled_error():
    assert scaled_error(1.1, 1.0, rtol=0.1) == pytest.approx(1.0)  # tolerance-literal-ok: inputs of scaled_error under test
    assert scaled_error([0.0, 2.0], [0.0, 1.0], rtol=0.5, atol=1e-3) == pytest.approx(1.0 / 0.501)  # tolerance-literal-ok: inputs


def test_error_finding_keeps_one_line():
    f = error_finding(ValueError("bad\nmore"), seconds=2.0)
    assert f.verdict == ERROR and f.error == "ValueError: bad" and f.seconds == 2.0


def test_json_safe_handles_non_finite_and_numpy():
    out = json_safe({"a": np.float64(np.inf), "b": [np.nan, -np.inf, np.int32(2)], "c": (1, "x"), 4: None})
    assert out == {"a": "inf", "b": ["nan", "-inf", 2], "c": [1, "x"], "4": None}
    json.dumps(out, allow_nan=False)


def test_ledger_json_roundtrip():
    d = ledger_to_dict(_ledger())
    text = json.dumps(d, allow_nan=False)
    back = json.loads(text)
    assert [c["id"] for c in back["claims"]] == ["thm4.5", "table1|x", "broken"]
    c0 = back["claims"][0]
    for key in ("id", "statement", "reference", "method", "verdict", "evidence", "summary", "conditions"):
        assert key in c0
    assert c0["evidence"]["max error"] == {"value": 1e-12, "how": "DOP853 vs closed form", "source": "gd:S35-20", "tolerance": 1e-9,
                                           "nature": "measured"}
    assert back["claims"][1]["evidence"]["zeta"]["value"] == "inf"
    assert back["claims"][2]["verdict"] == "error" and back["claims"][2]["error"].startswith("RuntimeError")
    assert back["verdict_counts"] == {"holds": 1, "fails": 0, "holds-under-conditions": 1, "error": 1}
    assert back["runs"]["gd:S35-20"]["eta"] == 0.001
    assert _ledger().n_errors == 1
    assert _ledger().verdicts()["thm4.5"] == HOLDS


def test_table_lists_every_claim_with_its_verdict():
    text = render_table(_ledger(), width=80)
    lines = text.splitlines()
    for cid, verdict in (("thm4.5", HOLDS), ("table1|x", CONDITIONAL), ("broken", ERROR)):
        assert any(line.startswith(cid) and verdict in line for line in lines)
    assert "3 claims: 1 holds, 0 fails, 1 holds-under-conditions, 1 error" in lines[-1]
    assert all(len(line) <= 80 + 20 for line in lines)  # wrapped (a single long word may overflow)


def test_markdown_has_statement_evidence_provenance_and_escapes_pipes():
    md = render_markdown(_ledger(), figures={"caption": "fig.png"})
    assert "## thm4.5" in md and "**Statement.** statement thm4.5" in md and "**Reference.** eq. (11)" in md
    assert "| max error | 1e-12 | DOP853 vs closed form | gd:S35-20 | 1e-09 |" in md
    assert "**Conditions.** stable regime" in md
    assert "holds in the stable regime only \\| pipe" in md
    assert "![caption](fig.png)" in md
    assert "| gd:S35-20 | eta = 0.001; steps = 10 |" in md
    assert "**Error.** `RuntimeError: boom`" in md

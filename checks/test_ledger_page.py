"""The committed ledger page (docs/ledger, written by `lingrok verify --out docs/ledger`) is not stale.

Reruns the default ledger (about a minute on two cores) and compares, claim by claim, what a
reader relies on: the claim ids in order, the statements, the configuration, and each verdict.
Summaries and evidence carry wall times and last-digit numbers that may move between machines,
so they are not compared; a verdict that changes is exactly what a reader must not miss.
"""

import json
from pathlib import Path

from lingrok.ledger import ledger_to_dict
from lingrok.verify_cmd import build_ledger
from lingrok.verify_config import default_config

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

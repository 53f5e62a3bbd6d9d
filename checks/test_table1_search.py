"""scripts/table1_search.py (issue 14): the distance, the grid, and the committed page rendered from its results.json.

Cheap (no GD): the distance on hand-computed cases, the grid's size and keys, and that
docs/reproduction/table1-search/README.md is exactly what the script renders from the committed
results.json, whose headline numbers are recomputed from the stored per-reading scores.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest
from checks.tolerances import T1S_BOUND_SLACK, T1S_SCORE_SLACK, T1S_STORED_ROUNDING_ATOL

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "reproduction" / "table1-search"


@pytest.fixture(scope="module")
def ts():
    spec = importlib.util.spec_from_file_location("table1_search", ROOT / "scripts" / "table1_search.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_printed_values_parse(ts):
    assert ts.parse_printed("5e5") == ("=", 5e5)
    assert ts.parse_printed("~1e6") == ("=", 1e6)
    assert ts.parse_printed("<= 10") == ("<=", 10.0)
    assert ts.parse_printed(">= 1.75e4") == (">=", 1.75e4)
    rows = ts.printed_rows()
    assert [(r["test"], r["eps0"]) for r in rows] == [("standard", 0.0), ("concentrated", 0.0),
                                                     ("concentrated", 0.001)]


def test_entry_distance(ts):
    d = ts.entry_distance
    assert d(5e5, 5e5, ("=", 5e5)) == 0.0
    assert d(5e3, 5e3, ("=", 5e5)) == pytest.approx(2.0)
    assert d(5e7, 5e7, ("=", 5e5)) == pytest.approx(2.0)
    assert d(1e4, math.inf, ("=", 5e5)) == 0.0  # censored: the printed value lies in [T, inf)
    assert d(1e6, math.inf, ("=", 5e5)) == pytest.approx(math.log10(2))
    assert d(3, 3, ("<=", 10)) == 0.0 and d(1000, 1000, ("<=", 10)) == pytest.approx(2.0)
    assert d(1e5, 1e5, (">=", 1e4)) == 0.0 and d(10, 10, (">=", 1e4)) == pytest.approx(3.0)
    assert d(math.inf, math.inf, ("=", 5e5)) == math.inf and d(math.inf, math.inf, ("<=", 10)) == math.inf
    with pytest.raises(ValueError):
        d(0.0, 1.0, ("=", 1.0))


def test_score_and_structural_bound(ts):
    printed = ts.printed_rows()
    row = dict(T_tr=1000, T_tr_lower=891, T_tr_censored=False, T_te=10**6, T_te_lower=891251, T_te_censored=False)
    s = ts.score([dict(row) for _ in printed], printed)
    assert s["D"] == max(s["entries"].values()) and s["D_lower"] <= s["D"] + T1S_SCORE_SLACK
    assert s["entries"]["0:T_tr"] == pytest.approx(math.log10(5e5 / 1000))
    assert s["entries"]["2:T_tr"] == pytest.approx(2.0)  # 1000 against '<= 10'
    # one T_tr for both eps0 = 0 rows: no value gets both within the structural bound
    for T in (4e2, 1.4e4, 5e5):
        r = dict(row, T_tr=int(T))
        s = ts.score([dict(r) for _ in printed], printed)
        assert max(s["entries"]["0:T_tr"], s["entries"]["1:T_tr"]) >= ts.STRUCTURAL_BOUND - T1S_BOUND_SLACK


def test_grid(ts):
    data = ts.data_readings()
    assert len(data) == 2 * 3 * 3 * 3 + 2 * 3 * 3 == len({r["key"] for r in data})
    assert ts.literal_reading(ts.SCREEN_STEPS)["key"] in {r["key"] for r in data}
    m = ts.measurement_readings()
    assert len(m) == len(ts.READS) * len(ts.EPS_READINGS) * len(ts.REFS) * len(ts.ALPHAS) * len(ts.N_TESTS)
    assert len({ts.mkey(x) for x in m}) == len(m)
    allt, log, hundred = ts.checkpoints(10**5)
    assert set(log) <= set(allt) and set(hundred) <= set(allt)
    assert all(t % 100 == 0 for t in hundred) and 300 in hundred and 1 in log


@pytest.mark.skipif(not (PAGE / "results.json").is_file(), reason="search not run")
def test_committed_page_is_rendered_from_results(ts):
    res = json.loads((PAGE / "results.json").read_text())
    assert res["format"] == ts.FORMAT
    assert (PAGE / "README.md").read_text() == ts.render_readme(res)
    assert res["conclusion"] == ts.conclusion(res)
    keys = res["measurement_keys"]
    assert keys == [ts.mkey(m) for m in ts.measurement_readings()]
    for stage in ("screen", "confirm"):
        per = res[stage]["per_data"]
        assert len(per) == res[stage]["n_data"]
        for p in per:  # the headline D of each data reading is the minimum of its stored scores
            assert ts._num(p["best"]["D"]) == pytest.approx(min(ts._num(v) for v in p["D_all"]), abs=T1S_STORED_ROUNDING_ATOL)
            assert len(p["D_all"]) == len(keys)
        assert res[stage]["closest"]["key"] == per[0]["key"]
        assert ts._num(per[0]["best"]["D"]) == min(ts._num(p["best"]["D"]) for p in per)
        assert ts._num(per[0]["best"]["D"]) >= ts.STRUCTURAL_BOUND - T1S_BOUND_SLACK

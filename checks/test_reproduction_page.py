"""The committed reproduction report (docs/reproduction, written by `lingrok reproduce all --scale paper
--out docs/reproduction`, ~12 minutes) is not stale.

Two checks, both cheap:

* ``--check``: the numbers in ``results.json`` were computed by the current code (a fingerprint of
  every project module the reproduction imports, docstrings and comments ignored) for the current
  setups, and every page re-rendered from them equals the committed one byte for byte (figures by
  name: their bytes depend on the matplotlib version);
* a fresh prefix: the paper-scale d = 2 run is rerun for its first ``REPRO_PREFIX_STEPS`` GD steps
  and its b(t), ||w(t)||, |b|/||w|| and accuracies at the shared checkpoints must equal the archived
  ones, so the archive is this code's output, not just labelled with its fingerprint.
"""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from lingrok.cli import main
from lingrok.reproduction.runs import run_setup, table1_setups
from lingrok.reproduction.archive import load_archive

from checks.tolerances import REPRO_PREFIX_RTOL, REPRO_PREFIX_STEPS

PAGE = Path(__file__).resolve().parent.parent / "docs" / "reproduction"
FIX = "regenerate it with `lingrok reproduce all --scale paper --out docs/reproduction` and commit docs/reproduction"


def test_committed_report_is_rendered_from_numbers_of_the_current_code(capsys):
    code = main(["reproduce", "all", "--scale", "paper", "--out", str(PAGE), "--check"])
    assert code == 0, f"{capsys.readouterr().err}\n{FIX}"


@pytest.fixture(scope="module")
def archive():
    return load_archive(PAGE)


def test_archive_is_the_paper_scale_run_of_every_target(archive):
    assert (archive["target"], archive["scale"]) == ("all", "paper")
    d2 = archive["results"]["d2"]
    assert d2.steps == 10_000_000 and d2.n == 2000 and d2.d == 2 and d2.eta == 0.01, FIX
    assert set(archive["results"]) == set(archive["setups"])


def test_a_fresh_prefix_of_the_d2_run_equals_the_archived_numbers(archive):
    setup = dataclasses.replace(table1_setups("paper")[0], steps=REPRO_PREFIX_STEPS, pgd=False, predict=False)
    fresh = run_setup(setup)
    old = archive["results"]["d2"]
    shared, i_new, i_old = np.intersect1d(fresh.t, old.t, return_indices=True)
    assert shared.size >= 100 and shared[-1] == REPRO_PREFIX_STEPS
    for name in ("b", "w_norm", "distance"):
        a, b = getattr(fresh, name)[i_new], getattr(old, name)[i_old]
        np.testing.assert_allclose(a, b, rtol=REPRO_PREFIX_RTOL, atol=0, err_msg=f"{name}; {FIX}")
    for name in ("train", "standard", "concentrated"):
        np.testing.assert_array_equal(fresh.accuracy[name][i_new], old.accuracy[name][i_old],
                                      err_msg=f"accuracy {name}; {FIX}")

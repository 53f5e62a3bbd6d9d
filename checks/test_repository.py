"""The repository stands alone: no file cites a document outside it.

The paper is summarised in docs/paper.md (the project's own words, the paper's numbering); code,
tests and docs refer to that page, never to notes that live elsewhere.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", ".git", "site", "build", ".hypothesis", ".pytest_cache", "__pycache__", ".state"}
TEXT = {".py", ".md", ".toml", ".yml", ".yaml", ".txt", ".cfg", ".json", ".js", ""}
# a notes file kept outside the repository, or a path that climbs out of it
OUTSIDE = re.compile(r"paper-notes|\.\./shared|/shared/paper|style\.md")


def _files():
    for path in ROOT.rglob("*"):
        if path.is_file() and not SKIP.intersection(path.relative_to(ROOT).parts) and path.suffix in TEXT \
                and not path.name.endswith(".egg-info"):
            yield path


def test_no_file_cites_a_document_outside_the_repository():
    hits = []
    for path in _files():
        if path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert not hits, "cite docs/paper.md instead:\n" + "\n".join(hits)


def test_the_paper_summary_has_the_sections_the_code_cites():
    text = (ROOT / "docs" / "paper.md").read_text()
    for anchor in ("Sum or mean", "Parity", "Table 1", "Theorem 4.6", "eq. (11)", "Definition 3.4"):
        assert anchor in text, anchor

"""`lingrok docs`: generate (or check) the derivation pages and the API reference under docs/.

Pages are produced by :mod:`lingrok.documents.generate`; ``--check`` regenerates them in memory and exits 1
when the folder differs (CI runs it so that committed documents always match the code).
"""

from __future__ import annotations

import sys
from pathlib import Path

from lingrok.errors import UsageError

DEFAULT_OUT = "docs"


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "docs",
        help="generate the derivation pages and the API reference (docs/derivations, docs/api)",
        description="Write docs/derivations/<id>.md (every machine-checked derivation of arXiv:2602.08302, "
        "with each step's check) and docs/api/<module>.md (a mkdocstrings page per module of theory and numerics). "
        "Unchanged pages are left alone; generated pages that no longer exist are removed.",
    )
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if the committed pages differ from what the code generates")
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                   help=f"docs folder (default {DEFAULT_OUT}); pages go to DIR/derivations and DIR/api")


def _fix_command(out: str) -> str:
    return "lingrok docs" if out == DEFAULT_OUT else f"lingrok docs --out {out}"


def run(args) -> int:
    from lingrok.inputs import check_output_dir

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {args.out}: not a folder; give the docs folder (default {DEFAULT_OUT})")
    check_output_dir(args.out, "--out")
    from lingrok.documents.generate import compare_docs, generate_docs, write_docs

    try:
        pages = generate_docs()
    except ImportError as exc:
        print(f"lingrok docs: error: {exc}", file=sys.stderr)
        return 1
    failed = [rel for rel, text in pages.items()
              if rel.startswith("derivations/") and "**Status: FAILED.**" in text]
    for rel in failed:
        print(f"lingrok docs: warning: {rel}: the derivation FAILED its checks (the page says which step)",
              file=sys.stderr)
    if args.check:
        diff = compare_docs(out, pages)
        if diff.up_to_date:
            print(f"{len(pages)} generated pages in {args.out} are up to date")
            return 0
        for label, rels in (("missing", diff.missing), ("differs", diff.differing),
                            ("stale (no longer generated)", diff.stale)):
            for rel in rels:
                print(f"{label}: {(out / rel).as_posix()}", file=sys.stderr)
        print(f"generated documents are out of date; run `{_fix_command(args.out)}` and commit the result",
              file=sys.stderr)
        return 1
    done = write_docs(out, pages)
    for label, rels in (("created", done.missing), ("updated", done.differing), ("removed", done.stale)):
        for rel in rels:
            print(f"{label} {(out / rel).as_posix()}")
    unchanged = len(pages) - len(done.missing) - len(done.differing)
    print(f"{len(pages)} generated pages in {args.out}: {len(done.missing)} created, "
          f"{len(done.differing)} updated, {len(done.stale)} removed, {unchanged} unchanged")
    return 0

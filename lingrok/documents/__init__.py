"""The generated pages of docs/ (`lingrok docs`): derivation pages rendered by theory.derivation_pages, API stubs
rendered by mkdocstrings when the site is built, and the write / staleness check of the docs folder."""

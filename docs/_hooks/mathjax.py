"""MkDocs hook: serve MathJax 3 from an installed Python package, so the site needs no CDN.

The PyPI package ``django-static-mathjax`` (3.2.2.x; no Django needed, it only ships the files)
installs MathJax's ``es5`` bundles under ``mathjax/static/mathjax/es5``. This hook adds
``tex-svg-full.js`` (TeX input, SVG output, every TeX extension, fonts included: a single file
with nothing loaded later) to the site as ``assets/mathjax/tex-svg-full.js``, the path that
``mkdocs.yml`` lists in ``extra_javascript``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

BUNDLE = "tex-svg-full.js"
SITE_PATH = f"assets/mathjax/{BUNDLE}"
INSTALL_HINT = "pip install 'django-static-mathjax==3.2.2.1'"


def mathjax_bundle() -> Path:
    """Path of the installed ``tex-svg-full.js``; PluginError with the install command if absent."""
    spec = importlib.util.find_spec("mathjax")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "static" / "mathjax" / "es5" / BUNDLE
        if path.is_file():
            return path
    raise PluginError(f"MathJax is not installed; the docs site bundles it from PyPI: {INSTALL_HINT}")


def on_files(files, config):
    files.append(File.generated(config, SITE_PATH, abs_src_path=str(mathjax_bundle())))
    return files

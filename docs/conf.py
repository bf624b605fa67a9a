"""Sphinx configuration of the unicomp documentation.

Built with ``make docs``: ``sphinx-build -W --keep-going -n -b html docs docs/_build/html`` (warnings are
errors, nitpicky cross-references).  Everything rendered from code -- API pages, the symbolic layer's
output on the derivation pages, the gallery figures, the audit report -- is produced at build time.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))

import unicomp  # noqa: E402

project = "unicomp"
author = "unicomp developers"
copyright = "2026, unicomp developers"
version = release = unicomp.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "sphinxcontrib.bibtex",
    "matplotlib.sphinxext.plot_directive",
    "unicomp_docs",
    "audit_pages",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "**.ipynb_checkpoints", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "auto_examples/*.codeobj.json"]
templates_path: list[str] = []

# -- HTML ----------------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"unicomp {release}"
html_static_path = ["_static"]

# -- Cross-references: nitpicky, with intersphinx --------------------------------------------------------
nitpicky = True

# Intersphinx targets.  The build machines have no internet, and a remote inventory that cannot be fetched
# is reported by Sphinx as an *untyped* warning, which ``suppress_warnings`` cannot silence and ``-W``
# turns into a failure.  So each project is enabled only when its inventory can be read:
#   * from a local copy ``docs/_intersphinx/<name>.inv`` (download it once, e.g. from
#     ``<url>objects.inv``, if you want cross-links offline), or
#   * from the network, when ``UNICOMP_DOCS_ONLINE=1`` is set.
# Otherwise the project is left out and references to its objects render as plain text; the
# ``nitpick_ignore_regex`` below accepts those external names; of unicomp's own names it accepts only the
# two kinds commented there (a private type alias and type variables).
_INTERSPHINX_TARGETS = {
    "python": "https://docs.python.org/3/",
    "numpy": "https://numpy.org/doc/stable/",
    "scipy": "https://docs.scipy.org/doc/scipy/",
    "sympy": "https://docs.sympy.org/latest/",
    "mpmath": "https://mpmath.org/doc/current/",
    "torch": "https://docs.pytorch.org/docs/stable/",
    "matplotlib": "https://matplotlib.org/stable/",
}
_ONLINE = os.environ.get("UNICOMP_DOCS_ONLINE", "") in {"1", "true", "yes"}


def _inventory_locations(name: str) -> tuple[str | None, ...]:
    local = DOCS / "_intersphinx" / f"{name}.inv"
    locations: list[str | None] = []
    if local.is_file():
        locations.append(str(local))
    if _ONLINE:
        locations.append(None)  # None = <target>/objects.inv
    return tuple(locations)


intersphinx_mapping = {
    name: (url, locs)
    for name, url in _INTERSPHINX_TARGETS.items()
    if (locs := _inventory_locations(name))
}
intersphinx_timeout = 10

# External names that cannot be resolved when their inventory is absent (offline builds).  Only the
# third-party and standard-library namespaces are listed; an unresolved ``unicomp.*`` reference still fails.
_EXTERNAL = r"(numpy|np|scipy|sympy|sp|mpmath|flint|torch|matplotlib|mpl_toolkits|dask|distributed|sklearn|tqdm" \
            r"|hypothesis|collections|typing|pathlib|os|argparse|contextlib|copy|dataclasses|enum|types)"
nitpick_ignore_regex = [
    (r"py:.*", _EXTERNAL + r"(\..*)?"),
    # Bare names from type hints and numpydoc type fields that are not importable paths.
    (r"py:.*", r"(NDArray|ArrayLike|DTypeLike|ndarray|Tensor|Module|Figure|Axes|Any|Literal|Callable|"
               r"Sequence|Mapping|Iterator|Iterable|PathLike|Path|Expr|Basic|Symbol|mpf|Self)"),
    # torch names as written in docstrings (``nn.Module``, ``TensorDataset``, ...).
    (r"py:.*", r"(nn|optim|F)\..*"),
    (r"py:.*", r"(TensorDataset|DataLoader|WeightedRandomSampler|Dataset|Sampler|Optimizer|Generator|device|dtype)"),
    # The one internal name allowed to stay unresolved: ``Cloud``, a private type alias of
    # unicomp.verify.strategies (a (points, weights) tuple) that appears in its signatures.
    (r"py:class", r"Cloud"),
    # Type variables in generic signatures (single capital letters such as ``C``) have no entry to link to.
    (r"py:class", r"(unicomp\.[\w.]+\.)?[A-Z]"),
]

# -- autodoc / numpydoc ------------------------------------------------------------------------------------
autodoc_default_options = {"members": True, "member-order": "bysource", "show-inheritance": True}
autodoc_typehints = "signature"
# Property and attribute types (autodoc's ``:type:`` lines, which no event can rewrite) keep ``NDArray[X]``
# as written instead of numpy's expansion ``ndarray[tuple[Any, ...], dtype[X]]``.  ``ArrayLike`` is not
# listed: as an alias, ``ArrayLike | None`` renders as ``TypeAliasForwardRef('...') | None``; the docs
# extension writes it back in signatures instead (``docs/_ext/unicomp_docs.py``).
autodoc_type_aliases = {"NDArray": "numpy.typing.NDArray"}
autodoc_preserve_defaults = False  # True trips over some signatures in Sphinx 9 ("pop from empty list")
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- MyST ---------------------------------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- Bibliography ----------------------------------------------------------------------------------------------
bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"

# -- Plot directive (numerical checks on the derivation pages) -----------------------------------------------------
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.figsize": (5.5, 3.6), "figure.autolayout": True}

# -- Gallery ----------------------------------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "write_computation_times": False,
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("unicomp",),
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "remove_config_comments": True,
}

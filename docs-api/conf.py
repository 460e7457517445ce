"""Sphinx configuration for the boligregler API reference (`sphinx-build -W -b html docs-api build/docs-api`)."""

project = "boligregler"
author = "boligregler"
extensions = ["sphinx.ext.autodoc", "boligregler.sphinx_ext"]
language = "en"
html_theme = "alabaster"
html_title = "boligregler API"
autodoc_member_order = "bysource"
autodoc_typehints = "description"
default_role = "code"
exclude_patterns = ["_build"]

"""Packaging: a licence the kommuner can adopt, full metadata, lark as a range, separate site and API-docs extras."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_licence_and_metadata():
    assert PROJECT["license"] == "Apache-2.0" and PROJECT["license-files"] == ["LICENSE"]
    assert "Apache License" in (ROOT / "LICENSE").read_text(encoding="utf-8")[:200]
    assert PROJECT["readme"] == "README.md" and PROJECT["classifiers"] and PROJECT["keywords"]
    assert {"Homepage", "Documentation", "Source", "Issues"} <= set(PROJECT["urls"])
    assert all(url.startswith("https://") for url in PROJECT["urls"].values())


def test_lark_is_a_version_range_not_a_pin():
    (lark,) = [d for d in PROJECT["dependencies"] if d.startswith("lark")]
    assert "==" not in lark and ">=" in lark and "<" in lark


def test_site_and_api_docs_are_separate_extras_and_test_has_both():
    extras = PROJECT["optional-dependencies"]
    assert any(d.startswith("mkdocs") for d in extras["site"]) and not any(d.startswith("sphinx") for d in extras["site"])
    assert any(d.startswith("sphinx") for d in extras["apidocs"]) and not any("mkdocs" in d for d in extras["apidocs"])
    assert {"boligregler[site]", "boligregler[apidocs]", "boligregler[screening]"} <= set(extras["test"])

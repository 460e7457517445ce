"""A planted syntax-tree cache entry can never run code or change a decision: entries are read only when
private to this user, and a tree read from one is checked as strictly as the parser's own output."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from boligregler.api import load_policy
from boligregler.money import load_json
from boligregler.syntax import cache

ROOT = Path(__file__).resolve().parents[1]
FAMILIE = (ROOT / "examples" / "familie.json").read_text(encoding="utf-8")


@pytest.fixture
def planted(tmp_path, monkeypatch):
    """A policy folder and a cache folder filled by one ordinary run; returns (policy path, entry for it)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("BOLIGREGLER_CACHE_DIR", str(folder))
    policies = tmp_path / "regler"
    policies.mkdir()
    shutil.copy(ROOT / "policies" / "nasjonal.pol", policies / "nasjonal.pol")
    path = policies / "nasjonal.pol"
    expected = load_policy(path).evaluate(load_json(FAMILIE)).to_dict()
    for checked in folder.glob("regelverk-*.pickle"):  # else the checked-policy cache answers before the trees
        checked.unlink()
    (entry,) = folder.glob("tre-*.json")
    return path, entry, expected


def edit_entry(entry: Path, change) -> None:
    data = json.loads(entry.read_text(encoding="utf-8"))
    assert change(data), "the planted change found nothing to change"
    entry.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def nodes(value, kind: str):
    if isinstance(value, dict):
        if value.get("@") == kind:
            yield value
        for v in value.values():
            yield from nodes(v, kind)
    elif isinstance(value, list):
        for v in value:
            yield from nodes(v, kind)


PAYLOAD = "if __import__('pathlib').Path({marker!r}).write_text('x') else"


@pytest.mark.parametrize("kind, field, value", [
    ("Compare", "op", PAYLOAD),
    ("Binary", "op", "+ __import__('pathlib').Path({marker!r}).write_text('x') +"),
    ("Logical", "op", "or __import__('pathlib').Path({marker!r}).write_text('x') or"),
    ("Aggregate", "kind", "x"),
    ("Name", "name", "__import__('pathlib').Path({marker!r}).write_text('x')"),
    ("Attribute", "name", "a'] + __import__('pathlib').Path({marker!r}).write_text('x') + F['"),
    ("Text", "value", 5),
    ("Quantity", "value", {"$d": "NaN"}),
    ("Quantity", "value", 1.5),
])
def test_a_planted_node_is_refused_and_the_file_parsed_again(planted, tmp_path, kind, field, value):
    path, entry, expected = planted
    marker = str(tmp_path / "kjørt")
    if isinstance(value, str):
        value = value.format(marker=marker)

    def change(data):
        found = list(nodes(data, kind))
        for node in found:
            node[field] = value
        return found
    edit_entry(entry, change)
    decision = load_policy(path).evaluate(load_json(FAMILIE)).to_dict()
    assert not Path(marker).exists()
    assert decision == expected


def test_an_entry_that_is_a_symbolic_link_is_not_followed(planted, tmp_path):
    path, entry, expected = planted
    elsewhere = tmp_path / "andres.json"
    data = json.loads(entry.read_text(encoding="utf-8"))
    for node in nodes(data, "Quantity"):
        if node["value"] == {"$d": "2"}:
            node["value"] = {"$d": "7"}  # a valid tree with other numbers: would change decisions
    elsewhere.write_text(json.dumps(data), encoding="utf-8")
    entry.unlink()
    entry.symlink_to(elsewhere)
    with pytest.raises(OSError):
        cache.read_private(entry)
    assert load_policy(path).evaluate(load_json(FAMILIE)).to_dict() == expected


def test_an_entry_others_may_write_to_or_another_user_owns_is_not_read(planted):
    path, entry, expected = planted
    entry.chmod(0o666)
    with pytest.raises(OSError):
        cache.read_private(entry)
    entry.chmod(0o600)
    if hasattr(os, "getuid") and os.getuid() == 0:
        os.chown(entry, 12345, 12345)
        with pytest.raises(OSError):
            cache.read_private(entry)
    assert load_policy(path).evaluate(load_json(FAMILIE)).to_dict() == expected


def test_the_parsers_own_output_passes_the_check():
    for path in sorted((ROOT / "policies").glob("*.pol")):
        from boligregler.syntax.parser import parse_policy
        cache.check_tree(parse_policy(path.read_text(encoding="utf-8"), str(path)))


def test_generated_source_holds_no_text_from_the_policy():
    policy = load_policy("drammen")
    source = policy.program("").source
    for c in policy.model.criteria:
        assert c.id not in source
    assert "folkeregistrert_i_kommunen" not in source and '"' not in source
    assert set(re.findall(r"'[^']*'", source)) <= {"''", "'utfall'"}  # the generator's own literals only

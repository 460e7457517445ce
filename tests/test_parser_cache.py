"""The serialized parser in the per-user cache behaves exactly like one built from the grammar."""

from __future__ import annotations

import json
import os
import stat

import pytest
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from boligregler.model.loader import shipped_policies_dir
from boligregler.syntax import parser as P

BROKEN = [
    "regelverk x {\n    navn: \n}\n",
    "regelverk x {\n    navn: \"a\"\n",
    "parameter p: kr {\n    5 kr fra 2024-01-01 kilde \"k\"\n    6,5 kr fra 2025-01-01\n}\n",
    "beregn x: kr = hvis a så b\n",
    "vilkår v {\n    opfylt når sann\n}\n",
]
EXPRESSIONS = ["maks(0 kr, a - b * 2.5 %)", "sum(x.y for hver x i liste der x.z ≥ 1 000 kr)",
               "hvis a i [\"kjøp\"] så 1 ellers -2", "ikke finnes(hver b i barn der b.alder < 6)"]


def shape(node) -> tuple:
    """A tree with every position, so that two parses compare equal only if they agree exactly."""
    if isinstance(node, Token):
        return ("token", node.type, str(node), node.line, node.column, node.end_line, node.end_column)
    if isinstance(node, Tree):
        meta = node.meta
        where = () if getattr(meta, "empty", True) else (meta.line, meta.column, meta.end_line, meta.end_column)
        return ("tree", str(node.data), where, tuple(shape(c) for c in node.children))
    return ("value", node)


def failure(parser: Lark, text: str, start: str) -> tuple:
    with pytest.raises(UnexpectedInput) as info:
        parser.parse(text, start=start)
    e = info.value
    return type(e).__name__, e.line, e.column, sorted(getattr(e, "expected", None) or getattr(e, "allowed", ()))


@pytest.fixture(scope="module")
def fresh() -> Lark:
    return Lark(P.grammar_path().read_text(encoding="utf-8"), **P.PARSER_OPTIONS)


def counting_lark(fresh: Lark, builds: list):
    """Stands in for `Lark`: a "build" hands out the parser built once above and is counted."""
    class CountingLark(Lark):
        def __new__(cls, *args, **kwargs):
            builds.append(args)
            return fresh

        @classmethod
        def load(cls, f):
            return Lark.load(f)

    return CountingLark


@pytest.fixture()
def builds(monkeypatch, fresh) -> list:
    found: list = []
    monkeypatch.setattr(P, "Lark", counting_lark(fresh, found))
    return found


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory, fresh):
    folder = tmp_path_factory.mktemp("cache") / "boligregler"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(P, "Lark", counting_lark(fresh, []))
        P.load_lark_parser(folder)  # builds and stores
    return folder


def test_cache_file_is_written_privately(cache_dir):
    files = list(cache_dir.glob("parser-*.json"))
    assert len(files) == 1
    assert json.loads(files[0].read_text(encoding="utf-8"))["key"] == P.parser_cache_key(
        P.grammar_path().read_text(encoding="utf-8"))
    if hasattr(os, "getuid"):
        assert stat.S_IMODE(cache_dir.stat().st_mode) & 0o077 == 0


def test_cached_parser_is_loaded_without_building(fresh, cache_dir, builds):
    cached = P.load_lark_parser(cache_dir)
    assert builds == []
    assert cached is not fresh


def test_cached_parser_parses_every_policy_identically(fresh, cache_dir, builds):
    cached = P.load_lark_parser(cache_dir)
    policies = sorted(shipped_policies_dir().glob("*.pol"))
    assert policies
    for path in policies:
        text = path.read_text(encoding="utf-8")
        assert shape(cached.parse(text, start="start")) == shape(fresh.parse(text, start="start")), path.name
    for text in EXPRESSIONS:
        assert shape(cached.parse(text, start="expr")) == shape(fresh.parse(text, start="expr"))
    assert builds == []


def test_cached_parser_reports_the_same_syntax_errors(fresh, cache_dir, builds):
    cached = P.load_lark_parser(cache_dir)
    for text in BROKEN:
        assert failure(cached, text, "start") == failure(fresh, text, "start"), text
        assert failure(cached, text, "fragment") == failure(fresh, text, "fragment"), text
    assert [(t.name, t.pattern.type, t.pattern.value, t.priority) for t in cached.terminals] == \
           [(t.name, t.pattern.type, t.pattern.value, t.priority) for t in fresh.terminals]


def test_serialization_round_trips_exactly(fresh):
    data, memo = fresh.memo_serialize([P.TerminalDef, P.Rule])
    value = {"data": data, "memo": memo, "tricky": {"#tuple": (1, "#dict"), 3: [("a", {4: None})]}}
    assert json.loads(json.dumps(P._to_json(value)), object_hook=P._from_json) == value


@pytest.mark.parametrize("damage", ["", "{ikke json", '{"key": "feil", "data": {}, "memo": {}}', '{"key": 1}'])
def test_damaged_cache_is_rebuilt_and_replaced(tmp_path, builds, damage):
    folder = tmp_path / "boligregler"
    folder.mkdir(mode=0o700)
    key = P.parser_cache_key(P.grammar_path().read_text(encoding="utf-8"))
    path = folder / f"parser-{key[:40]}.json"
    path.write_text(damage, encoding="utf-8")
    P.load_lark_parser(folder)
    assert len(builds) == 1
    assert json.loads(path.read_text(encoding="utf-8"))["key"] == key


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="file ownership and modes are POSIX only")
def test_folder_others_can_write_to_is_not_used(tmp_path, builds):
    folder = tmp_path / "delt"
    folder.mkdir()
    folder.chmod(0o777)
    P.load_lark_parser(folder)
    P.load_lark_parser(folder)
    assert len(builds) == 2
    assert not list(folder.iterdir())


def test_without_cache_folder_the_grammar_is_built(monkeypatch, builds):
    monkeypatch.setenv("BOLIGREGLER_CACHE_DIR", "")
    assert P.user_cache_dir() is None
    P.load_lark_parser(None)
    assert len(builds) == 1


def test_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("BOLIGREGLER_CACHE_DIR", str(tmp_path / "her"))
    assert P.user_cache_dir() == tmp_path / "her"
    monkeypatch.delenv("BOLIGREGLER_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert P.user_cache_dir() == tmp_path / "xdg" / "boligregler"


def test_key_changes_with_the_grammar():
    grammar = P.grammar_path().read_text(encoding="utf-8")
    assert P.parser_cache_key(grammar) != P.parser_cache_key(grammar + "\n// endret\n")

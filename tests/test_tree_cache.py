"""The per-user syntax-tree cache returns exactly what parsing returns, and fails safe."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from pathlib import Path

import pytest

from boligregler.model.checker import check
from boligregler.model import loader
from boligregler.model.loader import load_chain
from boligregler.syntax import cache
from boligregler.syntax.parser import parse_policy

ROOT = Path(__file__).resolve().parents[1]
POLICIES = sorted(glob.glob(str(ROOT / "policies" / "*.pol")))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("BOLIGREGLER_CACHE_DIR", str(folder))
    return folder


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: Path(p).stem)
def test_round_trip_keeps_every_node_and_position(path):
    parsed = parse_policy(Path(path).read_text(encoding="utf-8"), path)
    restored = cache.decode(__import__("json").dumps(cache.encode(parsed)))
    assert restored == parsed
    assert cache.encode(restored) == cache.encode(parsed)  # spans and pre-parsed holes too (not part of ==)


def test_second_read_comes_from_the_cache_and_checks_the_same(cache_dir):
    text = Path(POLICIES[0]).read_text(encoding="utf-8")
    first = cache.cached_parse(text, POLICIES[0])
    assert len(list(cache_dir.glob("tre-*.json"))) == 1
    second = cache.cached_parse(text, POLICIES[0])
    assert cache.encode(second) == cache.encode(first)
    assert second is not first


def test_a_changed_file_is_parsed_again(cache_dir):
    text = Path(POLICIES[0]).read_text(encoding="utf-8")
    cache.cached_parse(text, POLICIES[0])
    changed = cache.cached_parse(text + "\n# endret\n", POLICIES[0])
    assert changed.source.endswith("# endret\n")
    assert len(list(cache_dir.glob("tre-*.json"))) == 2


def test_a_damaged_entry_is_replaced(cache_dir):
    text = Path(POLICIES[0]).read_text(encoding="utf-8")
    expected = cache.encode(cache.cached_parse(text, POLICIES[0]))
    (entry,) = cache_dir.glob("tre-*.json")
    entry.write_text('{"key": "feil", "file": {"@": "Ukjent"}}', encoding="utf-8")
    assert cache.encode(cache.cached_parse(text, POLICIES[0])) == expected
    assert "Ukjent" not in entry.read_text(encoding="utf-8")


def test_a_folder_others_can_write_to_is_not_used(cache_dir):
    cache_dir.mkdir(mode=0o777)
    os.chmod(cache_dir, 0o777)
    text = Path(POLICIES[0]).read_text(encoding="utf-8")
    cache.cached_parse(text, POLICIES[0])
    assert not list(cache_dir.glob("tre-*.json"))


def test_an_empty_setting_turns_the_cache_off(monkeypatch, tmp_path):
    monkeypatch.setenv("BOLIGREGLER_CACHE_DIR", "")
    assert cache.user_cache_dir() is None
    text = Path(POLICIES[0]).read_text(encoding="utf-8")
    assert cache.cached_parse(text, POLICIES[0]) == parse_policy(text, POLICIES[0])


def test_diagnostics_are_the_same_from_the_cache(cache_dir):
    direct = [check(load_chain(p)).diagnostics for p in POLICIES]
    loader._parse.cache_clear()  # forget this process's parsed files, so they come from the cache
    from_cache = [check(load_chain(p)).diagnostics for p in POLICIES]
    assert from_cache == direct


def test_a_warm_process_checks_every_policy_without_lark(cache_dir):
    script = (
        "import glob, sys\n"
        "from boligregler.api import check_policy\n"
        f"models = [check_policy(p) for p in {POLICIES!r}]\n"
        "assert all(not [d for d in m.diagnostics if d.severity.value == 'feil'] for m in models)\n"
        "print('lark' in sys.modules)\n"
    )
    env = {**os.environ, "BOLIGREGLER_CACHE_DIR": str(cache_dir)}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, capture_output=True, text=True)
    warm = subprocess.run([sys.executable, "-c", script], check=True, env=env, capture_output=True, text=True)
    assert warm.stdout.strip() == "False"

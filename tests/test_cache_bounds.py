"""The per-user cache folder stays bounded: each kind of entry keeps only its most recently used."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from boligregler.api import load_policy_text
from boligregler.syntax import cache

ROOT = Path(__file__).resolve().parents[1]
POLICY = "regelverk proeve bygger på nasjonal {{\n    navn: \"Prøve {n}\"\n}}\n"  # parsed only


@pytest.fixture(autouse=True)
def prune_at_every_entry(monkeypatch):
    monkeypatch.setattr(cache, "PRUNE_EVERY", 1)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("BOLIGREGLER_CACHE_DIR", str(folder))
    return folder


def kind(folder: Path, prefix: str) -> set[str]:
    return {p.name for p in folder.iterdir() if p.name.startswith(prefix)}


def age(paths, *, seconds_ago: float) -> None:
    when = time.time() - seconds_ago
    for p in paths:
        os.utime(p, (when, when))


def test_prune_keeps_the_most_recently_used_of_one_kind_only(tmp_path, monkeypatch):
    monkeypatch.setitem(cache.KEEP, "tre-", 3)
    for i in range(6):
        (tmp_path / f"tre-{i}.json").write_text("{}")
        age([tmp_path / f"tre-{i}.json"], seconds_ago=100 - i)
    (tmp_path / "regelverk-a.pickle").write_bytes(b"")
    (tmp_path / "tre-mappe").mkdir()  # not an entry: left alone
    cache.prune(tmp_path, "tre-")
    assert kind(tmp_path, "tre-") == {"tre-3.json", "tre-4.json", "tre-5.json", "tre-mappe"}
    assert kind(tmp_path, "regelverk-") == {"regelverk-a.pickle"}


def test_a_process_reads_the_folder_at_its_first_new_entry_then_every_so_often(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "PRUNE_EVERY", 4)
    monkeypatch.setattr(cache, "_new_entries", {})
    monkeypatch.setitem(cache.KEEP, "tre-", 1)
    pruned = []
    for i in range(9):
        (tmp_path / f"tre-{i}.json").write_text("{}")
        age([tmp_path / f"tre-{i}.json"], seconds_ago=100 - i)
        cache.prune(tmp_path, "tre-")
        pruned.append(len(kind(tmp_path, "tre-")))
    assert pruned == [1, 2, 3, 4, 1, 2, 3, 4, 1]


def test_a_tree_read_from_the_cache_is_kept_over_older_ones(cache_dir, monkeypatch):
    monkeypatch.setitem(cache.KEEP, "tre-", 3)
    texts = [POLICY.format(n=n) for n in range(4)]
    for n in range(3):
        cache.cached_parse(texts[n], f"p{n}.pol")
    for n, p in enumerate(sorted(cache_dir.glob("tre-*.json"), key=lambda p: p.stat().st_mtime)):
        age([p], seconds_ago=30 - 10 * n)
    oldest = min(cache_dir.glob("tre-*.json"), key=lambda p: p.stat().st_mtime)
    second = sorted(cache_dir.glob("tre-*.json"), key=lambda p: p.stat().st_mtime)[1]
    cache.cached_parse(texts[0], "p0.pol")  # a hit: p0's entry is the oldest and is now the newest
    assert oldest.stat().st_mtime > second.stat().st_mtime
    cache.cached_parse(texts[3], "p3.pol")
    left = kind(cache_dir, "tre-")
    assert len(left) == 3 and oldest.name in left and second.name not in left


def test_checked_policies_in_the_cache_stay_bounded(cache_dir, monkeypatch):
    monkeypatch.setitem(cache.KEEP, "regelverk-", 2)
    drammen = (ROOT / "policies" / "drammen.pol").read_text(encoding="utf-8")
    navn = 'navn: "Startlån i Drammen kommune"'
    assert navn in drammen
    versions = [drammen.replace(navn, navn[:-1] + f' {n}"') for n in range(4)]
    for n, text in enumerate(versions):  # a policy edited four times, as the watcher or a hot reload sees it
        assert load_policy_text(text, name="drammen.pol").navn == f"Startlån i Drammen kommune {n}"
    assert len(kind(cache_dir, "regelverk-")) == 2
    assert load_policy_text(versions[3], name="drammen.pol").navn == "Startlån i Drammen kommune 3"

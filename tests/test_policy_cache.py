"""The per-user cache of checked policies (boligregler.policy_cache): a fresh process need not parse, check
or lint a policy it has loaded before, never gets a stale one, and never runs what a planted entry holds."""

from __future__ import annotations

import hmac
import io
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from boligregler import api, policy_cache
from boligregler.api import load_policy, load_policy_text
from boligregler.diagnostics import PolicyError
from boligregler.money import load_json

ROOT = Path(__file__).resolve().parents[1]
FAMILIE = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("BOLIGREGLER_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def checks(monkeypatch):
    """Counts the chains that are checked (parsed, checked and linted) rather than served from the cache."""
    done = []
    real = api.legality_findings

    def counted(files):
        done.append([f.path for f in files])
        return real(files)
    monkeypatch.setattr(api, "legality_findings", counted)
    return done


@pytest.fixture
def chain(tmp_path):
    """drammen.pol and the nasjonal.pol it builds on, copied to a folder of their own."""
    folder = tmp_path / "regler"
    folder.mkdir()
    for name in ("drammen", "nasjonal"):
        shutil.copy(ROOT / "policies" / f"{name}.pol", folder / f"{name}.pol")
    return folder


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("regelverk-*.pickle"))


def test_a_second_load_is_served_from_the_cache_and_decides_the_same(cache_dir, checks):
    first = load_policy("drammen")
    assert len(checks) == 1 and len(entries(cache_dir)) == 1
    assert entries(cache_dir)[0].stat().st_mode & 0o777 == 0o600
    assert cache_dir.stat().st_mode & 0o777 == 0o700
    second = load_policy("drammen")
    assert len(checks) == 1  # not checked again
    assert second.model is not first.model
    assert second.sha256 == first.sha256 and second.model.sources == first.model.sources
    assert second.model.diagnostics == first.model.diagnostics
    for example in first.model.examples:  # every shipped example decides byte for byte the same
        assert second.evaluate(example.input or {}).to_dict(letter=False) == \
            first.evaluate(example.input or {}).to_dict(letter=False)
    assert second.evaluate(FAMILIE).to_dict(letter=True) == first.evaluate(FAMILIE).to_dict(letter=True)


def test_expression_types_survive_the_cache(cache_dir):
    """The model's types are keyed by the identity of each expression node: the cached model's own nodes."""
    fresh = load_policy("drammen")
    cached = load_policy("drammen")
    assert len(cached.model.expr_types) == len(fresh.model.expr_types)
    for name, c in fresh.model.computations.items():
        assert cached.model.expr_types.get(id(cached.model.computations[name].expr)) == \
            fresh.model.expr_types.get(id(c.expr))
    assert sum(id(c.expr) in cached.model.expr_types for c in cached.model.computations.values()) > 10


def test_a_changed_policy_or_base_is_checked_again(cache_dir, checks, chain):
    path = chain / "drammen.pol"
    load_policy(path)
    load_policy(path)
    assert len(checks) == 1
    path.write_text(path.read_text(encoding="utf-8") + "\n# endret\n", encoding="utf-8")
    changed = load_policy(path)
    assert len(checks) == 2 and changed.model.sources[str(path)].endswith("# endret\n")
    base = chain / "nasjonal.pol"
    base.write_text(base.read_text(encoding="utf-8") + "\n# grunnlaget endret\n", encoding="utf-8")
    rebased = load_policy(path)
    assert len(checks) == 3 and rebased.model.sources[str(base)].endswith("# grunnlaget endret\n")
    load_policy(path)
    assert len(checks) == 3


def test_a_file_edited_while_it_is_loaded_is_not_stored_under_its_old_text(cache_dir, checks, chain, monkeypatch):
    path = chain / "drammen.pol"
    old = path.read_text(encoding="utf-8")
    real = api.load_chain

    def edited_meanwhile(p):  # the file changes after the cache key was read, before the chain is parsed
        path.write_text(old + "\n# endret\n", encoding="utf-8")
        return real(p)
    monkeypatch.setattr(api, "load_chain", edited_meanwhile)
    assert load_policy(path).model.sources[str(path)].endswith("# endret\n")
    assert entries(cache_dir) == []
    monkeypatch.setattr(api, "load_chain", real)
    path.write_text(old, encoding="utf-8")
    assert not load_policy(path).model.sources[str(path)].endswith("# endret\n")  # the old text, checked anew
    assert len(checks) == 2


def test_a_base_found_elsewhere_is_checked_again(cache_dir, checks, chain):
    """The same policy text, but the base it names is now another file (the shipped one): not the cached chain."""
    load_policy(chain / "drammen.pol")
    (chain / "nasjonal.pol").unlink()
    moved = load_policy(chain / "drammen.pol")
    assert len(checks) == 2
    assert any(p.endswith("policies/nasjonal.pol") for p in moved.model.sources)


def test_a_new_release_or_changed_code_is_checked_again(cache_dir, checks, monkeypatch):
    load_policy("drammen")
    monkeypatch.setattr(policy_cache, "_code_fingerprint", lambda: b"en annen versjon")
    load_policy("drammen")
    assert len(checks) == 2


def test_a_policy_as_text_is_cached_with_its_bases(cache_dir, checks):
    text = (ROOT / "policies" / "drammen.pol").read_text(encoding="utf-8")
    nasjonal = (ROOT / "policies" / "nasjonal.pol").read_text(encoding="utf-8")
    load_policy_text(text, "drammen.pol")
    load_policy_text(text, "drammen.pol")
    assert len(checks) == 1
    load_policy_text(text, "drammen.pol", resolver={"nasjonal": nasjonal + "\n# endret\n"}.get)
    assert len(checks) == 2


def test_an_unlawful_policy_is_refused_from_the_cache_too(cache_dir, checks):
    path = ROOT / "tests" / "fixtures" / "ulovlig" / "absolutt_vilkaar.pol"
    for _ in range(2):
        with pytest.raises(PolicyError) as refused:
            load_policy(path)
        assert "L001" in str(refused.value)
    assert len(checks) == 1
    assert load_policy(path, tillat_ulovlig=True).unlawful


def test_a_policy_with_errors_is_not_cached(cache_dir, checks, chain):
    path = chain / "drammen.pol"
    path.write_text(path.read_text(encoding="utf-8") + "\nberegn feil_her: sannhet = ukjent_navn > 0\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(PolicyError) as refused:
            load_policy(path)
        assert "ukjent_navn" in str(refused.value)
    assert len(checks) == 2 and not entries(cache_dir)


def test_a_damaged_entry_is_checked_again_and_replaced(cache_dir, checks):
    expected = load_policy("drammen").evaluate(FAMILIE).to_dict()
    (entry,) = entries(cache_dir)
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0xFF
    entry.write_bytes(bytes(data))
    assert load_policy("drammen").evaluate(FAMILIE).to_dict() == expected
    assert len(checks) == 2
    load_policy("drammen")
    assert len(checks) == 2  # the replaced entry is good
    entry.write_bytes(b"")
    assert load_policy("drammen").evaluate(FAMILIE).to_dict() == expected
    assert len(checks) == 3


class _Planted:
    def __reduce__(self):
        return (os.system, ("touch " + str(self.marker),))


def test_a_signed_entry_holding_other_than_a_policy_runs_nothing(cache_dir, checks, tmp_path):
    """Even an entry signed with this user's key builds only the classes a checked policy is made of."""
    load_policy("drammen")
    (entry,) = entries(cache_dir)
    marker = tmp_path / "kjørt"
    planted = _Planted()
    planted.marker = marker
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer)
    stream = policy_cache._Unpickler(io.BytesIO(entry.read_bytes()[len(policy_cache.FORMAT) + 32:]))
    pickler.dump(stream.load())  # the right key and bases, then the payload
    pickler.dump((planted, []))
    payload = buffer.getvalue()
    secret = (cache_dir / policy_cache.KEY_FILE).read_bytes()
    entry.write_bytes(policy_cache.FORMAT + hmac.new(secret, payload, "sha256").digest() + payload)
    assert load_policy("drammen").evaluate(FAMILIE).utfall
    assert not marker.exists()
    assert len(checks) == 2


def test_an_entry_signed_with_another_key_is_not_read(cache_dir, checks):
    load_policy("drammen")
    (cache_dir / policy_cache.KEY_FILE).write_bytes(os.urandom(32))
    load_policy("drammen")
    assert len(checks) == 2


def test_a_key_others_can_read_turns_the_cache_off(cache_dir, checks):
    load_policy("drammen")
    (cache_dir / policy_cache.KEY_FILE).chmod(0o644)
    load_policy("drammen")
    load_policy("drammen")
    assert len(checks) == 3


def test_a_folder_that_cannot_be_made_means_no_cache(tmp_path, monkeypatch, checks):
    blocker = tmp_path / "fil"
    blocker.write_text("ikke en mappe", encoding="utf-8")
    monkeypatch.setenv("BOLIGREGLER_CACHE_DIR", str(blocker / "cache"))
    assert load_policy("drammen").evaluate(FAMILIE).utfall
    load_policy("drammen")
    assert len(checks) == 2


def test_a_folder_others_can_write_to_is_not_used(cache_dir, checks):
    cache_dir.mkdir()
    cache_dir.chmod(0o777)
    load_policy("drammen")
    load_policy("drammen")
    assert len(checks) == 2 and not list(cache_dir.iterdir())


def test_a_read_only_folder_means_no_cache(cache_dir, checks, monkeypatch):
    cache_dir.mkdir(mode=0o700)
    cache_dir.chmod(0o500)
    if os.geteuid() == 0:  # root writes anyway: fail every write the way a read-only file system does
        def read_only(*args, **kwargs):
            raise OSError(30, "Read-only file system")
        monkeypatch.setattr(policy_cache.tempfile, "mkstemp", read_only)
    try:
        expected = load_policy("drammen").evaluate(FAMILIE).to_dict()
        assert load_policy("drammen").evaluate(FAMILIE).to_dict() == expected
    finally:
        cache_dir.chmod(0o700)
    assert len(checks) == 2 and not entries(cache_dir)


def test_an_empty_setting_turns_the_cache_off(monkeypatch, checks):
    monkeypatch.setenv("BOLIGREGLER_CACHE_DIR", "")
    load_policy("drammen")
    load_policy("drammen")
    assert len(checks) == 2


def test_a_warm_process_loads_without_the_checker_the_lint_or_lark(cache_dir):
    script = ("import sys\nfrom boligregler import load_policy\nload_policy('drammen')\n"
              "print(sorted(m for m in ('lark', 'boligregler.model.checker', 'boligregler.model.lint', "
              "'boligregler.evaluation.legality') if m in sys.modules))\n")
    env = {**os.environ, "BOLIGREGLER_CACHE_DIR": str(cache_dir)}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, capture_output=True, text=True)
    warm = subprocess.run([sys.executable, "-c", script], check=True, env=env, capture_output=True, text=True)
    assert warm.stdout.strip() == "[]"

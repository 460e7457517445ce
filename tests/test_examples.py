"""Every `eksempel` of every shipped policy, one pytest case each (`policy/eksempel`)."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from boligregler.api import Policy, load_policy
from boligregler.model.checker import check
from boligregler.model.loader import load_chain, shipped_policies_dir
from boligregler.testing import run_example

POLICY_FILES = sorted(shipped_policies_dir().glob("*.pol"))


@functools.cache
def policy(path: str) -> Policy:
    return load_policy(path)


def _cases():
    """(policy path, example name) for every example, read without compiling the policies."""
    for path in POLICY_FILES:
        model = check(load_chain(path))
        for example in model.examples:
            yield pytest.param(str(path), example.name, id=f"{path.stem}/{example.name}")


CASES = list(_cases())


def test_every_shipped_policy_has_examples():
    assert {p.stem for p in POLICY_FILES} == {Path(c.values[0]).stem for c in CASES}


@pytest.mark.parametrize(("path", "name"), CASES)
def test_example(path: str, name: str):
    loaded = policy(path)
    example = next(e for e in loaded.model.examples if e.name == name)
    result = run_example(loaded, example)
    assert result.passed, f"{result.location}: {example.title}\n" + "\n".join(result.mismatches)

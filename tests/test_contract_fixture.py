"""The contract fixture: skipped on a laptop without the contract, a failure on CI."""

from __future__ import annotations

import pytest

from tests.conftest import load_contract


def test_missing_contract_fails_when_ci_is_set(tmp_path, monkeypatch):
    # given a checkout without the contract, on CI
    monkeypatch.setenv("CI", "true")
    # when the contract is loaded / then the test fails instead of skipping
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        load_contract(tmp_path / "missing.yml")


def test_missing_contract_skips_without_ci(tmp_path, monkeypatch):
    # given a laptop checkout without the contract
    monkeypatch.delenv("CI", raising=False)
    # when the contract is loaded / then the comparisons are skipped
    with pytest.raises(pytest.skip.Exception):
        load_contract(tmp_path / "missing.yml")


def test_present_contract_loads(tmp_path, monkeypatch):
    # given a contract file
    monkeypatch.setenv("CI", "true")
    path = tmp_path / "c.yml"
    path.write_text("openapi: 3.0.0\npaths: {}\n")
    # when loaded / then its document comes back
    assert load_contract(path) == {"openapi": "3.0.0", "paths": {}}

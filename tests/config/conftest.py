"""Documents for the configuration tests: the shipped example, and a small valid one to break."""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "site.yml"


def example_document() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE.read_text())


def minimal_document() -> dict[str, Any]:
    """Valid, with one of each thing a rule can refer to."""
    return {
        "site": {"slug": "shop", "name": "Shop", "currency": "USD"},
        "coupon_lists": [
            {"identifier": "pool", "name": "Single-use"},
            {"identifier": "welcome", "static_code": "WELCOME10"},
        ],
        "campaigns": [
            {
                "slug": "invite",
                "joinable": ["affiliate_member"],
                "destination_url": "https://shop.example.com/",
                "incentives": [
                    {"identifier": "rebate", "reason": "referrer", "type": "rebate", "amount": 10},
                    {
                        "identifier": "coupon",
                        "reason": "click",
                        "type": "discount_coupon",
                        "coupon_list": "pool",
                        "amount": 5,
                    },
                ],
            }
        ],
    }


def as_file_values(value: Any) -> Any:
    """YAML reads an unquoted timestamp as a datetime; export writes it as a string."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: as_file_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_file_values(v) for v in value]
    return value


@pytest.fixture
def example() -> dict[str, Any]:
    return example_document()


@pytest.fixture
def minimal() -> dict[str, Any]:
    return copy.deepcopy(minimal_document())

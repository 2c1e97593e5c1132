"""goodword.api.v2.parser: JSON bodies nested deeper than the limit are found on the bytes,
whatever the strings inside them look like."""

from __future__ import annotations

import json

import pytest

from goodword.api.v2.parser import nesting_exceeds


def nest(depth: int) -> bytes:
    """A document exactly `depth` levels deep, objects and arrays alternating."""
    objects = depth // 2
    arrays = depth - objects
    return b'{"a":' * objects + b"[" * arrays + b"1" + b"]" * arrays + b"}" * objects


@pytest.mark.parametrize("depth", [1, 2, 7, 31, 32])
def test_a_document_at_or_within_the_limit_passes(depth):
    json.loads(nest(depth))
    assert not nesting_exceeds(nest(depth), 32)


@pytest.mark.parametrize("depth", [33, 34, 256, 954])
def test_a_document_beyond_the_limit_is_found(depth):
    assert nesting_exceeds(nest(depth), 32)


def test_brackets_inside_strings_do_not_count():
    body = json.dumps([{"s": "[[[[{{{{" * 50, "t": 'x\\"[[[[', "u": [1, {"v": "]]]}}}"}]}]).encode()
    assert not nesting_exceeds(body, 4)  # the depth is 4: array, object, array, object
    assert nesting_exceeds(body, 3)


def test_many_siblings_are_not_depth():
    body = json.dumps({"data": [{"items": [{"p": 1}]} for _ in range(5000)]}).encode()
    assert not nesting_exceeds(body, 5)

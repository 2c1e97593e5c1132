"""Reading and writing the file: YAML or JSON, syntax errors located, duplicate keys refused."""

from __future__ import annotations

import pytest

from goodword.config.formats import document_dump, document_parse, format_for
from goodword.config.schema import ConfigInvalid
from tests.config.conftest import minimal_document


@pytest.mark.parametrize(
    ("path", "text", "fmt"),
    [
        ("site.json", "", "json"),
        ("SITE.JSON", "", "json"),
        ("site.yml", "{}", "yaml"),
        ("site.yaml", "", "yaml"),
        ("site.conf", '  {"site": {}}', "json"),
        ("site.conf", "site:\n  slug: x\n", "yaml"),
        (None, "[1]", "json"),
    ],
)
def test_the_format_comes_from_the_extension_else_the_content(path, text, fmt):
    assert format_for(path, text) == fmt


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_a_dumped_document_parses_back_equal(fmt):
    document = minimal_document()
    assert document_parse(text=document_dump(document=document, fmt=fmt), fmt=fmt) == document


def test_yaml_keeps_the_file_order_and_quotes_what_yaml_would_misread():
    text = document_dump(
        document={"site": {"slug": "s"}, "fraud": {"policies": {"P": "off"}}}, fmt="yaml"
    )
    assert text.index("site:") < text.index("fraud:")
    assert "P: 'off'" in text
    assert document_parse(text=text, fmt="yaml")["fraud"]["policies"]["P"] == "off"


@pytest.mark.parametrize(
    ("fmt", "text", "error"),
    [
        ("yaml", "site:\n  slug: a\n  slug: b\n", "line 3, column 3: found the key 'slug' twice"),
        ("yaml", "site: [a\n", "line 2, column 1: expected ',' or ']'"),
        ("yaml", "site:\n\tslug: a\n", "line 2, column 1:"),
        ("json", '{"site": {"slug": "a",}}', "line 1, column 23: Expecting property name"),
        ("json", '{"site": 1, "site": 2}', "(document): found the key 'site' twice"),
    ],
)
def test_syntax_errors_are_located(fmt, text, error):
    with pytest.raises(ConfigInvalid) as refused:
        document_parse(text=text, fmt=fmt)

    assert len(refused.value.errors) == 1
    assert str(refused.value.errors[0]).startswith(error)


def test_yaml_is_read_safely():
    with pytest.raises(ConfigInvalid):
        document_parse(text="site: !!python/object/apply:os.system ['true']\n", fmt="yaml")


def test_yaml_merge_keys_still_work():
    text = "base: &base {status: Live}\nother:\n  <<: *base\n  slug: x\n"
    assert document_parse(text=text, fmt="yaml")["other"] == {"status": "Live", "slug": "x"}

"""The pure scrubber: what it replaces, and what it leaves alone."""

from __future__ import annotations

from goodword.privacy.scrub import ERASED, Scrubber

NEW = "0f0e@anonymized.email"


def scrubber() -> Scrubber:
    return Scrubber(
        emails={"zelda@example.org": NEW},
        values=["Zelda", "Quixote", "1.2.3.4", "+12025550123", "Al", ""],
    )


def test_an_email_becomes_the_replacement_whatever_its_case():
    assert scrubber().text("mail ZELDA@Example.org now") == f"mail {NEW} now"


def test_other_values_become_erased_inside_text():
    assert scrubber().text("Zelda Quixote on +12025550123") == f"{ERASED} {ERASED} on {ERASED}"


def test_values_are_matched_only_as_whole_tokens():
    s = scrubber()
    assert s.text("11.2.3.45 and 1.2.3.4") == f"11.2.3.45 and {ERASED}"
    assert s.text("Zeldas") == "Zeldas"


def test_values_too_short_to_be_safe_are_left():
    assert scrubber().text("Also Al") == "Also Al"


def test_json_strings_that_are_a_value_become_null_and_emails_the_replacement():
    document = {
        "person": {"email": "zelda@example.org", "first_name": "Zelda", "count": 3},
        "notes": ["by Zelda", None, True],
        "Zelda": "keys are kept",
    }

    assert scrubber().json(document) == {
        "person": {"email": NEW, "first_name": None, "count": 3},
        "notes": [f"by {ERASED}", None, True],
        "Zelda": "keys are kept",
    }


def test_a_scrubber_with_nothing_to_find_changes_nothing():
    assert Scrubber(emails={}, values=[]).text("anything") == "anything"

"""How a person is named wherever a record shows one: the API's referrals, the portal's decision
trace and webhook payloads all start from the same fields, so a new contact field shows up in
all of them or in none."""

from __future__ import annotations

from typing import Any

from goodword.people.models import Person


def person_brief_build(*, person: Person, with_id: bool = True) -> dict[str, Any]:
    """Email, name and phone, with our id unless the record is Talkable's webhook person,
    which carries none."""
    return {
        "email": person.email,
        "first_name": person.first_name,
        **({"id": person.pk} if with_id else {}),
        "last_name": person.last_name,
        "phone_number": person.phone_number,
    }

"""Domain errors: raised by services, turned into HTTP answers only by api/v2/errors.py."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. `code` is stable (tests, the portal and the API's status mapping match
    on it); `message` is what a merchant's engineer reads, in the Talkable wording where the
    contract has one."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class NotFound(DomainError):
    pass


class ValidationFailed(DomainError):
    pass


class Unauthorized(DomainError):
    pass

"""Domain errors: raised by services, turned into HTTP answers only by api/v2/errors.py."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. `code` is stable (tests and the portal match on it); `message` is what
    a merchant's engineer reads, in the Talkable wording where the contract has one."""

    status = 400

    def __init__(self, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status


class NotFound(DomainError):
    pass


class ValidationFailed(DomainError):
    pass


class Unauthorized(DomainError):
    status = 401

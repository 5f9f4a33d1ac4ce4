"""One family of errors a user can act on. The API, the admin and the commands translate them."""

from __future__ import annotations


class ApplicationError(Exception):
    """A business rule refused the operation; nothing was written.

    `field` names the input at fault (for a form or an HTTP 400 field message), when there is one.
    `extra` carries structured detail (e.g. every problem of an import).
    """

    def __init__(self, message: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}

    def __str__(self) -> str:
        return self.message


class NotFound(ApplicationError):
    """The object does not exist, or the actor may not see it (the API answers 404 for both)."""


class PermissionDenied(ApplicationError):
    """The actor may not perform this operation."""


class Conflict(ApplicationError):
    """The operation conflicts with the current state (e.g. a closed period, a running close)."""


class AddressUnavailable(Conflict):
    """An e-mail address is held by someone the actor may not see (privacy.md): one refusal,
    whatever the reason, so that nobody can test whose address is a member. `reason` keeps the
    precise cause for the log and for staff."""

    def __init__(self, message: str, *, reason: str, field: str | None = "email"):
        super().__init__(message, field=field, extra={"reason": reason})
        self.reason = reason

"""Domain errors: what a command refuses, in the API's words but not its shape.

Commands raise these; each adapter maps them to its own envelope in one place
(the REST API: 404 / 409 / 422 `invalid_request_error` naming `param`).
"""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, message: str, param: str | None = None, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code


class NotFound(DomainError):
    """No such object (404)."""

    def __init__(self, message: str, param: str | None = "id") -> None:
        super().__init__(message, param, "resource_missing")


class Conflict(DomainError):
    """The object's state refuses the change (409); `allowed` lists the moves that are possible."""

    def __init__(self, message: str, code: str, param: str | None = None,
                 allowed: tuple[str, ...] = ()) -> None:
        super().__init__(message, param, code)
        self.allowed = allowed


class Invalid(DomainError):
    """A well-formed value that fails validation (422), naming the parameter."""

    def __init__(self, message: str, param: str | None = None, code: str = "parameter_invalid") -> None:
        super().__init__(message, param, code)


class Malformed(DomainError):
    """A value of the wrong type or shape (400), naming the parameter."""

    def __init__(self, message: str, param: str | None = None, code: str = "parameter_invalid") -> None:
        super().__init__(message, param, code)


class Forbidden(DomainError):
    """The caller lacks a permission the change needs (403): a token cannot grant,
    change or revoke what it does not hold itself."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message, param, "missing_permission")

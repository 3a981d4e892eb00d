"""API errors: one exception, rendered as the Stripe-style envelope
`{"error": {"type", "code", "message", "param", "request_id"}}`.

The envelope's shape is declared once, as the Structs below: the body of every
error answer is built from them, and the OpenAPI document describes every error
status with the same schema.

| status | type                  | when                                                       |
|--------|-----------------------|------------------------------------------------------------|
| 400    | invalid_request_error | malformed: bad JSON, wrong JSON type, unknown parameter,   |
|        |                       | bad header (version, Idempotency-Key)                      |
| 401    | authentication_error  | no, bad, revoked or expired token                          |
| 403    | permission_error      | the token lacks the route's permission                     |
| 404    | invalid_request_error | unknown route, unknown object                              |
| 405    | invalid_request_error | method not allowed on a known path (`Allow` lists those)   |
| 409    | idempotency_error     | Idempotency-Key reused with other parameters / in progress |
| 409    | invalid_request_error | state conflicts (config-managed resource, ...)             |
| 413    | invalid_request_error | body over 1 MiB                                            |
| 422    | invalid_request_error | well-formed values that fail validation (out of range...) |
| 429    | rate_limit_error      | a rate-limit window is full                                |
| 500    | api_error             | a bug: details are logged under the request id             |
"""

from __future__ import annotations

from typing import Literal

import msgspec

from upstatd import errors as domain

ErrorType = Literal["invalid_request_error", "authentication_error", "permission_error",
                    "idempotency_error", "rate_limit_error", "api_error"]


class ErrorDetail(msgspec.Struct):
    type: ErrorType
    code: str            # stable, machine-readable: parameter_invalid, resource_missing, ...
    message: str         # for people: what is wrong and how to fix it
    param: str | None    # the parameter at fault (body field path, query name or header name), or null
    request_id: str      # req_…, the same as the Request-Id header


class ErrorResponse(msgspec.Struct):
    error: ErrorDetail


class ApiError(Exception):
    def __init__(self, status: int, type: str, code: str, message: str, param: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        self.headers = headers or {}

    def envelope(self, request_id: str) -> ErrorResponse:
        detail = ErrorDetail(self.type, self.code, self.message, self.param, request_id)  # type: ignore[arg-type]
        return ErrorResponse(detail)

    def body(self, request_id: str) -> dict:
        return msgspec.to_builtins(self.envelope(request_id))


def invalid(message: str, param: str | None = None, code: str = "parameter_invalid") -> ApiError:
    """400: the request is malformed (bad JSON, a value of the wrong type, an unknown parameter)."""
    return ApiError(400, "invalid_request_error", code, message, param)


def unprocessable(message: str, param: str | None = None, code: str = "parameter_invalid") -> ApiError:
    """422: well-formed, but a value fails validation (out of range, unknown name, ...)."""
    return ApiError(422, "invalid_request_error", code, message, param)


def not_found(message: str, param: str | None = None) -> ApiError:
    return ApiError(404, "invalid_request_error", "resource_missing", message, param)


def conflict(message: str, code: str, param: str | None = None) -> ApiError:
    return ApiError(409, "invalid_request_error", code, message, param)


def idempotency(message: str, code: str = "idempotency_key_in_use") -> ApiError:
    return ApiError(409, "idempotency_error", code, message, "Idempotency-Key")


def too_large(limit: int) -> ApiError:
    return ApiError(413, "invalid_request_error", "body_too_large",
                    f"the body is larger than the limit of {limit // 1024} KiB ({limit} bytes)")


def internal(request_id: str) -> ApiError:
    return ApiError(500, "api_error", "internal_error",
                    f"something went wrong on our side; quote request id {request_id}")


RETRY_AFTER_SECONDS = 5


def unavailable(why: str) -> ApiError:
    """503: the database cannot be written now; nothing was changed, and nothing will be."""
    return ApiError(503, "api_error", "storage_unavailable",
                    f"{why}: nothing was changed; retry in {RETRY_AFTER_SECONDS} s (reads still answer)",
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def unauthenticated(message: str) -> ApiError:
    return ApiError(401, "authentication_error", "unauthenticated", message,
                    headers={"WWW-Authenticate": 'Bearer realm="upstatd"'})


def forbidden(resource: str, action: str) -> ApiError:
    return ApiError(403, "permission_error", "missing_permission",
                    f"this token lacks the permission {resource}:{action}")


def from_domain(exc: domain.DomainError) -> ApiError:
    """The one mapping of a command's refusal to the envelope."""
    if isinstance(exc, domain.NotFound):
        return ApiError(404, "invalid_request_error", exc.code, exc.message, exc.param)
    if isinstance(exc, domain.Conflict):
        return ApiError(409, "invalid_request_error", exc.code, exc.message, exc.param)
    if isinstance(exc, domain.Forbidden):
        return ApiError(403, "permission_error", exc.code, exc.message, exc.param)
    if isinstance(exc, domain.Malformed):
        return ApiError(400, "invalid_request_error", exc.code, exc.message, exc.param)
    return ApiError(422, "invalid_request_error", exc.code or "parameter_invalid", exc.message, exc.param)

"""API errors: one exception, rendered as the Stripe-style envelope
`{"error": {"type", "code", "message", "param", "request_id"}}`."""

from __future__ import annotations


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

    def body(self, request_id: str) -> dict:
        return {"error": {"type": self.type, "code": self.code, "message": self.message,
                          "param": self.param, "request_id": request_id}}


def invalid(message: str, param: str | None = None, code: str = "parameter_invalid") -> ApiError:
    return ApiError(400, "invalid_request_error", code, message, param)


def not_found(message: str, param: str | None = None) -> ApiError:
    return ApiError(404, "invalid_request_error", "resource_missing", message, param)


def conflict(message: str, code: str, param: str | None = None) -> ApiError:
    return ApiError(409, "invalid_request_error", code, message, param)


def unauthenticated(message: str) -> ApiError:
    return ApiError(401, "authentication_error", "unauthenticated", message,
                    headers={"WWW-Authenticate": 'Bearer realm="upstatd"'})


def forbidden(resource: str, action: str) -> ApiError:
    return ApiError(403, "permission_error", "missing_permission",
                    f"this token lacks the permission {resource}:{action}")

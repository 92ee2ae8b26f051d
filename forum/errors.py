"""Service errors, and how pages and the JSON API turn them (and HTTP errors) into answers."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from forum.extensions import db


class ServiceError(Exception):
    """A refusal from a service, carried unchanged to pages, the API and sockets."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str | None = None, *, fields: dict | None = None) -> None:
        super().__init__(message or "")
        self.message = str(message) if message is not None else str(self.default_message())
        self.fields = {k: str(v) for k, v in (fields or {}).items()} or None

    def default_message(self):
        return _l("The request could not be processed.")

    def to_dict(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        return {"error": error}


class BadRequest(ServiceError):
    status, code = 400, "bad_request"


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"

    def default_message(self):
        return _l("You need to log in.")


class PermissionDenied(ServiceError):
    status, code = 403, "forbidden"

    def default_message(self):
        return _l("You are not allowed to do that.")


class NotFound(ServiceError):
    status, code = 404, "not_found"

    def default_message(self):
        return _l("Not found.")


class Gone(ServiceError):
    """What was here was withdrawn on purpose; the message says why."""

    status, code = 410, "gone"

    def default_message(self):
        return _l("This was withdrawn.")


class Conflict(ServiceError):
    status, code = 409, "conflict"


class InvalidInput(ServiceError):
    """Field validation failed; `fields` maps each field to why."""

    status, code = 422, "invalid"

    def default_message(self):
        return _l("Some fields are not valid.")


class RateLimited(ServiceError):
    status, code = 429, "rate_limited"

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))

    def default_message(self):
        return _l("Too many attempts. Please wait a little and try again.")


class AccountLocked(RateLimited):
    """Too many failed logins on one account from many addresses (its ceiling): only a known
    device of the account may try now. Answered as any RateLimited (429 rate_limited); the
    login page offers the owner a sign-in link by email."""


class TooManyConnections(ServiceError):
    """A socket connect past SOCKETS_PER_USER or SOCKETS_PER_IP (forum.realtime.caps)."""

    status, code = 429, "too_many_connections"

    def default_message(self):
        return _l("Too many connections are open: close another tab or window of the forum, "
                  "then try again.")


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    422: "invalid",
    429: "rate_limited",
}


def _http_message(status: int) -> str:
    messages = {
        400: _("The request could not be understood."),
        401: _("You need to log in."),
        403: _("You are not allowed to do that."),
        404: _("This page does not exist."),
        405: _("This method is not allowed here."),
        413: _("What you sent is too large."),
        429: _("Too many requests. Please wait a little and try again."),
        500: _("Something went wrong on our side. Please try again later."),
    }
    return messages.get(status, _("The request could not be processed."))


def wants_json() -> bool:
    """True for API requests, which must never get an HTML page."""
    return request.path.startswith("/api/")


def json_error(status: int, code: str, message: str, fields: dict | None = None, headers=None):
    """A JSON error response of the API's documented shape."""
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    response = jsonify({"error": error})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def html_error(status: int, message: str, headers=None):
    """An HTML error page in the site's layout."""
    body = render_template("errors/error.html", status=status, message=message)
    return body, status, headers or {}


# Socket.IO events answer with an ack instead of a response (API.md, "Socket.IO"): the same
# error object and codes as the JSON API, for both namespaces (/live and /chat).


def socket_error(code: str, message, fields: dict | None = None, **extra) -> dict:
    """The ack refusing a socket event: {ok: false, error: {code, message, fields?, ...}}."""
    error = {"code": code, "message": str(message), **extra}
    if fields:
        error["fields"] = {str(key)[:64]: str(value) for key, value in fields.items()}
    return {"ok": False, "error": error}


def socket_refusal(error: ServiceError) -> dict:
    """The ack of a socket event that a service refused (retry_after when rate limited)."""
    extra = {"retry_after": error.retry_after} if isinstance(error, RateLimited) else {}
    return socket_error(error.code, error.message, error.fields, **extra)


def socket_connect_refusal(error: ServiceError) -> tuple[str, dict]:
    """The arguments of ConnectionRefusedError for a connect a cap refused: the client's
    connect_error then carries {message: the code, data: the API's error object}."""
    return error.code, socket_refusal(error)["error"]


def socket_internal_error() -> dict:
    """The ack of a socket event that failed on our side (code `internal`, as the API)."""
    return socket_error("internal", _http_message(500))


def register_error_handlers(app: Flask) -> None:
    """Answer every error as JSON under /api/ and as a page elsewhere; never a traceback."""

    @app.errorhandler(ServiceError)
    def handle_service_error(error: ServiceError):
        headers = {}
        if isinstance(error, RateLimited):
            headers["Retry-After"] = str(error.retry_after)
        if wants_json():
            return json_error(error.status, error.code, error.message, error.fields, headers)
        return html_error(error.status, error.message, headers)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        status = error.code or 500
        if status == 400 and getattr(error, "description", "") and "CSRF" in str(
            error.description
        ):
            message = _("The form has expired or was sent from another site. Please try again.")
        else:
            message = _http_message(status)
        headers = {}
        if status == 405 and getattr(error, "valid_methods", None):
            headers["Allow"] = ", ".join(error.valid_methods)
        if wants_json():
            code = HTTP_CODES.get(status, "internal" if status >= 500 else "bad_request")
            return json_error(status, code, message, headers=headers)
        return html_error(status, message, headers)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()  # a failed statement leaves PostgreSQL's transaction unusable
        if wants_json():
            return json_error(500, "internal", _http_message(500))
        return html_error(500, _http_message(500))

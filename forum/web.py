"""Security headers, template helpers and safe redirects shared by every page."""

import logging
from urllib.parse import urljoin, urlsplit

from flask import Flask, abort, current_app, g, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import SQLAlchemyError

from forum import static_files
from forum.compression import compress_response
from forum.services.notifications import unread_count
from forum.services.uow import rollback

log = logging.getLogger(__name__)


def is_safe_next(target: str | None) -> bool:
    """True for a relative path on this site (so ?next= never sends anyone elsewhere)."""
    if not target or not isinstance(target, str):
        return False
    if any(ch in target for ch in "\\\r\n\t"):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    host_url = urlsplit(request.host_url)
    joined = urlsplit(urljoin(request.host_url, target))
    return joined.scheme in {"http", "https"} and joined.netloc == host_url.netloc


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is safe, otherwise `default`."""
    return target if is_safe_next(target) else default


_LINK_MARK = 1987654321  # a marker id within every id converter's range
# app.extensions key of each app's {(endpoint, argument, script root): (before, after)}: the
# URLs come from that app's URL map.
LINK_PARTS = "tacit_link_parts"


def link_parts(endpoint: str, argument: str | None = None) -> tuple[str, str]:
    """The URL of `endpoint` around its id argument: (before, after), built once per
    endpoint, argument and script root. See id_link()."""
    known = current_app.extensions[LINK_PARTS]
    key = (endpoint, argument, request.script_root)
    parts = known.get(key)
    if parts is None:
        if argument is None:
            (rule,) = current_app.url_map.iter_rules(endpoint)
            (argument,) = rule.arguments
        before, marker, after = url_for(endpoint, **{argument: _LINK_MARK}).partition(
            str(_LINK_MARK))
        if not marker:
            raise ValueError(f"{endpoint} does not put {argument} in its path")
        parts = known[key] = (before, after)
    return parts


def id_link(endpoint: str, value: int, argument: str | None = None) -> str:
    """url_for(endpoint, argument=value) for an id in the path, at the cost of a string join.

    Pages with long lists build several links per row, and url_for walks the URL map each
    time. The URL is built once with a marker id, then split around the marker. `argument`
    may be left out when the endpoint has one rule with one argument.
    """
    before, after = link_parts(endpoint, argument)
    return f"{before}{int(value)}{after}"


def content_security_policy() -> str:
    """A strict policy: our own scripts and styles only, nothing inline, no framing."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",  # no image from another site: posts link to them instead
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


def _signed_in() -> bool:
    """Whether this response was made for a signed-in reader: a login session (pages) or an
    API token (the API). Only signed-in readers can see private groups and chat, so this
    covers every response with private content."""
    if g.get("api_user") is not None:
        return True
    return bool(current_user and current_user.is_authenticated)


def unread_notifications() -> int:
    """The signed-in reader's unread notification count for the header: one query per
    request, kept on `g`; 0 for anonymous visitors (no query)."""
    if "unread_notifications" not in g:
        signed_in = current_user and current_user.is_authenticated
        try:
            g.unread_notifications = unread_count(current_user._get_current_object()) \
                if signed_in else 0
        except SQLAlchemyError:  # an error page after a failed write: show the page anyway
            log.exception("unread notification count failed")
            rollback()
            g.unread_notifications = 0
    return g.unread_notifications


def save_data() -> bool:
    """Whether the reader's browser asks to save data (`Save-Data: on`): no live updates,
    shorter lists. Responses that depend on it say so (Vary: Save-Data)."""
    g.varies_on_save_data = True
    return request.headers.get("Save-Data", "").strip().lower() == "on"


def live_updates() -> bool:
    """Whether this page may go live (load the Socket.IO client): not when saving data."""
    return not save_data()


def compress(response):
    """Text responses gzipped or brotli-compressed for clients that accept it (static files
    and cached pages come already compressed)."""
    if request.endpoint == "static" or request.method == "HEAD":
        return response
    return compress_response(request, response)


def register_web_hooks(app: Flask) -> None:
    """Headers on every response, compression, static files, helpers in every template."""
    app.extensions[LINK_PARTS] = {}
    static_files.register_static_files(app)
    # Registered before the headers below and the page cache's hooks, so it runs after them
    # (Flask runs after_request hooks last registered first): it sees the final body.
    app.after_request(compress)

    @app.before_request
    def read_body_and_refuse_nul():
        """Read the whole body before any database work, and refuse NUL characters.

        Reading first means a slow client never holds a database transaction open while
        its body trickles in (under gevent that would stall the whole process on SQLite).
        NUL characters cannot be stored in PostgreSQL text: refuse them up front.
        """
        if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
            request.get_data(cache=True, parse_form_data=True)
        values = [request.path, *request.args.values()]
        if request.method != "GET":
            values.extend(request.form.values())
        if any("\x00" in value for value in values):
            abort(400)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if app.config.get("HTTPS"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if g.get("varies_on_save_data"):
            response.vary.add("Save-Data")
        if request.endpoint != "static" and _signed_in():
            # Made for one reader: their name, their private groups, their DMs. No shared
            # cache (a proxy, a library's gateway) may keep it, nor the browser's disk.
            response.headers["Cache-Control"] = "private, no-store"
        elif request.path.startswith("/api/") or getattr(g, "no_store", False):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def template_helpers():
        return {
            "csrf_token": generate_csrf,
            "current_locale": lambda: str(get_locale()),
            # One fingerprint of every static file (the same on every process).
            "static_version": app.config["STATIC_VERSION"],
            "unread_notifications": unread_notifications,
            "live_updates": live_updates,
            # Whether a page exists (links to pages another part of the app may not have).
            "has_endpoint": app.view_functions.__contains__,
        }

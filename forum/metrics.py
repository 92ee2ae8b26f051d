"""What an operator watches: Prometheus metrics (off by default) and JSON logs on request.

FORUM_METRICS (config.METRICS) turns the metrics on, one of two ways, never public by
accident:

- `HOST:PORT` (e.g. 127.0.0.1:9101): each process serves them on a listener of its own,
  beside the forum's port, which the proxy never forwards;
- `endpoint`: the forum's own `/metrics`, answered only to `Authorization: Bearer
  <FORUM_METRICS_TOKEN>` (16 characters or more; 404 to anyone else, as when off).

Every process keeps its own numbers (one gunicorn worker per process): scrape each one.
Requests are counted by endpoint name (`qa.thread`, never the raw path) and status, with
a latency histogram; the sockets open per namespace and the chat messages stored are read
at scrape time; mails and rate-limit rejections are counted where they happen
(forum/mail.py and forum/ratelimit.py call count_mail() and count_rate_limited()).

FORUM_LOG_FORMAT=json writes every log record as one JSON object per line, and one access
line per request (logger `tacit.access`: method, route pattern, endpoint, status, time).
"""

from __future__ import annotations

import hmac
import json
import logging
import sys
import time
from datetime import UTC, datetime

import click
from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, start_http_server
from sqlalchemy import text

from forum.extensions import db, socketio

NAMESPACES = ("/chat", "/live")
MAIL_OUTCOMES = ("queued", "sent", "failed")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# One registry per process for what is counted as it happens; each app adds a collector of
# what is read at scrape time (it needs that app's database and sockets).
COUNTERS = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("tacit_http_requests", "HTTP requests answered, by endpoint and status.",
                   ["endpoint", "method", "status"], registry=COUNTERS)
LATENCY = Histogram("tacit_http_request_duration_seconds",
                    "Time from the request's start to its response, by endpoint.",
                    ["endpoint"], registry=COUNTERS,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
MAILS = Counter("tacit_mails", "Mails queued, sent (SMTP or outbox) and failed.",
                ["outcome"], registry=COUNTERS)
RATE_LIMITED = Counter("tacit_rate_limit_rejections", "Actions refused by a rate limit.",
                       ["limit"], registry=COUNTERS)
for _outcome in MAIL_OUTCOMES:
    MAILS.labels(_outcome)


def count_mail(outcome: str) -> None:
    """Count one mail queued, sent or failed (called by forum/mail.py)."""
    MAILS.labels(outcome).inc()


def count_rate_limited(setting: str) -> None:
    """Count one action refused by the limit named by its setting (LIMIT_POST_PER_USER...)."""
    RATE_LIMITED.labels(setting).inc()


class _ScrapeTimeCollector:
    """Numbers read when Prometheus asks: open sockets, chat messages stored."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self):
        yield from COUNTERS.collect()
        sockets = GaugeMetricFamily("tacit_sockets_open",
                                    "Socket.IO connections open on this process.",
                                    labels=["namespace"])
        rooms = getattr(getattr(socketio.server, "manager", None), "rooms", {}) or {}
        for namespace in sorted(set(NAMESPACES) | set(rooms)):
            sockets.add_metric([namespace], len(rooms.get(namespace, {}).get(None, ()) or ()))
        yield sockets
        stored = GaugeMetricFamily("tacit_chat_messages_stored",
                                   "Chat messages in the database (all processes).")
        with self.app.app_context():
            try:
                stored.add_metric([], db.session.execute(
                    text("SELECT count(*) FROM chat_messages")).scalar() or 0)
            finally:
                db.session.remove()
        yield stored


def exposition(app: Flask) -> bytes:
    """The metrics of this process in Prometheus' text format."""
    return generate_latest(app.extensions["tacit_metrics"])


def install(app: Flask) -> None:
    """Count requests and serve the metrics the way METRICS says (nothing when off);
    ValueError when the setting cannot be used."""
    mode = (app.config.get("METRICS") or "off").strip()
    if mode.lower() in ("", "off", "0", "no", "false"):
        return
    disable_created_metrics()  # no *_created series: a process's start time is enough
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ScrapeTimeCollector(app))
    app.extensions["tacit_metrics"] = registry
    app.before_request(_start_timer)
    app.after_request(_count_request)
    if mode == "endpoint":
        token = app.config.get("METRICS_TOKEN") or ""
        if len(token) < 16:
            raise ValueError("FORUM_METRICS=endpoint needs FORUM_METRICS_TOKEN (16 characters "
                             "or more): /metrics answers only to that bearer token")
        app.add_url_rule("/metrics", "metrics", _metrics_view)
        return
    host, _, port = mode.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"FORUM_METRICS must be off, endpoint or HOST:PORT, not {mode!r}")
    # Servers only: a `flask` command run beside them must not take (or fight for) the port.
    if click.get_current_context(silent=True) is None and not app.testing:
        try:
            start_http_server(int(port), addr=host.strip("[]") or "127.0.0.1",
                              registry=registry)
        except OSError as error:
            raise ValueError(f"FORUM_METRICS={mode}: cannot listen there ({error}); give "
                             "each process a port of its own") from error


def _start_timer() -> None:
    g._metrics_started = time.perf_counter()


def _count_request(response):
    endpoint = request.endpoint or "none"
    # Any token is a method to Werkzeug: unknown ones share one label, so that a client
    # cannot grow the number of series.
    method = request.method if request.method in METHODS else "other"
    REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    started = g.get("_metrics_started")
    if started is not None:
        LATENCY.labels(endpoint).observe(time.perf_counter() - started)
    return response


def _metrics_view():
    expected = current_app.config.get("METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if not given.startswith("Bearer ") or not hmac.compare_digest(
            given[7:].strip().encode(), expected.encode()):
        abort(404)
    response = Response(exposition(current_app), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- JSON logs ---------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, and what was passed in
    `extra={"fields": {...}}`; an exception's traceback as `exc`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


ACCESS_LOG = logging.getLogger("tacit.access")


def install_json_logs(app: Flask) -> None:
    """Send every log record to stderr as JSON, and log one access line per request."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    app.logger.handlers.clear()  # Flask's own handler would print a second, plain line
    app.before_request(_start_access_timer)
    app.after_request(_log_access)


def _start_access_timer() -> None:
    g._access_started = time.perf_counter()


def _log_access(response):
    started = g.get("_access_started")
    rule = request.url_rule
    ACCESS_LOG.info("%s %s %s", request.method, rule.rule if rule else "-",
                    response.status_code, extra={"fields": {
                        "method": request.method,
                        # The route's pattern, never the path: paths carry tokens
                        # (password resets, sign-in links).
                        "route": rule.rule if rule else None,
                        "endpoint": request.endpoint,
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2)
                        if started is not None else None,
                        "remote_addr": request.remote_addr,
                        "bytes": response.calculate_content_length(),
                    }})
    return response

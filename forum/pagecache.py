"""Whole pages for visitors who are not logged in, kept for a short while.

Most readers of a question are not signed in (they arrive from a search or a shared link,
often on a slow phone) and all of them get the same page. Rendering a long thread costs
several milliseconds of CPU; serving it again costs a dictionary lookup.

- Only GET requests, from visitors who are not logged in, to CACHED_ENDPOINTS, with no
  flashed message waiting, answered 200 with HTML.
- The key is the path with its query string, the interface language and whether the
  browser asks to save data (Save-Data: on gets no live updates and shorter lists).
- A page is served while it is younger than PAGE_CACHE_SECONDS (30 by default, so that
  "3 minutes ago" stays about right) and no write was committed since it was made: every
  commit that wrote rows a page may show (not chat messages, login sessions, tokens) moves a
  version on (in Redis when several processes share the work, so a write on one process
  reaches the others' caches). Writes made outside the application's session (SQL by hand,
  another program) are seen within PAGE_CACHE_SECONDS.
- The CSRF token of the visitor who caused the page is cut out when it is stored and the
  current visitor's own token put in when it is served (the footer's language form).
- The text around the token is kept gzipped too (forum.compression: in pieces that never
  see the token), so a hit for a client that accepts gzip costs no compression.
- At most PAGE_CACHE_BYTES of pages per app (one app per process when serving), kept in
  `app.extensions`; the least recently used go first.
- FORUM_PAGE_CACHE_SECONDS=0 turns it off (the tests do, except tests/test_pagecache.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

from flask import Flask, current_app, g, has_app_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event

from forum import redis
from forum.compression import Pieces, accepted_encoding, cut, encoded

log = logging.getLogger(__name__)

CACHED_ENDPOINTS = frozenset({
    "main.index", "qa.questions", "qa.question", "qa.tags", "qa.tag", "groups.index",
    "groups.group",
})

EXTENSION = "tacit_page_cache"


class PageStore:
    """One app's stored pages, kept in its `extensions`, so that two apps in one process
    (tests, or a command beside a server) never serve each other's pages."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # {key: (made at, version, the page cut around the CSRF token, size)}, least
        # recent first
        self.pages: OrderedDict[tuple, tuple[float, int, Pieces, int]] = OrderedDict()
        self.bytes = 0
        self.version = 0  # the version without Redis


def _page_store() -> PageStore:
    return current_app.extensions[EXTENSION]


# -- the version: any committed write makes every stored page old -----------------------


def _version_key() -> str:
    return redis.key("pages", "version")


def current_version() -> int:
    client = redis.client()
    if client is None:
        return _page_store().version
    try:
        return int(client.get(_version_key()) or 0)
    except Exception:
        log.exception("page cache: could not read the version from Redis")
        return -1  # never matches: render


def writes_committed() -> None:
    """Every page stored so far is old."""
    if not has_app_context():  # no app, so no pages of its own to make old
        return
    store = current_app.extensions.get(EXTENSION)
    if store is not None:
        with store.lock:
            store.version += 1
    client = redis.client()
    if client is not None:
        try:
            client.incr(_version_key())
        except Exception:
            log.exception("page cache: could not move the version on in Redis")


# Tables whose rows no cached page shows: writing them keeps the stored pages.
QUIET_TABLES = frozenset({
    "chat_messages", "chat_message_revisions", "chat_room_members", "chat_rooms",
    "login_sessions", "api_tokens", "password_resets",
})


def _note_flush(db_session, flush_context) -> None:
    # In after_flush, new/dirty/deleted still hold what this flush wrote.
    for obj in (*db_session.new, *db_session.dirty, *db_session.deleted):
        if getattr(obj, "__tablename__", None) not in QUIET_TABLES:
            db_session.info["pages_changed"] = True
            return


def _note_statement(orm_execute_state) -> None:
    # UPDATE/INSERT/DELETE statements run through the session (counters, bulk inserts).
    if orm_execute_state.is_insert or orm_execute_state.is_update \
            or orm_execute_state.is_delete:
        table = getattr(orm_execute_state.statement, "table", None)
        if getattr(table, "name", None) not in QUIET_TABLES:
            orm_execute_state.session.info["pages_changed"] = True


def _after_commit(db_session) -> None:
    if db_session.info.pop("pages_changed", False):
        writes_committed()


def _after_rollback(db_session, previous_transaction=None) -> None:
    db_session.info.pop("pages_changed", None)


# -- storing and serving -------------------------------------------------------------------


def _key() -> tuple | None:
    """This request's key, or None when its page must not come from or go to the cache."""
    if request.method != "GET" or request.endpoint not in CACHED_ENDPOINTS:
        return None
    if current_user.is_authenticated or session.get("_flashes"):
        return None
    save_data = request.headers.get("Save-Data", "").strip().lower() == "on"
    return (request.full_path, str(get_locale()), save_data)


def _serve():
    seconds = current_app.config.get("PAGE_CACHE_SECONDS", 0)
    if not seconds:
        return None
    key = _key()
    if key is None:
        return None
    version = current_version()
    g.page_cache = (key, version)
    store = _page_store()
    with store.lock:
        found = store.pages.get(key)
        if found is not None:
            made, made_version, parts, _size = found
            if made_version != version or time.monotonic() - made > seconds:
                _drop(store, key)
                found = None
            else:
                store.pages.move_to_end(key)
    if found is None:
        return None
    g.page_cache_hit = True
    token = generate_csrf().encode()
    secrets = [token] * len(parts.secret_lengths)
    response = current_app.response_class(mimetype="text/html")
    response.vary.update(("Accept-Encoding", "Save-Data"))
    body = parts.gzip(secrets) if accepted_encoding(request, brotli_ok=False) else None
    if body is None:
        response.set_data(parts.identity(secrets))
        return response
    return encoded(response, body, "gzip")


def _store(response):
    found = g.get("page_cache")
    if found is None or g.get("page_cache_hit") or response.status_code != 200 \
            or response.mimetype != "text/html" or response.direct_passthrough:
        return response
    if session.get("_flashes") or current_user.is_authenticated:
        return response
    key, version = found
    body = response.get_data()
    limit = current_app.config.get("PAGE_CACHE_BYTES", 16 * 1024 * 1024)
    if len(body) > limit // 4:
        return response
    token = generate_csrf().encode()
    texts = body.split(token)
    parts = cut(texts, [len(token)] * (len(texts) - 1))
    size = len(body) + sum(len(piece) for piece in parts.deflated)
    response.vary.add("Accept-Encoding")
    if accepted_encoding(request, brotli_ok=False):
        encoded(response, parts.gzip([token] * (len(texts) - 1)), "gzip")
    store = _page_store()
    with store.lock:
        _drop(store, key)
        store.pages[key] = (time.monotonic(), version, parts, size)
        store.bytes += size
        while store.bytes > limit and store.pages:
            _drop(store, next(iter(store.pages)))
    return response


def _drop(store: PageStore, key) -> None:
    """Forget one page (the caller holds store.lock)."""
    found = store.pages.pop(key, None)
    if found is not None:
        store.bytes -= found[3]


def register_page_cache(app: Flask, db) -> None:
    """Serve and store pages around the views; every committed write makes them old."""
    app.extensions[EXTENSION] = PageStore()
    for name, listener in (("after_flush", _note_flush), ("do_orm_execute", _note_statement),
                           ("after_commit", _after_commit),
                           ("after_soft_rollback", _after_rollback)):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
    app.before_request(_serve)
    app.after_request(_store)

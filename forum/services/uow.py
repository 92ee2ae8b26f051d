"""The unit of work: the one place where a transaction is committed.

Every write service runs inside `unit_of_work()` (usually through `@transactional`). The
outermost block commits when it ends without an error, then sends what the write queued
with `after_commit()` (live events, notifications, mails): after the commit succeeded, never
before, and never for a write that was rolled back. Inner blocks, a service called by another
service, join the outer one: they add rows and queue events, and the outermost decides. A
failure inside an inner block dooms the whole unit, even when the outer block catches it, so
half a write can never be committed (like Django's `atomic` without savepoints).

`savepoint()` is the exception to that rule: a block that may fail on a unique constraint
(two people creating the same row at once) and be retried, without losing the rest.

SQLite takes its write lock only when a transaction first writes. Reads, authorization,
validation and Markdown rendering happen before that, in a plain deferred transaction
beside the writers, so a slow render never holds other writers back. At the first write
statement the read transaction ends and `BEGIN IMMEDIATE` queues for the lock (a Python loop,
friendly to gevent); what was read before then is as fresh as a PostgreSQL READ COMMITTED
read, and counters move with `x = x + delta` in SQL. A service that must read and write one
consistent state (a vote changing a vote) calls `lock_for_write()` before it reads, as
PostgreSQL code takes a row lock with SELECT ... FOR UPDATE.
"""

from __future__ import annotations

import functools
import logging
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from forum.extensions import db

log = logging.getLogger(__name__)

_DEPTH = "tacit_uow_depth"
_DOOMED = "tacit_uow_doomed"
_QUEUE = "tacit_after_commit"
_KEEP_LOADED = "tacit_uow_keep_loaded"


class UnitOfWorkFailed(RuntimeError):
    """An inner block failed and the outer block went on as if nothing happened."""


def _session() -> Session:
    return db.session()


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Open a write, or join the one already open. The outermost block commits, then runs
    the after-commit queue; on an exception it rolls back and drops the queue."""
    session = _session()
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        yield session
        if depth == 0:
            if session.info.get(_DOOMED):
                raise UnitOfWorkFailed("a nested write failed; the whole write is undone")
            _commit(session)
    except BaseException:
        if depth == 0:
            _discard(session)
        else:
            session.info[_DOOMED] = True
        raise
    finally:
        session.info[_DEPTH] = depth
        if depth == 0:
            session.info.pop(_DOOMED, None)
            session.info.pop(_KEEP_LOADED, None)
    if depth == 0:
        _run_queue(session)


def transactional(fn: Callable) -> Callable:
    """Run a service function inside unit_of_work() (joining the caller's, if any)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        with unit_of_work():
            return fn(*args, **kwargs)

    return run


def in_unit_of_work() -> bool:
    """Whether a write is open in this context."""
    return _session().info.get(_DEPTH, 0) > 0


def after_commit(callback: Callable, *args, **kwargs) -> None:
    """Queue `callback(*args, **kwargs)` to run once the current write has committed.

    Raises RuntimeError outside a unit of work: an event about a write nobody commits is a
    bug, not something to send at once.
    """
    session = _session()
    if session.info.get(_DEPTH, 0) == 0:
        raise RuntimeError("after_commit() needs an open unit_of_work()")
    session.info.setdefault(_QUEUE, []).append((callback, args, kwargs))


@contextmanager
def savepoint() -> Iterator[None]:
    """A block that can fail (IntegrityError, say) and be undone alone, inside a write.

    What it queued with after_commit() is dropped with it.
    """
    session = _session()
    if session.info.get(_DEPTH, 0) == 0:
        raise RuntimeError("savepoint() needs an open unit_of_work()")
    queued = len(session.info.get(_QUEUE, ()))
    try:
        with session.begin_nested():
            yield
    except BaseException:
        del session.info.setdefault(_QUEUE, [])[queued:]
        raise


def keep_loaded_after_commit() -> None:
    """Leave the objects of the current write loaded after its commit (no reload, so no
    database connection, when the caller reads them afterwards: the chat send path)."""
    _session().info[_KEEP_LOADED] = True


def _commit(session: Session) -> None:
    if not session.info.get(_KEEP_LOADED):
        session.commit()
        return
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def rollback() -> None:
    """Undo whatever the current context wrote and drop its queue (error handlers)."""
    _discard(_session())


def _discard(session: Session) -> None:
    session.info.pop(_QUEUE, None)
    try:
        session.rollback()
    except Exception:  # the database itself may be what failed
        log.exception("rollback failed")


def _run_queue(session: Session) -> None:
    """Run the callbacks queued by the write that just committed, in order. A failing one is
    logged: the write stands, and the others still go out."""
    while True:
        queue = session.info.pop(_QUEUE, None)
        if not queue:
            return
        for callback, args, kwargs in queue:
            try:
                callback(*args, **kwargs)
            except Exception:
                log.exception("after-commit callback %s failed",
                              getattr(callback, "__qualname__", callback))


def _drop_queue(session: Session, previous_transaction) -> None:
    # The whole transaction rolled back (a savepoint's rollback is savepoint()'s business):
    # nothing queued may go out.
    if previous_transaction.parent is None:
        session.info.pop(_QUEUE, None)


def install(app) -> None:
    """Drop the after-commit queue whenever the session rolls back (once per process)."""
    if not event.contains(db.session, "after_soft_rollback", _drop_queue):
        event.listen(db.session, "after_soft_rollback", _drop_queue)


# -- SQLite: the write lock only when writing -------------------------------------------------

SQLITE_LOCK_WAIT = 30.0  # seconds a transaction waits for the write lock before failing
_STATE = "tacit_sqlite_transaction"  # "pending" (no BEGIN sent yet), "read" or "write"
_READ_ONLY = re.compile(r"\s*\(*\s*(SELECT|PRAGMA|EXPLAIN|BEGIN|COMMIT|ROLLBACK|RELEASE)\b", re.I)
_WRITE_WORD = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.I)


def cooperative() -> bool:
    """True under gevent (make serve), where a wait inside SQLite's C code freezes the
    process."""
    monkey = sys.modules.get("gevent.monkey")  # gevent is an extra: only loaded when serving
    return monkey is not None and monkey.is_module_patched("threading")


def _writes(statement: str) -> bool:
    """Whether a statement may write (or open a savepoint, which must hold the lock)."""
    if statement[:6] == "SELECT" or _READ_ONLY.match(statement):
        return False
    if statement.lstrip()[:4].upper() == "WITH":
        return bool(_WRITE_WORD.search(statement))
    return True


def _take_lock(raw: sqlite3.Connection) -> None:
    """End the deferred read transaction and queue for the write lock (BEGIN IMMEDIATE).

    The loop sleeps between tries (a gevent-friendly sleep under `make serve`), where
    SQLite's own busy wait would freeze every greenlet of the process.
    """
    if raw.in_transaction:
        raw.execute("COMMIT")  # only reads happened in it: nothing to lose
    deadline = time.monotonic() + SQLITE_LOCK_WAIT
    pause = 0.001
    while True:
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error).lower() or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.05)


def lock_for_write() -> None:
    """Take SQLite's write lock now, before reading what the write depends on (PostgreSQL:
    nothing to do; use SELECT ... FOR UPDATE there)."""
    connection = _session().connection()
    if connection.info.get(_STATE) in (None, "write"):  # PostgreSQL, or locked already
        return
    _take_lock(connection.connection.dbapi_connection)
    connection.info[_STATE] = "write"


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    """SQLite: WAL, a busy timeout, foreign keys, and transactions we start ourselves."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Take over transaction control from pysqlite, so that our BEGINs are the only ones.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # Under gevent the long wait happens in _take_lock, in Python, where other greenlets
    # (the lock holder among them) can run; SQLite itself only waits briefly.
    cursor.execute(f"PRAGMA busy_timeout={20 if cooperative() else 30000}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    """SQLite: a transaction starts with its first statement (see below)."""
    if conn.dialect.name == "sqlite":
        conn.info[_STATE] = "pending"


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_before_execute(conn, cursor, statement, parameters, context, executemany):
    """SQLite: a transaction whose first statement reads begins deferred, beside the writer
    (WAL); the first statement that writes takes the write lock (BEGIN IMMEDIATE, ending
    the read transaction if there was one)."""
    state = conn.info.get(_STATE)
    if state is None or state == "write":  # PostgreSQL, or the lock is held
        return
    if _writes(statement):
        _take_lock(cursor.connection)
        conn.info[_STATE] = "write"
    elif state == "pending":
        cursor.connection.execute("BEGIN")
        conn.info[_STATE] = "read"

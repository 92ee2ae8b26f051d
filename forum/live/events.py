"""Handlers of the /live namespace (pages subscribe to updates; nothing is written here).

Every event answers with an ack, `{ok: true}` or `{ok: false, error: {code, message}}`, and
never raises: a bad payload must not cost the socket its connection. The reader is looked
up again at every event (realtime.socket_user()), so a logout, an expired session or a lost
membership counts from the next event on: then the socket also leaves the rooms of the
questions it may no longer read.
"""

import logging

from flask import request
from flask_babel import gettext as _
from flask_socketio import join_room, leave_room, rooms

from forum.errors import NotFound
from forum.extensions import db, socketio
from forum.realtime import LIVE_NAMESPACE, question_room, socket_user
from forum.web import reads_only

log = logging.getLogger(__name__)

ROOM_PREFIX = question_room(0)[:-1]  # "question:"
MAX_ID = 2**31 - 1  # the id columns are 32-bit integers on PostgreSQL
MAX_WATCHED = 20  # a page watches one question, and each tab has its own socket


@socketio.on("connect", namespace=LIVE_NAMESPACE)
def on_connect(auth=None):
    """Anyone may watch public pages, anonymous readers included."""
    return True


def _error(code: str, message: str, fields: dict | None = None) -> dict:
    error = {"code": code, "message": str(message)}
    if fields:
        error["fields"] = {key: str(value) for key, value in fields.items()}
    return {"ok": False, "error": error}


def _question_id(payload) -> tuple[int | None, dict | None]:
    """The question id of a payload `{question_id: int}`, or the ack refusing it."""
    value = payload.get("question_id") if isinstance(payload, dict) else None
    if isinstance(value, bool) or not isinstance(value, int):
        reason = _("Must be a whole number.")
    elif value < 1:
        reason = _("Must be at least 1.")
    elif value > MAX_ID:
        reason = _("At most %(n)d.", n=MAX_ID)
    else:
        return value, None
    return None, _error("invalid", _("Some fields are not valid."), {"question_id": reason})


def _watched() -> list[int]:
    """The ids of the questions this socket watches."""
    found = []
    for room in rooms(namespace=LIVE_NAMESPACE):
        if isinstance(room, str) and room.startswith(ROOM_PREFIX):
            try:
                found.append(int(room[len(ROOM_PREFIX):]))
            except ValueError:
                continue
    return found


def _readable(user, question_id: int) -> bool:
    from forum.services.qa import get_question

    try:
        get_question(user, question_id)
    except NotFound:
        return False
    return True


def _prune(user) -> None:
    """Leave the rooms of questions this reader may no longer read (logout, membership)."""
    for question_id in _watched():
        if not _readable(user, question_id):
            leave_room(question_room(question_id), namespace=LIVE_NAMESPACE)


def _safely(handler):
    """Run a handler; an unexpected failure becomes an error ack, never a dropped socket."""

    def run(*args):
        # A client may send no payload or several: the handler sees the first one only.
        reads_only()  # /live events never write
        try:
            return handler(args[0] if args else None)
        except Exception:
            log.exception("/live %s failed (sid %s)", handler.__name__,
                          getattr(request, "sid", "?"))
            try:
                db.session.rollback()
            except Exception:  # the database itself may be what failed
                pass
            return _error("server_error", _("Something went wrong on our side. "
                                            "Please try again later."))

    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


@socketio.on("watch_question", namespace=LIVE_NAMESPACE)
@_safely
def on_watch_question(payload=None):
    """Join the room of a question the reader may read; not_found otherwise (private too)."""
    question_id, refusal = _question_id(payload)
    if refusal:
        return refusal
    user = socket_user()
    _prune(user)
    if not _readable(user, question_id):
        return _error("not_found", _("No such question."))
    watched = _watched()
    if question_id not in watched and len(watched) >= MAX_WATCHED:
        return _error("too_many", _("At most %(n)d items.", n=MAX_WATCHED))
    join_room(question_room(question_id), namespace=LIVE_NAMESPACE)
    return {"ok": True}


@socketio.on("unwatch_question", namespace=LIVE_NAMESPACE)
@_safely
def on_unwatch_question(payload=None):
    """Leave the room of a question (watched or not: the ack is the same)."""
    question_id, refusal = _question_id(payload)
    if refusal:
        return refusal
    leave_room(question_room(question_id), namespace=LIVE_NAMESPACE)
    _prune(socket_user())
    return {"ok": True}

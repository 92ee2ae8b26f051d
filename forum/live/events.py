"""Handlers of the /live namespace (pages subscribe to updates; nothing is written here).

Every event answers with an ack, `{ok: true}` or `{ok: false, error: {code, message}}`, and
never raises: a bad payload must not cost the socket its connection.

A socket that connects with a live login session joins its session's and its user's private
rooms (forum.realtime.registry), so that access lost elsewhere reaches it at once, on any
process: a logout, a password change or reset and account deletion disconnect it (the page
may connect again, anonymously); a removal from a private group or a role change takes it
out of the rooms of the questions it may no longer read (forum.services.watchers). The
reader is also looked up again at every event (socket_session_user()), and the socket then
leaves the rooms of questions it may no longer read (an expired session, say).
"""

import logging

from flask import request
from flask_babel import gettext as _
from flask_socketio import ConnectionRefusedError, join_room, leave_room, rooms

from forum.errors import (
    NotFound,
    TooManyConnections,
    socket_connect_refusal,
    socket_error,
    socket_internal_error,
)
from forum.extensions import socketio
from forum.realtime import LIVE_NAMESPACE, caps, question_room, registry
from forum.services import inputs, uow
from forum.services.accounts import (
    authenticate_socket,
    socket_session_channels,
    socket_session_user,
)
from forum.services.qa import get_question

log = logging.getLogger(__name__)

ROOM_PREFIX = question_room(0)[:-1]  # "question:"
MAX_WATCHED = 20  # a page watches one question, and each tab has its own socket


@socketio.on("connect", namespace=LIVE_NAMESPACE)
def on_connect(auth=None):
    """Anyone may watch public pages, anonymous readers included; a signed-in socket joins
    its login session's (or API token's) and its user's private rooms, where its
    notifications arrive. A socket with an API token watches questions as an anonymous
    reader: watching private questions needs the session cookie."""
    token_sent = isinstance(auth, dict) and "token" in auth
    try:
        if token_sent:  # an API client: its token's and its user's rooms (notifications)
            credential = authenticate_socket(auth)
            channels = credential.channels if credential else None
        else:
            channels = socket_session_channels()
    except Exception:  # never a TypeError out of here: Flask-SocketIO would call us again
        log.exception("/live connect failed")
        uow.rollback()
        raise ConnectionRefusedError("internal") from None
    if channels is None:  # a token was sent and is not valid: never anonymous instead
        raise ConnectionRefusedError("unauthorized")
    # Anonymous readers count against their address's cap only.
    if not caps.admit(request.sid, user_channel=caps.user_of(channels),
                      ip=request.remote_addr):
        raise ConnectionRefusedError(*socket_connect_refusal(TooManyConnections()))
    if channels:
        for channel in channels:
            join_room(channel, namespace=LIVE_NAMESPACE)
        registry.register_live_socket(request.sid, channels)
    return True


@socketio.on("disconnect", namespace=LIVE_NAMESPACE)
def on_disconnect(reason=None):
    """Free its place under the caps, and forget the socket (if it was signed in)."""
    try:
        caps.release(request.sid)
        registry.forget_live_socket(request.sid)
    except Exception:
        log.exception("/live disconnect cleanup failed (sid %s)", request.sid)


def _question_id(payload) -> tuple[int | None, dict | None]:
    """The question id of a payload `{question_id: int}`, or the ack refusing it."""
    errors: dict = {}
    value = inputs.id_field(payload.get("question_id") if isinstance(payload, dict) else None,
                            "question_id", errors)
    if errors:
        return None, socket_error("invalid", _("Some fields are not valid."), errors)
    return value, None


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


def _readable(user, question_id: int):
    """The question if this reader may read it, else None."""
    try:
        return get_question(user, question_id)
    except NotFound:
        return None


def _leave(question_id: int) -> None:
    leave_room(question_room(question_id), namespace=LIVE_NAMESPACE)
    registry.forget_watch(request.sid, [question_id])


def _prune(user) -> None:
    """Leave the rooms of questions this reader may no longer read (logout, membership)."""
    for question_id in _watched():
        if not _readable(user, question_id):
            _leave(question_id)


def _safely(handler):
    """Run a handler; an unexpected failure becomes an error ack, never a dropped socket."""

    def run(*args):
        # A client may send no payload or several: the handler sees the first one only.
        try:
            return handler(args[0] if args else None)
        except Exception:
            log.exception("/live %s failed (sid %s)", handler.__name__,
                          getattr(request, "sid", "?"))
            uow.rollback()
            return socket_internal_error()

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
    user = socket_session_user()
    _prune(user)
    question = _readable(user, question_id)
    if question is None:
        return socket_error("not_found", _("No such question."))
    watched = _watched()
    if question_id not in watched and len(watched) >= MAX_WATCHED:
        return socket_error("too_many", _("At most %(n)d items.", n=MAX_WATCHED))
    join_room(question_room(question_id), namespace=LIVE_NAMESPACE)
    if user is not None:
        registry.record_watch(request.sid, question_id)
        if question.group.private or question.is_deleted:
            # Access taken away between the check above and the join looked for this
            # socket's rooms before it was in this one: ask again, in a fresh transaction
            # (SQLite would answer from the first read's snapshot).
            uow.rollback()
            if _readable(socket_session_user(), question_id) is None:
                _leave(question_id)
                return socket_error("not_found", _("No such question."))
    return {"ok": True}


@socketio.on("unwatch_question", namespace=LIVE_NAMESPACE)
@_safely
def on_unwatch_question(payload=None):
    """Leave the room of a question (watched or not: the ack is the same)."""
    question_id, refusal = _question_id(payload)
    if refusal:
        return refusal
    _leave(question_id)
    _prune(socket_session_user())
    return {"ok": True}

"""Handlers of the /chat namespace (API.md, "Socket.IO namespace /chat").

Connecting needs a credential: the session cookie with `auth: {csrf: <token of the page>}`,
or `auth: {token: <API token>}`; anything else is refused. The socket then joins private
rooms named after its credential and its user, so that ending a login session (or every
session of a user) can disconnect it on any process (forum.realtime.registry.end_sockets).

Every event answers with an ack, `{ok: true, ...}` or `{ok: false, error: {code, message,
fields?}}`, and never raises. Before anything else each event checks again that the
credential is still live: a logout, a password change or a revoked token disconnects the
socket at its next event, with an `unauthorized` ack. Events about a room need the room
joined on this socket first; the services check again that the user may still enter it.
"""

import logging
import time

from flask import request
from flask_babel import gettext as _
from flask_socketio import ConnectionRefusedError, disconnect, join_room, leave_room, rooms

from forum.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceError,
    TooManyConnections,
    socket_connect_refusal,
    socket_error,
    socket_internal_error,
    socket_refusal,
)
from forum.extensions import socketio
from forum.realtime import CHAT_NAMESPACE, caps, presence, registry, room_channel, user_channel
from forum.realtime import chat as chat_emits
from forum.realtime.registry import SocketInfo
from forum.schemas import message_json
from forum.services import chat, uow
from forum.services.accounts import authenticate_socket, socket_credential_user
from forum.services.inputs import require_id

log = logging.getLogger(__name__)

ROOM_PREFIX = room_channel(0)[:-1]  # "room:"
MAX_JOINED = 50  # chat rooms one socket may be in at once
MAX_FIELDS = 8
TYPING_INTERVAL = 1.0  # seconds: more frequent typing events are acknowledged, not relayed


# -- connecting --------------------------------------------------------------------------


@socketio.on("connect", namespace=CHAT_NAMESPACE)
def on_connect(auth=None):
    """Signed-in users only: a live login session with its CSRF token, or a live API token."""
    try:
        credential = authenticate_socket(auth)
    except Exception:  # never a TypeError out of here: Flask-SocketIO would call us again
        log.exception("/chat connect failed")
        uow.rollback()
        credential = None
    if credential is None:
        raise ConnectionRefusedError("unauthorized")
    if not caps.admit(request.sid, user_channel=user_channel(credential.user.id),
                      ip=request.remote_addr):
        raise ConnectionRefusedError(*socket_connect_refusal(TooManyConnections()))
    info = SocketInfo(user_id=credential.user.id, username=credential.user.username,
                      channels=credential.channels, api_token=credential.api_token)
    for channel in info.channels:
        join_room(channel)
    registry.register_socket(request.sid, info)
    return True


@socketio.on("disconnect", namespace=CHAT_NAMESPACE)
def on_disconnect(reason=None):
    """Forget the socket and tell the rooms it was in who is still there."""
    sid = request.sid
    try:
        caps.release(sid)
        registry.forget_socket(sid)
        for room_id in _joined():
            presence.leave(room_id, sid)
            presence.announce(room_id, skip_sid=sid)
    except Exception:
        log.exception("/chat disconnect cleanup failed (sid %s)", sid)


# -- the event wrapper -------------------------------------------------------------------


def _event(name: str):
    """Register a /chat handler taking (user, socket info, payload), wrapped so that a dead
    credential disconnects the socket and any failure becomes an error ack."""

    def decorate(handler):
        def run(*args):
            payload = args[0] if args else None
            try:
                info = registry.socket_info(request.sid)
                user = socket_credential_user(info.user_id, info.api_token) if info else None
                if user is None:
                    disconnect()
                    return socket_error("unauthorized",
                                        _("Your session has ended. Please log in again."))
                return handler(user, info, payload)
            except ServiceError as error:  # its unit of work, if any, rolled back already
                return socket_refusal(error)
            except Exception:
                log.exception("/chat %s failed (sid %s)", name, getattr(request, "sid", "?"))
                uow.rollback()
                return socket_internal_error()

        run.__name__ = f"on_{name}"
        run.__doc__ = handler.__doc__
        socketio.on(name, namespace=CHAT_NAMESPACE)(run)
        return handler

    return decorate


def _fields(payload, required: set[str], optional: set[str] = frozenset()) -> dict:
    """The payload object; unknown or missing fields are refused (invalid)."""
    if not isinstance(payload, dict):
        raise InvalidInput(_("Send an object with the event's fields."))
    if len(payload) > MAX_FIELDS:
        raise InvalidInput(_("Too many fields."))
    errors = {str(key): _("Unknown field.") for key in payload
              if key not in required and key not in optional}
    errors.update({key: _("This field is required.") for key in required if key not in payload})
    if errors:
        raise InvalidInput(fields=errors)
    return payload


def _joined() -> list[int]:
    """The chat rooms this socket is in."""
    found = []
    for name in rooms(namespace=CHAT_NAMESPACE):
        if isinstance(name, str) and name.startswith(ROOM_PREFIX):
            try:
                found.append(int(name[len(ROOM_PREFIX):]))
            except ValueError:
                continue
    return found


def _require_joined(user, room_id: int) -> None:
    """Refuse events about a room this socket has not joined: with the room's own refusal
    (not_found for a room the user may not enter, site roles included), else forbidden."""
    if not registry.in_room(request.sid, room_id):
        chat.get_room(user, room_id)
        raise PermissionDenied(_("Join this room first."))


def _leave(room_id: int) -> None:
    sid = request.sid
    leave_room(room_channel(room_id))
    presence.leave(room_id, sid)
    presence.announce(room_id)


def _in_room(user, room_id: int, action):
    """Run a service call about a joined room; a user who may no longer enter the room
    (membership lost) leaves it, so its broadcasts stop too."""
    _require_joined(user, room_id)
    try:
        return action()
    except (NotFound, PermissionDenied):
        if not chat.may_enter(user, room_id):
            _leave(room_id)
        raise


# -- events ------------------------------------------------------------------------------


@_event("join")
def on_join(user, info, payload):
    """Enter a room: ack with its last 50 messages (oldest first); presence to the room."""
    room_id = require_id(_fields(payload, {"room"})["room"], "room")
    room = chat.get_room(user, room_id)
    joined = _joined()
    if room.id not in joined and len(joined) >= MAX_JOINED:
        raise InvalidInput(_("At most %(n)d rooms per connection.", n=MAX_JOINED))
    # Join before reading, so a message sent meanwhile comes as an event (clients drop
    # duplicates by id) instead of falling into a gap.
    join_room(room_channel(room.id))
    presence.enter(room.id, request.sid, info.username,
                   moderator=chat.visits_as_moderator(user, room))
    messages, has_more = chat.history(user, room.id)
    presence.announce(room.id)
    return {"ok": True, "room": room.id,
            "messages": [message_json(m, viewer=user) for m in messages],
            "has_more": has_more}


@_event("leave")
def on_leave(user, info, payload):
    """Leave a room (joined or not: the ack is the same)."""
    room_id = require_id(_fields(payload, {"room"})["room"], "room")
    if registry.in_room(request.sid, room_id):
        _leave(room_id)
    return {"ok": True}


@_event("send_message")
def on_send_message(user, info, payload):
    """Post a message; acked once stored. A resent client_id acks the original."""
    data = _fields(payload, {"room", "body", "client_id"})
    room_id = require_id(data["room"], "room")
    message, _created = _in_room(user, room_id, lambda: chat.send_message(
        user, room_id, data["body"], data["client_id"]))
    return {"ok": True, "message": message_json(message, viewer=user)}


@_event("history")
def on_history(user, info, payload):
    """Older messages (`before`) or the ones after a gap (`after`), oldest first."""
    data = _fields(payload, {"room"}, {"before", "after", "limit"})
    room_id = require_id(data["room"], "room")
    options = {}
    if data.get("before") is not None:
        options["before"] = require_id(data["before"], "before")
    if data.get("after") is not None:
        options["after"] = require_id(data["after"], "after", minimum=0)
    if data.get("limit") is not None:
        options["limit"] = data["limit"]
    messages, has_more = _in_room(user, room_id, lambda: chat.history(user, room_id, **options))
    return {"ok": True, "room": room_id,
            "messages": [message_json(m, viewer=user) for m in messages],
            "has_more": has_more}


@_event("edit_message")
def on_edit_message(user, info, payload):
    """Change your own message; the room gets message_updated."""
    data = _fields(payload, {"id", "body"})
    message_id = require_id(data["id"], "id")
    message = chat.get_message(user, message_id)
    message = _in_room(user, message.room_id, lambda: chat.edit_message(user, message_id,
                                                                   data["body"]))
    return {"ok": True, "message": message_json(message, viewer=user)}


@_event("delete_message")
def on_delete_message(user, info, payload):
    """Delete your own message, or as a moderator any message of a room you are in; the
    room gets message_updated."""
    message_id = require_id(_fields(payload, {"id"})["id"], "id")
    message = chat.get_message(user, message_id)
    _require_joined(user, message.room_id)
    message = chat.delete_message(user, message_id)
    return {"ok": True, "message": message_json(message, viewer=user)}


@_event("read")
def on_read(user, info, payload):
    """Mark the room read up to a message (unread counts in GET /api/v1/chat/rooms)."""
    data = _fields(payload, {"room", "message_id"})
    room_id = require_id(data["room"], "room")
    message_id = require_id(data["message_id"], "message_id")
    position = _in_room(user, room_id, lambda: chat.mark_read(user, room_id, message_id))
    return {"ok": True, "room": room_id, "last_read_message_id": position}


@_event("typing")
def on_typing(user, info, payload):
    """Tell the others in the room that this user is typing (at most once a second)."""
    room_id = require_id(_fields(payload, {"room"})["room"], "room")
    _in_room(user, room_id, lambda: chat.get_room(user, room_id))
    now = time.monotonic()
    if now - info.last_typing >= TYPING_INTERVAL:
        info.last_typing = now
        chat_emits.typing(room_id, user.username, skip_sid=request.sid)
    return {"ok": True}

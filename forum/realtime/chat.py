"""The /chat namespace's events about messages (API.md, "Socket.IO namespace /chat").

Services send them after their commit; presence lives in forum.realtime.presence.
"""

from __future__ import annotations

import logging

from forum import redis
from forum.extensions import socketio
from forum.realtime import CHAT_NAMESPACE, room_channel
from forum.schemas import message_json

log = logging.getLogger(__name__)

SENT_TTL = 24 * 3600  # how long a "this message was broadcast" mark lives in Redis


def emit(event: str, payload: dict, room: str, *, skip_sid: str | None = None) -> None:
    """Send one /chat event to a Socket.IO room (every process's sockets in it)."""
    socketio.emit(event, payload, to=room, namespace=CHAT_NAMESPACE, skip_sid=skip_sid)


def _sent_key(message_id: int) -> str:
    return redis.key("chat", "sent", str(int(message_id)))


def chat_message(message, *, payload: dict | None = None) -> None:
    """A new message, to everybody in its room (the sender's sockets too).

    With several processes (Redis), a mark records that it went out, for
    chat_message_again().
    """
    emit("chat_message", payload or message_json(message), room_channel(message.room_id))
    client = redis.client()
    if client is not None:
        try:
            client.set(_sent_key(message.id), 1, ex=SENT_TTL)
        except Exception:
            log.exception("chat: could not mark a message as broadcast in Redis")


def chat_message_again(message) -> None:
    """A resent message: broadcast it if it never went out.

    The process that stored it may have died between its commit and its broadcast; the
    clients that stayed connected elsewhere would never see it (their history has no gap to
    fill). Without Redis there is one process, whose death disconnects every client, and
    each fills its gap with history after reconnecting. A race with a broadcast still in
    flight can send it twice; clients keep one message per id.
    """
    client = redis.client()
    if client is None:
        return
    try:
        if client.exists(_sent_key(message.id)):
            return
    except Exception:
        log.exception("chat: could not read a broadcast mark from Redis")
        return
    log.warning("chat: message %s was stored but never broadcast; broadcasting it now",
                message.id)
    chat_message(message)


def message_updated(message) -> None:
    """An edited, deleted or promoted message, to everybody in its room."""
    emit("message_updated", message_json(message), room_channel(message.room_id))


def typing(room_id: int, username: str, *, skip_sid: str) -> None:
    """Someone is typing: to the others in the room."""
    emit("typing", {"room": room_id, "username": username}, room_channel(room_id),
         skip_sid=skip_sid)

"""Which /chat sockets belong to which login session, API token or user, so that ending a
session ends its sockets on every process.

Socket.IO cannot disconnect a whole room, and a process only knows its own sockets; but
python-socketio's `Server.disconnect(sid)` reaches a socket on any process through the
message queue. So each process lists its local sockets itself (the Socket.IO manager), and
with a message queue (FORUM_REDIS_URL) every socket is also recorded in a Redis set per
private room (forum.realtime: user_channel, session_channel, token_channel), which any
process (or the command line) reads to disconnect them all.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from forum import redis
from forum.extensions import socketio
from forum.realtime import (
    CHAT_NAMESPACE,
    room_channel,
    session_channel,
    token_channel,
    user_channel,
)

log = logging.getLogger(__name__)

# Redis keys of the registry expire when nobody touched them for this long; a socket lives
# at most as long as its login session or API token (30 days by default).
REGISTRY_TTL = 31 * 24 * 3600


@dataclass
class SocketInfo:
    """What a /chat socket proved at connect, kept in this process while it is connected."""

    user_id: int
    username: str
    channels: tuple[str, ...]  # its private rooms: the credential's and the user's
    api_token: str | None = None  # re-checked at every event; None: the session cookie
    last_typing: float = 0.0


# This process's sockets, by sid. Process-wide, not per app, on purpose: a sid belongs to
# the process's one Socket.IO server (forum.extensions.socketio holds one server, which the
# last init_app built), whichever app handled its connect.
_SOCKETS: dict[str, SocketInfo] = {}
_LOCK = threading.Lock()


def _key(channel: str) -> str:
    return redis.key("chat", "sockets", channel)


def socket_info(sid: str) -> SocketInfo | None:
    """What the socket `sid` of this process proved at connect, or None (not connected)."""
    return _SOCKETS.get(sid)


def register_socket(sid: str, info: SocketInfo) -> None:
    """Remember a connected socket (here, and in Redis when several processes share work)."""
    with _LOCK:
        _SOCKETS[sid] = info
    client = redis.client()
    if client is None:
        return
    try:
        pipe = client.pipeline(transaction=False)
        for channel in info.channels:
            pipe.sadd(_key(channel), sid)
            pipe.expire(_key(channel), REGISTRY_TTL)
        pipe.execute()
    except Exception:  # the socket still works; each event re-checks its credential
        log.exception("chat: could not record socket %s in Redis", sid)


def forget_socket(sid: str) -> SocketInfo | None:
    """Forget a socket that disconnected."""
    with _LOCK:
        info = _SOCKETS.pop(sid, None)
    client = redis.client()
    if info is None or client is None:
        return info
    try:
        pipe = client.pipeline(transaction=False)
        for channel in info.channels:
            pipe.srem(_key(channel), sid)
        pipe.execute()
    except Exception:
        log.exception("chat: could not forget socket %s in Redis", sid)
    return info


def local_sids(channel: str) -> set[str]:
    """The sids of this process's /chat sockets in a Socket.IO room."""
    server = socketio.server
    if server is None:
        return set()
    return {sid for sid, _eio_sid in server.manager.get_participants(CHAT_NAMESPACE, channel)}


def sids_everywhere(channel: str) -> set[str]:
    """The sids of the /chat sockets in a private room, on every process (this one's alone
    without Redis)."""
    sids = local_sids(channel)
    client = redis.client()
    if client is not None:
        try:
            sids |= set(client.smembers(_key(channel)))
        except Exception:
            log.exception("chat: could not read the sockets of %s from Redis", channel)
    return sids


def in_room(sid: str, room_id: int) -> bool:
    """Whether this process's socket `sid` is in a chat room: one lookup (python-socketio's
    own rooms() walks every room of the namespace, two per connected socket)."""
    server = socketio.server
    if server is None:
        return False
    members = server.manager.rooms.get(CHAT_NAMESPACE, {}).get(room_channel(room_id))
    return members is not None and sid in members


def end_sockets(channel: str) -> int:
    """Disconnect every /chat socket in a private room, on whichever process holds it.

    Local sockets are disconnected here; the others through python-socketio's message queue
    (`Server.disconnect` publishes the request when the sid lives elsewhere). Returns how
    many sockets were asked to go.
    """
    sids = local_sids(channel)
    client = redis.client()
    if client is not None:
        try:
            key = _key(channel)
            pipe = client.pipeline(transaction=True)
            pipe.smembers(key)
            pipe.delete(key)
            members, _deleted = pipe.execute()
            sids |= set(members)
        except Exception:  # each event re-checks the credential anyway
            log.exception("chat: could not read the sockets of %s from Redis", channel)
    if socketio.server is None:
        return 0
    for sid in sorted(sids):
        try:
            socketio.server.disconnect(sid, namespace=CHAT_NAMESPACE)
        except Exception:
            log.exception("chat: could not disconnect socket %s", sid)
    return len(sids)


def end_session_sockets(session_hash: str) -> int:
    """Disconnect the /chat sockets of one login session (by its token hash), everywhere."""
    return end_sockets(session_channel(session_hash))


def end_user_sockets(user_id: int) -> int:
    """Disconnect every /chat socket of one user, everywhere."""
    return end_sockets(user_channel(user_id))


def end_token_sockets(token_id: int) -> int:
    """Disconnect the /chat sockets opened with one API token (by its id), everywhere."""
    return end_sockets(token_channel(token_id))

"""Which sockets belong to which login session, API token or user, so that ending a session
ends its sockets on every process, and losing access to a private question takes them out
of its room.

Socket.IO cannot disconnect a whole room, and a process only knows its own sockets; but
python-socketio's `Server.disconnect(sid)` and `Server.leave_room(sid, ...)` reach a socket
on any process through the message queue. So each process lists its local sockets itself
(the Socket.IO manager), and with a message queue (FORUM_REDIS_URL) every socket is also
recorded in a Redis set per private room (forum.realtime: user_channel, session_channel,
token_channel), which any process (or the command line) reads to disconnect them all.

/chat sockets all have a credential. /live sockets are recorded only when they connected
with a live login session (anonymous readers see public questions only, and cannot lose
access); with Redis, such a socket's watched questions are recorded too (at most
MAX_WATCHED), so that another process can tell which question rooms it must leave.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from forum import redis
from forum.extensions import socketio
from forum.realtime import (
    CHAT_NAMESPACE,
    LIVE_NAMESPACE,
    question_room,
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
# This process's signed-in /live sockets, by sid: the private rooms each joined at connect.
_LIVE: dict[str, tuple[str, ...]] = {}
_LOCK = threading.Lock()

_AREAS = {CHAT_NAMESPACE: "chat", LIVE_NAMESPACE: "live"}
QUESTION_PREFIX = question_room(0)[:-1]  # "question:"


def _key(channel: str, namespace: str = CHAT_NAMESPACE) -> str:
    return redis.key(_AREAS[namespace], "sockets", channel)


def _watching_key(sid: str) -> str:
    return redis.key("live", "watching", sid)


def socket_info(sid: str) -> SocketInfo | None:
    """What the socket `sid` of this process proved at connect, or None (not connected)."""
    return _SOCKETS.get(sid)


def register_socket(sid: str, info: SocketInfo) -> None:
    """Remember a connected socket (here, and in Redis when several processes share work)."""
    with _LOCK:
        _SOCKETS[sid] = info
    # If Redis fails, the socket still works: each event re-checks its credential.
    _record_in_redis(sid, info.channels, CHAT_NAMESPACE)


def _record_in_redis(sid: str, channels: tuple[str, ...], namespace: str) -> None:
    """List a socket under each of its private rooms in Redis (with several processes)."""
    client = redis.client()
    if client is None:
        return
    try:
        pipe = client.pipeline(transaction=False)
        for channel in channels:
            pipe.sadd(_key(channel, namespace), sid)
            pipe.expire(_key(channel, namespace), REGISTRY_TTL)
        pipe.execute()
    except Exception:
        log.exception("%s: could not record socket %s in Redis", namespace, sid)


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


def local_sids(channel: str, namespace: str = CHAT_NAMESPACE) -> set[str]:
    """The sids of this process's sockets of a namespace (/chat unless told) in a room."""
    server = socketio.server
    if server is None:
        return set()
    return {sid for sid, _eio_sid in server.manager.get_participants(namespace, channel)}


def sids_everywhere(channel: str, namespace: str = CHAT_NAMESPACE) -> set[str]:
    """The sids of the sockets of a namespace (/chat unless told) in a private room, on every
    process (this one's alone without Redis)."""
    sids = local_sids(channel, namespace)
    client = redis.client()
    if client is not None:
        try:
            sids |= set(client.smembers(_key(channel, namespace)))
        except Exception:
            log.exception("%s: could not read the sockets of %s from Redis",
                          _AREAS[namespace], channel)
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
    """Disconnect every /chat and signed-in /live socket in a private room, on whichever
    process holds it.

    Local sockets are disconnected here; the others through python-socketio's message queue
    (`Server.disconnect` publishes the request when the sid lives elsewhere). A /live page
    may connect again, as whoever its cookie now proves (anonymous after a logout). Returns
    how many sockets were asked to go.
    """
    ended = 0
    for namespace in (CHAT_NAMESPACE, LIVE_NAMESPACE):
        sids = local_sids(channel, namespace)
        client = redis.client()
        if client is not None:
            try:
                key = _key(channel, namespace)
                pipe = client.pipeline(transaction=True)
                pipe.smembers(key)
                pipe.delete(key)
                members, _deleted = pipe.execute()
                sids |= set(members)
            except Exception:  # each event re-checks the credential anyway
                log.exception("%s: could not read the sockets of %s from Redis",
                              _AREAS[namespace], channel)
        if socketio.server is None:
            continue
        for sid in sorted(sids):
            try:
                socketio.server.disconnect(sid, namespace=namespace)
            except Exception:
                log.exception("%s: could not disconnect socket %s", _AREAS[namespace], sid)
        ended += len(sids)
    return ended


def end_session_sockets(session_hash: str) -> int:
    """Disconnect the sockets of one login session (by its token hash), everywhere."""
    return end_sockets(session_channel(session_hash))


def end_user_sockets(user_id: int) -> int:
    """Disconnect every socket of one user, everywhere."""
    return end_sockets(user_channel(user_id))


def end_token_sockets(token_id: int) -> int:
    """Disconnect the sockets opened with one API token (by its id), everywhere."""
    return end_sockets(token_channel(token_id))


# -- /live: the question rooms of signed-in readers ----------------------------------------


def _question_ids(rooms) -> set[int]:
    found = set()
    for room in rooms:
        if isinstance(room, str) and room.startswith(QUESTION_PREFIX):
            try:
                found.add(int(room[len(QUESTION_PREFIX):]))
            except ValueError:
                continue
    return found


def register_live_socket(sid: str, channels: tuple[str, ...]) -> None:
    """Remember a /live socket that connected with a live login session and joined its
    private rooms `channels` (here, and in Redis when several processes share work)."""
    with _LOCK:
        _LIVE[sid] = channels
    # If Redis fails, losing access reaches this socket at its next event only.
    _record_in_redis(sid, channels, LIVE_NAMESPACE)


def forget_live_socket(sid: str) -> None:
    """Forget a /live socket that disconnected (anonymous ones were never recorded)."""
    with _LOCK:
        channels = _LIVE.pop(sid, None)
    client = redis.client()
    if channels is None or client is None:
        return
    try:
        pipe = client.pipeline(transaction=False)
        for channel in channels:
            pipe.srem(_key(channel, LIVE_NAMESPACE), sid)
        pipe.delete(_watching_key(sid))
        pipe.execute()
    except Exception:
        log.exception("live: could not forget socket %s in Redis", sid)


def record_watch(sid: str, question_id: int) -> None:
    """Note in Redis that this process's signed-in /live socket joined a question's room,
    for the other processes (nothing to do for anonymous sockets, or without Redis: the
    Socket.IO manager knows this process's rooms)."""
    client = redis.client()
    if client is None or sid not in _LIVE:
        return
    try:
        key = _watching_key(sid)
        pipe = client.pipeline(transaction=False)
        pipe.sadd(key, int(question_id))
        pipe.expire(key, REGISTRY_TTL)
        pipe.execute()
    except Exception:
        log.exception("live: could not record what socket %s watches", sid)


def forget_watch(sid: str, question_ids) -> None:
    """Note in Redis that this process's /live socket left these questions' rooms."""
    if sid in _LIVE:
        _forget_watched(sid, question_ids)


def _forget_watched(sid: str, question_ids) -> None:
    client = redis.client()
    ids = [int(question_id) for question_id in question_ids]
    if client is None or not ids:
        return
    try:
        client.srem(_watching_key(sid), *ids)
    except Exception:
        log.exception("live: could not forget what socket %s watches", sid)


def live_watching(channel: str) -> dict[str, set[int]]:
    """The questions watched by each signed-in /live socket of a private room (a user's or
    a login session's), by sid, on every process."""
    watching: dict[str, set[int]] = {}
    server = socketio.server
    local = local_sids(channel, LIVE_NAMESPACE)
    for sid in local:
        watching[sid] = _question_ids(server.manager.get_rooms(sid, LIVE_NAMESPACE))
    client = redis.client()
    if client is None:
        return watching
    try:
        remote = sorted(set(client.smembers(_key(channel, LIVE_NAMESPACE))) - local)
        if remote:
            pipe = client.pipeline(transaction=False)
            for sid in remote:
                pipe.smembers(_watching_key(sid))
            for sid, ids in zip(remote, pipe.execute(), strict=True):
                watching[sid] = {int(question_id) for question_id in ids}
    except Exception:
        log.exception("live: could not read the sockets of %s from Redis", channel)
    return watching


def leave_questions(sid: str, question_ids) -> None:
    """Take a /live socket out of these questions' rooms, on whichever process holds it
    (`Server.leave_room` publishes the request when the sid lives elsewhere)."""
    server = socketio.server
    ids = sorted({int(question_id) for question_id in question_ids})
    if server is None or not ids:
        return
    for question_id in ids:
        server.leave_room(sid, question_room(question_id), namespace=LIVE_NAMESPACE)
    _forget_watched(sid, ids)

"""The /chat namespace's plumbing: Socket.IO room names, the chat message object, emits made
by the chat services after they commit, presence, and which sockets belong to which login
session, API token or user, so that ending a session ends its sockets on every process.

Every /chat socket joins private Socket.IO rooms named after its user (`user:<id>`) and its
credential (`session:<sha256 of the login session token>` or `token:<API token id>`).
Socket.IO cannot disconnect a whole room, and a process only knows its own sockets; but
python-socketio's `Server.disconnect(sid)` reaches a socket on any process through the
message queue. So each process lists its local sockets itself (the Socket.IO manager), and
with a message queue (FORUM_REDIS_URL) every socket is also recorded in a Redis set per
private room, which any process (or the command line) reads to disconnect them all.
Presence works the same way: local rooms alone, or a Redis hash per chat room.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from flask import current_app

from forum.realtime import CHAT_NAMESPACE

log = logging.getLogger(__name__)

# Redis keys of the registry expire when nobody touched them for this long; a socket lives
# at most as long as its login session or API token (30 days by default).
REGISTRY_TTL = 31 * 24 * 3600
PRESENCE_TTL = 24 * 3600


# -- names ------------------------------------------------------------------------------


def room_channel(room_id: int) -> str:
    """The Socket.IO room of one chat room (by its integer id)."""
    return f"room:{int(room_id)}"


def user_channel(user_id: int) -> str:
    """The private Socket.IO room of every /chat socket of one user."""
    return f"user:{int(user_id)}"


def session_channel(session_hash: str) -> str:
    """The private Socket.IO room of the sockets of one login session (by its token hash)."""
    return f"session:{session_hash}"


def token_channel(token_id: int) -> str:
    """The private Socket.IO room of the sockets opened with one API token (by its id)."""
    return f"token:{int(token_id)}"


# -- the chat message object -------------------------------------------------------------


def message_json(message, *, viewer=None) -> dict:
    """The chat message object of API.md; a deleted message keeps its place, not its text.

    `body` (the Markdown source) is added for its author, who may edit it; broadcasts never
    carry it.
    """
    from forum.schemas import author_json, iso

    deleted = message.deleted_at is not None
    data = {
        "id": message.id,
        "room": message.room_id,
        "author": None if deleted else author_json(message.author),
        "body_html": "" if deleted else message.body_html,
        "client_id": message.client_id,
        "created_at": iso(message.created_at),
        "edited_at": iso(message.edited_at),
        "deleted": deleted,
        "promoted_question_id": message.promoted_question_id,
    }
    if not deleted and viewer is not None and getattr(viewer, "id", None) == message.author_id:
        data["body"] = message.body_source
    return data


# -- emits (services call these after their commit) ---------------------------------------


def _emit(event: str, payload: dict, room: str, *, skip_sid=None) -> None:
    from forum.extensions import socketio

    socketio.emit(event, payload, to=room, namespace=CHAT_NAMESPACE, skip_sid=skip_sid)


SENT_TTL = 24 * 3600  # how long a "this message was broadcast" mark lives in Redis


def chat_message(message, *, payload: dict | None = None) -> None:
    """A new message, to everybody in its room (the sender's sockets too).

    With several processes (Redis), a mark records that it went out, for
    chat_message_again().
    """
    _emit("chat_message", payload or message_json(message), room_channel(message.room_id))
    client = _redis()
    if client is not None:
        try:
            client.set(_key("sent", str(int(message.id))), 1, ex=SENT_TTL)
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
    client = _redis()
    if client is None:
        return
    try:
        if client.exists(_key("sent", str(int(message.id)))):
            return
    except Exception:
        log.exception("chat: could not read a broadcast mark from Redis")
        return
    log.warning("chat: message %s was stored but never broadcast; broadcasting it now",
                message.id)
    chat_message(message)


def message_updated(message) -> None:
    """An edited, deleted or promoted message, to everybody in its room."""
    _emit("message_updated", message_json(message), room_channel(message.room_id))


def typing(room_id: int, username: str, *, skip_sid: str) -> None:
    """Someone is typing: to the others in the room."""
    _emit("typing", {"room": room_id, "username": username}, room_channel(room_id),
          skip_sid=skip_sid)


# Presence throttling, per room and per process: {room id: [window end, changed since]}.
_PRESENCE_WINDOWS: dict[int, list] = {}


def presence(room_id: int, *, skip_sid: str | None = None) -> None:
    """Who is in the room now, to everybody in it.

    The first change goes out at once and opens a window of CHAT_PRESENCE_SECONDS; changes
    within it are sent together when it closes (the list as it is then), which opens the
    next. 200 sockets reconnecting after a restart send a few lists instead of 200 (20,100
    events to the room's sockets).
    """
    interval = float(current_app.config.get("CHAT_PRESENCE_SECONDS", 0))
    if interval > 0:
        import time

        now = time.monotonic()
        with _LOCK:
            window = _PRESENCE_WINDOWS.get(room_id)
            if window is not None and now < window[0]:
                window[1] = True
                return
            _PRESENCE_WINDOWS[room_id] = [now + interval, False]
        _start_presence_window(room_id, interval)
    _send_presence(room_id, skip_sid=skip_sid)


def _send_presence(room_id: int, *, skip_sid: str | None = None) -> None:
    _emit("presence", {"room": room_id, "online": online(room_id)}, room_channel(room_id),
          skip_sid=skip_sid)


def _start_presence_window(room_id: int, interval: float) -> None:
    """At the end of the window: the changes it held, if any, which open the next window."""
    import time

    from forum.extensions import socketio

    app = current_app._get_current_object()

    def close_windows():
        while True:
            socketio.sleep(interval)
            with _LOCK:
                window = _PRESENCE_WINDOWS.get(room_id)
                if window is None or not window[1]:
                    _PRESENCE_WINDOWS.pop(room_id, None)
                    return
                window[:] = [time.monotonic() + interval, False]
            try:
                with app.app_context():
                    _send_presence(room_id)
            except Exception:
                log.exception("chat: could not send the presence of room %s", room_id)

    socketio.start_background_task(close_windows)


# -- this process's sockets --------------------------------------------------------------


@dataclass
class SocketInfo:
    """What a /chat socket proved at connect, kept in this process while it is connected."""

    user_id: int
    username: str
    channels: tuple[str, ...]  # its private rooms: the credential's and the user's
    api_token: str | None = None  # re-checked at every event; None: the session cookie
    last_typing: float = 0.0


_SOCKETS: dict[str, SocketInfo] = {}
_LOCK = threading.Lock()


def socket_info(sid: str) -> SocketInfo | None:
    return _SOCKETS.get(sid)


REDIS_CONNECTIONS = 50  # per process


def _redis():
    """A Redis client when a message queue is configured (several processes), else None."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    clients = current_app.extensions.setdefault("tacit_chat_redis", {})
    client = clients.get(url)
    if client is None:
        import redis

        # A blocking pool: a burst of disconnects waits for a connection instead of failing
        # with "Too many connections" (and losing registry and presence writes).
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=REDIS_CONNECTIONS, timeout=5, socket_timeout=5,
            socket_connect_timeout=5, decode_responses=True)
        client = redis.Redis(connection_pool=pool)
        clients[url] = client
    return client


def _key(*parts: str) -> str:
    return ":".join([current_app.config.get("REDIS_PREFIX", "tacit"), "chat", *parts])


def register_socket(sid: str, info: SocketInfo) -> None:
    """Remember a connected socket (here, and in Redis when several processes share work)."""
    with _LOCK:
        _SOCKETS[sid] = info
    client = _redis()
    if client is None:
        return
    try:
        pipe = client.pipeline(transaction=False)
        for channel in info.channels:
            pipe.sadd(_key("sockets", channel), sid)
            pipe.expire(_key("sockets", channel), REGISTRY_TTL)
        pipe.execute()
    except Exception:  # the socket still works; each event re-checks its credential
        log.exception("chat: could not record socket %s in Redis", sid)


def forget_socket(sid: str) -> SocketInfo | None:
    """Forget a socket that disconnected."""
    with _LOCK:
        info = _SOCKETS.pop(sid, None)
    client = _redis()
    if info is None or client is None:
        return info
    try:
        pipe = client.pipeline(transaction=False)
        for channel in info.channels:
            pipe.srem(_key("sockets", channel), sid)
        pipe.execute()
    except Exception:
        log.exception("chat: could not forget socket %s in Redis", sid)
    return info


def _local_sids(channel: str) -> set[str]:
    from forum.extensions import socketio

    server = socketio.server
    if server is None:
        return set()
    return {sid for sid, _eio_sid in server.manager.get_participants(CHAT_NAMESPACE, channel)}


def in_room(sid: str, room_id: int) -> bool:
    """Whether this process's socket `sid` is in a chat room: one lookup (python-socketio's
    own rooms() walks every room of the namespace, two per connected socket)."""
    from forum.extensions import socketio

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
    from forum.extensions import socketio

    sids = _local_sids(channel)
    client = _redis()
    if client is not None:
        try:
            key = _key("sockets", channel)
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


def leave_room_everywhere(user_id: int, room_id: int) -> None:
    """Take every socket of a user out of a chat room, on whichever process holds it."""
    from forum.extensions import socketio

    channel = user_channel(user_id)
    sids = _local_sids(channel)
    client = _redis()
    if client is not None:
        try:
            sids |= set(client.smembers(_key("sockets", channel)))
        except Exception:
            log.exception("chat: could not read the sockets of %s from Redis", channel)
    if socketio.server is None or not sids:
        return
    for sid in sorted(sids):
        socketio.server.leave_room(sid, room_channel(room_id), namespace=CHAT_NAMESPACE)
        presence_leave(room_id, sid)
    presence(room_id)


# -- presence ----------------------------------------------------------------------------


# Presence entries name the process holding the socket. A process that dies without saying
# goodbye (SIGKILL, power cut) stops renewing its "alive" key (CHAT_ALIVE_SECONDS), and its
# entries are dropped the next time anyone reads the room's presence, instead of showing
# people online for a day.
_PROCESS = {"pid": None, "id": None, "beating": False}


def _process_id() -> str:
    """This process's name in presence entries (new after a fork)."""
    import os
    import uuid

    if _PROCESS["pid"] != os.getpid():
        _PROCESS.update(pid=os.getpid(), id=uuid.uuid4().hex[:16], beating=False)
    return _PROCESS["id"]


def _alive_key(process: str) -> str:
    return _key("alive", process)


def _keep_alive(client) -> None:
    """Renew this process's "alive" key now, and every third of its life from now on."""
    process = _process_id()
    key = _alive_key(process)  # built here: the renewals run outside any app context
    ttl = int(current_app.config.get("CHAT_ALIVE_SECONDS", 30))
    client.set(key, 1, ex=ttl)
    if _PROCESS["beating"]:
        return
    _PROCESS["beating"] = True
    from forum.extensions import socketio

    def beat():
        while _PROCESS["id"] == process:
            socketio.sleep(ttl / 3)
            try:
                client.set(key, 1, ex=ttl)
            except Exception:
                log.exception("chat: could not renew this process's presence in Redis")

    socketio.start_background_task(beat)


def presence_enter(room_id: int, sid: str, username: str) -> None:
    client = _redis()
    if client is None:
        return
    try:
        _keep_alive(client)
        key = _key("online", str(int(room_id)))
        pipe = client.pipeline(transaction=False)
        pipe.hset(key, sid, f"{_process_id()} {username}")
        pipe.expire(key, PRESENCE_TTL)
        pipe.execute()
    except Exception:
        log.exception("chat: could not record presence in Redis")


def presence_leave(room_id: int, sid: str) -> None:
    client = _redis()
    if client is None:
        return
    try:
        client.hdel(_key("online", str(int(room_id))), sid)
    except Exception:
        log.exception("chat: could not record presence in Redis")


def _live_names(client, key: str) -> set[str]:
    """The usernames of a room's presence entries whose process is alive; the others go."""
    entries = client.hgetall(key)
    held = {sid: value.partition(" ") for sid, value in entries.items()}
    processes = sorted({process for process, _sep, _name in held.values()})
    alive = dict(zip(processes, client.mget([_alive_key(p) for p in processes]),
                     strict=True)) if processes else {}
    dead = [sid for sid, (process, _sep, _name) in held.items() if not alive.get(process)]
    if dead:
        client.hdel(key, *dead)
    return {name for sid, (process, _sep, name) in held.items() if alive.get(process)}


def online(room_id: int) -> list[str]:
    """The usernames with a socket in the room, sorted, each once."""
    client = _redis()
    names: set[str] = set()
    if client is not None:
        try:
            names.update(_live_names(client, _key("online", str(int(room_id)))))
        except Exception:
            log.exception("chat: could not read presence from Redis")
            client = None
    if client is None:
        from forum.extensions import socketio

        for sid in _local_sids(room_channel(room_id)):
            server = socketio.server
            if server is not None and not server.manager.is_connected(sid, CHAT_NAMESPACE):
                continue  # on its way out
            info = _SOCKETS.get(sid)
            if info is not None:
                names.add(info.username)
    return sorted(names, key=str.lower)

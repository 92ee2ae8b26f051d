"""Who is in a chat room: the `presence` event of the /chat namespace, sent with a throttle.

Without Redis, the sockets of this process's Socket.IO rooms are the whole truth. With it
(several processes), a Redis hash per chat room lists its sockets, each entry naming the
process that holds the socket; every process keeps an "alive" key renewed (a heartbeat), so
the entries of a process that died without saying goodbye are dropped.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid

from flask import current_app

from forum import redis
from forum.extensions import socketio
from forum.realtime import CHAT_NAMESPACE, room_channel, user_channel
from forum.realtime.chat import emit
from forum.realtime.registry import local_sids, sids_everywhere, socket_info

log = logging.getLogger(__name__)

PRESENCE_TTL = 24 * 3600

# Presence throttling, per room: {room id: [window end, changed since]}. Process-wide, not
# per app: the windows throttle what goes out through the process's one Socket.IO server
# (forum.extensions.socketio), and their threads outlive any request.
_WINDOWS: dict[int, list] = {}
_LOCK = threading.Lock()


def _online_key(room_id: int) -> str:
    return redis.key("chat", "online", str(int(room_id)))


def announce(room_id: int, *, skip_sid: str | None = None) -> None:
    """Who is in the room now, to everybody in it.

    The first change goes out at once and opens a window of CHAT_PRESENCE_SECONDS; changes
    within it are sent together when it closes (the list as it is then), which opens the
    next. 200 sockets reconnecting after a restart send a few lists instead of 200 (20,100
    events to the room's sockets).
    """
    interval = float(current_app.config.get("CHAT_PRESENCE_SECONDS", 0))
    if interval > 0:
        now = time.monotonic()
        with _LOCK:
            window = _WINDOWS.get(room_id)
            if window is not None and now < window[0]:
                window[1] = True
                return
            _WINDOWS[room_id] = [now + interval, False]
        _start_window(room_id, interval)
    _send(room_id, skip_sid=skip_sid)


def _send(room_id: int, *, skip_sid: str | None = None) -> None:
    found = present(room_id)
    payload = {"room": room_id, "online": sorted(found, key=str.lower)}
    visiting = sorted((name for name, mark in found.items() if mark), key=str.lower)
    if visiting:  # site moderators there without being members, shown as such
        payload["moderators"] = visiting
    emit("presence", payload, room_channel(room_id), skip_sid=skip_sid)


def _start_window(room_id: int, interval: float) -> None:
    """At the end of the window: the changes it held, if any, which open the next window."""
    app = current_app._get_current_object()

    def close_windows():
        while True:
            socketio.sleep(interval)
            with _LOCK:
                window = _WINDOWS.get(room_id)
                if window is None or not window[1]:
                    _WINDOWS.pop(room_id, None)
                    return
                window[:] = [time.monotonic() + interval, False]
            try:
                with app.app_context():
                    _send(room_id)
            except Exception:
                log.exception("chat: could not send the presence of room %s", room_id)

    socketio.start_background_task(close_windows)


def leave_room_everywhere(user_id: int, room_id: int) -> None:
    """Take every socket of a user out of a chat room, on whichever process holds it."""
    sids = sids_everywhere(user_channel(user_id))
    if socketio.server is None or not sids:
        return
    for sid in sorted(sids):
        socketio.server.leave_room(sid, room_channel(room_id), namespace=CHAT_NAMESPACE)
        leave(room_id, sid)
    announce(room_id)


# -- the heartbeat -----------------------------------------------------------------------

# Presence entries name the process holding the socket. A process that dies without saying
# goodbye (SIGKILL, power cut) stops renewing its "alive" key (CHAT_ALIVE_SECONDS), and its
# entries are dropped the next time anyone reads the room's presence, instead of showing
# people online for a day. Process-wide by nature (new after a fork).
_PROCESS = {"pid": None, "id": None, "beating": False}


def _process_id() -> str:
    """This process's name in presence entries (new after a fork)."""
    if _PROCESS["pid"] != os.getpid():
        _PROCESS.update(pid=os.getpid(), id=uuid.uuid4().hex[:16], beating=False)
    return _PROCESS["id"]


def _alive_key(process: str) -> str:
    return redis.key("chat", "alive", process)


def _keep_alive(client) -> None:
    """Renew this process's "alive" key now, and every third of its life from now on."""
    process = _process_id()
    key = _alive_key(process)  # built here: the renewals run outside any app context
    ttl = int(current_app.config.get("CHAT_ALIVE_SECONDS", 30))
    client.set(key, 1, ex=ttl)
    if _PROCESS["beating"]:
        return
    _PROCESS["beating"] = True

    def beat():
        while _PROCESS["id"] == process:
            socketio.sleep(ttl / 3)
            try:
                client.set(key, 1, ex=ttl)
            except Exception:
                log.exception("chat: could not renew this process's presence in Redis")

    socketio.start_background_task(beat)


# -- entries -----------------------------------------------------------------------------


# Sockets of this process in a room as visiting moderators: {room id: {sid, ...}} (the
# presence of a process without Redis).
_VISITING: dict[int, set[str]] = {}
MODERATOR_MARK = "moderator"


def enter(room_id: int, sid: str, username: str, *, moderator: bool = False) -> None:
    """Record that the socket `sid` of `username` joined a room (in Redis, if any);
    `moderator`: they are there as a site moderator, not a member, and shown as such."""
    with _LOCK:
        if moderator:
            _VISITING.setdefault(room_id, set()).add(sid)
        elif room_id in _VISITING:
            _VISITING[room_id].discard(sid)
    client = redis.client()
    if client is None:
        return
    try:
        _keep_alive(client)
        key = _online_key(room_id)
        value = f"{username} {MODERATOR_MARK}" if moderator else username
        pipe = client.pipeline(transaction=False)
        pipe.hset(key, sid, f"{_process_id()} {value}")
        pipe.expire(key, PRESENCE_TTL)
        pipe.execute()
    except Exception:
        log.exception("chat: could not record presence in Redis")


def leave(room_id: int, sid: str) -> None:
    """Record that the socket `sid` left a room (in Redis, if any)."""
    with _LOCK:
        visiting = _VISITING.get(room_id)
        if visiting is not None:
            visiting.discard(sid)
            if not visiting:
                del _VISITING[room_id]
    client = redis.client()
    if client is None:
        return
    try:
        client.hdel(_online_key(room_id), sid)
    except Exception:
        log.exception("chat: could not record presence in Redis")


def keep_alive(client) -> str:
    """Mark this process alive in Redis, from now on while it runs; returns the name that
    the Redis entries of its sockets carry (see live_entries())."""
    _keep_alive(client)
    return _process_id()


def live_entries(client, key: str) -> dict[str, str]:
    """The entries of a Redis hash {sid: "<process> <value>"} whose process is alive, as
    {sid: value}; the entries of dead processes are deleted."""
    entries = client.hgetall(key)
    held = {sid: value.partition(" ") for sid, value in entries.items()}
    processes = sorted({process for process, _sep, _value in held.values()})
    alive = dict(zip(processes, client.mget([_alive_key(p) for p in processes]),
                     strict=True)) if processes else {}
    dead = [sid for sid, (process, _sep, _value) in held.items() if not alive.get(process)]
    if dead:
        client.hdel(key, *dead)
    return {sid: value for sid, (process, _sep, value) in held.items() if alive.get(process)}


def _live_names(client, key: str) -> dict[str, bool]:
    """{username: there as a visiting moderator} of a room's presence entries whose process
    is alive; the others go."""
    found: dict[str, bool] = {}
    for value in live_entries(client, key).values():
        name, _sep, mark = value.partition(" ")
        found[name] = found.get(name, True) and mark == MODERATOR_MARK
    return found


def present(room_id: int) -> dict[str, bool]:
    """{username: there only as a visiting moderator} of everyone with a socket in the
    room."""
    client = redis.client()
    if client is not None:
        try:
            return _live_names(client, _online_key(room_id))
        except Exception:
            log.exception("chat: could not read presence from Redis")
    found: dict[str, bool] = {}
    with _LOCK:
        visiting = set(_VISITING.get(room_id, ()))
    for sid in local_sids(room_channel(room_id)):
        server = socketio.server
        if server is not None and not server.manager.is_connected(sid, CHAT_NAMESPACE):
            continue  # on its way out
        info = socket_info(sid)
        if info is not None:
            found[info.username] = found.get(info.username, True) and sid in visiting
    return found


def online(room_id: int) -> list[str]:
    """The usernames with a socket in the room, sorted, each once."""
    return sorted(present(room_id), key=str.lower)

"""Caps on live sockets: at most SOCKETS_PER_USER sockets per signed-in user and
SOCKETS_PER_IP anonymous sockets per client address, /chat and /live counted together (each
open page holds one or two). A connect past a cap is refused (`too_many_connections`); a
disconnect frees its place. 0 turns a cap off, and so does FORUM_RATE_LIMITS=0 (every limit off).

Without Redis, the sockets are counted in this process (per app). With Redis (several
processes share the work), each cap is a Redis hash {sid: process holding it} per user and
per address, so every process counts the same sockets; the entries of a process that died
without saying goodbye are dropped once its "alive" key lapses (forum.realtime.presence's
heartbeat, CHAT_ALIVE_SECONDS), and each hash expires when nobody connected for
REGISTRY_TTL.
"""

from __future__ import annotations

import logging
import threading

from flask import current_app

from forum import redis
from forum.realtime import presence
from forum.realtime.registry import REGISTRY_TTL

log = logging.getLogger(__name__)

EXTENSION = "tacit_socket_caps"
USER_PREFIX = "user:"  # forum.realtime.user_channel()
_CREATE = threading.Lock()


class _Counts:
    """One app's sockets: who holds a place under which cap (`holders`, without Redis), and
    which caps each socket counts against (`held`: to free them at its disconnect)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders: dict[str, set[str]] = {}
        self.held: dict[str, tuple[bool, tuple[str, ...]]] = {}  # sid: (in Redis, keys)


def _counts() -> _Counts:
    store = current_app.extensions.get(EXTENSION)
    if store is None:
        with _CREATE:
            store = current_app.extensions.setdefault(EXTENSION, _Counts())
    return store


def user_of(channels) -> str | None:
    """The user's private room among a socket's private rooms (forum.realtime), or None."""
    return next((c for c in channels if c.startswith(USER_PREFIX)), None)


def _wanted(user_channel: str | None, ip: str | None) -> list[tuple[str, int]]:
    config = current_app.config
    if not config.get("RATE_LIMITS", True):
        return []
    wanted = []
    per_user, per_ip = int(config.get("SOCKETS_PER_USER") or 0), \
        int(config.get("SOCKETS_PER_IP") or 0)
    if user_channel and per_user > 0:
        wanted.append((user_channel, per_user))
    # Signed-in sockets are bounded per user; the address cap is for anonymous ones, so a
    # clinic or a workshop behind one address (NAT) is not capped as one reader.
    if ip and per_ip > 0 and not user_channel:
        wanted.append((f"ip:{ip}", per_ip))
    return wanted


def admit(sid: str, *, user_channel: str | None, ip: str | None) -> bool:
    """Count a new socket against its user's (by their private room) and its address's
    caps; False, counting nothing, when either is full."""
    wanted = _wanted(user_channel, ip)
    if not wanted:
        return True
    client = redis.client()
    if client is not None:
        try:
            return _admit_in_redis(client, sid, wanted)
        except Exception:  # a Redis failure must not take every socket down with it
            log.exception("sockets: could not count socket %s in Redis", sid)
            release(sid)
            return True
    store = _counts()
    with store.lock:
        if any(len(store.holders.get(name, ())) >= cap for name, cap in wanted):
            return False
        for name, _cap in wanted:
            store.holders.setdefault(name, set()).add(sid)
        store.held[sid] = (False, tuple(name for name, _cap in wanted))
    return True


def _admit_in_redis(client, sid: str, wanted: list[tuple[str, int]]) -> bool:
    # Take the place first, then count: two connects racing for the last place may both be
    # refused, but never both admitted.
    process = presence.keep_alive(client)
    keys = [(redis.key("sockets", name), cap) for name, cap in wanted]
    store = _counts()
    with store.lock:
        store.held[sid] = (True, tuple(key for key, _cap in keys))
    pipe = client.pipeline(transaction=False)
    for key, _cap in keys:
        pipe.hset(key, sid, process)
        pipe.expire(key, REGISTRY_TTL)
    pipe.execute()
    if any(len(presence.live_entries(client, key)) > cap for key, cap in keys):
        release(sid)
        return False
    return True


def release(sid: str) -> None:
    """Free the places of a socket that disconnected (nothing for one never counted)."""
    store = _counts()
    with store.lock:
        in_redis, keys = store.held.pop(sid, (False, ()))
        if not in_redis:
            for name in keys:
                holders = store.holders.get(name)
                if holders is not None:
                    holders.discard(sid)
                    if not holders:
                        del store.holders[name]
    client = redis.client()
    if not in_redis or not keys or client is None:
        return
    try:
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.hdel(key, sid)
        pipe.execute()
    except Exception:  # the entry goes when the hash expires, or with a dead process
        log.exception("sockets: could not free the place of socket %s in Redis", sid)

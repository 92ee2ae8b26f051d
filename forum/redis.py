"""The application's Redis client: one per app, kept in `app.extensions`.

Redis is there only when several processes share the work (FORUM_REDIS_URL): the Socket.IO
message queue, the chat socket registry and presence (forum.realtime), the page cache's
version (forum.pagecache) and the rate limits (through Flask-Limiter's own storage). Without
it `client()` is None and each of them keeps its state in the process.

This module is `forum.redis`; `import redis` below is an absolute import (as every import in
forum is), so it is always the redis-py package, never this module.
"""

from __future__ import annotations

from flask import Flask, current_app

try:  # an extra (`pip install tacit[redis]`): the embedded default runs without it
    import redis
except ImportError:  # pragma: no cover - exercised by tests/test_extras.py in a subprocess
    redis = None

EXTENSION = "tacit_redis"
MAX_CONNECTIONS = 50  # per process
HEALTH_TIMEOUT = 2.0  # seconds /health waits for Redis


def init_app(app: Flask) -> None:
    """Build the app's client from REDIS_URL (None without one); it connects on first use."""
    url = app.config.get("REDIS_URL")
    client = None
    if url and redis is None:
        raise RuntimeError("FORUM_REDIS_URL is set but the redis package is not installed: "
                           "install the extra, pip install 'tacit[redis]' (make serve does)")
    if url:
        # A blocking pool: a burst of disconnects waits for a connection instead of failing
        # with "Too many connections" (and losing registry and presence writes).
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=MAX_CONNECTIONS, timeout=5, socket_timeout=5,
            socket_connect_timeout=5, decode_responses=True)
        client = redis.Redis(connection_pool=pool)
    app.extensions[EXTENSION] = client


def client() -> redis.Redis | None:
    """The current app's Redis client, or None when no REDIS_URL is configured."""
    return current_app.extensions[EXTENSION]


def key(*parts: str) -> str:
    """A Redis key under this forum's REDIS_PREFIX, so that two forums (or two test runs)
    can share one Redis: key("chat", "sent", "7") is "tacit:chat:sent:7"."""
    return ":".join([current_app.config.get("REDIS_PREFIX", "tacit"), *parts])


def ping() -> bool:
    """Whether the configured Redis answers, for /health; raises redis-py's errors when it
    cannot be reached.

    A connection of its own with short timeouts: the check must answer within a load
    balancer's patience, and a pool busy with a burst of sockets is not a dead Redis.
    """
    probe = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=HEALTH_TIMEOUT,
                                 socket_connect_timeout=HEALTH_TIMEOUT)
    try:
        return bool(probe.ping())
    finally:
        probe.close()

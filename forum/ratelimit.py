"""Rate limits applied inside services, so pages, the API and sockets share them.

Built on Flask-Limiter's storage (memory by default, Redis when FORUM_REDIS_URL is set) with
explicit keys instead of per-route decorators. System work (demo seed, imports) passes
`system=True` to the services, which then skip these checks; FORUM_RATE_LIMITS=0 turns every
limit off.
"""

import math
import time

from flask import current_app
from limits import parse_many

from forum import metrics
from forum.errors import RateLimited
from forum.extensions import limiter


def _enabled() -> bool:
    return bool(current_app.config.get("RATE_LIMITS", True))


def _items(setting: str):
    return parse_many(current_app.config[setting])


def _key(scope: str, key: str) -> tuple[str, ...]:
    return (current_app.config.get("REDIS_PREFIX", "tacit"), scope, str(key).lower())


def _retry_after(item, ids) -> int:
    reset_at, _remaining = limiter.limiter.get_window_stats(item, *ids)
    return max(1, math.ceil(reset_at - time.time()))


def hit(setting: str, scope: str, key: str) -> None:
    """Count one attempt against every limit in config[setting]; raise RateLimited if over."""
    if not _enabled():
        return
    ids = _key(scope, key)
    for item in _items(setting):
        if not limiter.limiter.hit(item, *ids):
            metrics.count_rate_limited(setting)
            raise RateLimited(_retry_after(item, ids))


def check(setting: str, scope: str, key: str) -> None:
    """Raise RateLimited if config[setting] is already used up, without counting."""
    if not _enabled():
        return
    ids = _key(scope, key)
    for item in _items(setting):
        if not limiter.limiter.test(item, *ids):
            metrics.count_rate_limited(setting)
            raise RateLimited(_retry_after(item, ids))


def count(setting: str, scope: str, key: str) -> None:
    """Count one event (e.g. a failed login) without refusing it."""
    if not _enabled():
        return
    ids = _key(scope, key)
    for item in _items(setting):
        limiter.limiter.hit(item, *ids)


def reset(setting: str, scope: str, key: str) -> None:
    """Forget the counts for one key (e.g. after a successful login)."""
    if not _enabled():
        return
    ids = _key(scope, key)
    for item in _items(setting):
        limiter.limiter.clear(item, *ids)


def quota(setting: str) -> tuple[int, int]:
    """The longest window of config[setting]: (how many, per how many seconds), for telling
    people what a limit allows."""
    item = max(_items(setting), key=lambda limit: limit.get_expiry())
    return item.amount, item.get_expiry()

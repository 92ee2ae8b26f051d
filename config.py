"""Configuration from environment variables, with safe defaults for a laptop or one small server."""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("FORUM_INSTANCE_PATH", BASE_DIR / "instance")).resolve()


def _flag(name: str, default: bool) -> bool:
    """Read a boolean environment variable: 1/true/yes/on mean True."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _load_or_create_secret_key(instance_dir: Path) -> str:
    """Read instance/secret_key, creating it (mode 0600) on first start."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def _normalise_database_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and pin the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _base_url(value: str | None) -> str | None:
    """FORUM_BASE_URL without its trailing slash; ValueError unless it is http(s)://host[/path]."""
    if value is None or not value.strip():
        return None
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or \
            parts.fragment or parts.username or parts.password:
        raise ValueError(f"FORUM_BASE_URL must look like https://forum.example.org, not {value!r}")
    return value


# A forum served on the loopback answers to every name of it (`make run` prints 127.0.0.1,
# browsers often say localhost).
_LOOPBACK_NAMES = ("localhost", "127.0.0.1")


def trusted_hosts(base_url: str | None, extra: str = "") -> list[str] | None:
    """The Host names requests may carry: BASE_URL's host and the comma-separated `extra`
    (None, meaning any host, only when neither is set: `flask` commands, bare test apps)."""
    hosts = [name.strip().lower() for name in extra.split(",") if name.strip()]
    if base_url:
        host = urlsplit(base_url).hostname
        hosts.insert(0, host)
        if host in _LOOPBACK_NAMES:
            hosts += [name for name in _LOOPBACK_NAMES if name != host]
    return list(dict.fromkeys(hosts)) or None


class Config:
    """Settings read from the environment when the object is built."""

    def __init__(self) -> None:
        instance_dir = INSTANCE_DIR
        self.INSTANCE_DIR = str(instance_dir)
        self.SECRET_KEY = os.environ.get("FORUM_SECRET_KEY") or _load_or_create_secret_key(
            instance_dir
        )
        self.SQLALCHEMY_DATABASE_URI = _normalise_database_url(
            os.environ.get("FORUM_DATABASE_URL") or f"sqlite:///{instance_dir / 'forum.db'}"
        )
        self.REDIS_URL = os.environ.get("FORUM_REDIS_URL") or None
        # Names shared with other processes (Socket.IO channel, rate-limit keys) carry a
        # prefix so that two forums, or two test runs, can share one Redis.
        self.REDIS_PREFIX = os.environ.get("FORUM_REDIS_PREFIX", "tacit")
        self.SOCKETIO_CHANNEL = os.environ.get(
            "FORUM_SOCKETIO_CHANNEL", f"{self.REDIS_PREFIX}-socketio"
        )
        # Seconds a chat process's "alive" mark lasts in Redis (renewed every third of it):
        # after a crash, its sockets leave the presence lists within this time.
        self.CHAT_ALIVE_SECONDS = max(3, int(os.environ.get("FORUM_CHAT_ALIVE_SECONDS", "30")))
        # A room's presence goes out at once, then at most once per this many seconds while
        # people keep coming and going (a reconnect storm of n sockets would send n² events).
        self.CHAT_PRESENCE_SECONDS = max(
            0.0, float(os.environ.get("FORUM_CHAT_PRESENCE_SECONDS", "1")))
        # Live /chat and /live sockets (counted together) per signed-in user and per client
        # address (forum/realtime/caps.py; in Redis with several processes); 0: no cap.
        self.SOCKETS_PER_USER = max(0, int(os.environ.get("FORUM_SOCKETS_PER_USER", "20")))
        self.SOCKETS_PER_IP = max(0, int(os.environ.get("FORUM_SOCKETS_PER_IP", "60")))
        # Anonymous readers' pages are kept this many seconds (forum/pagecache.py); 0: never.
        self.PAGE_CACHE_SECONDS = max(0, int(os.environ.get("FORUM_PAGE_CACHE_SECONDS", "30")))
        self.SOCKETIO_ASYNC_MODE = os.environ.get("FORUM_ASYNC_MODE", "threading")
        self.DEMO = _flag("FORUM_DEMO", False)
        self.RATE_LIMITS = _flag("FORUM_RATE_LIMITS", True)
        self.SMTP_URL = os.environ.get("FORUM_SMTP_URL") or None
        self.MAIL_FROM = os.environ.get("FORUM_MAIL_FROM", "Tacit <no-reply@localhost>")
        self.OUTBOX_DIR = os.environ.get("FORUM_OUTBOX_DIR") or str(instance_dir / "outbox")
        # Attachments (docs/attachments.md): where the files live, and the limits.
        self.UPLOAD_DIR = os.environ.get("FORUM_UPLOAD_DIR") or str(instance_dir / "uploads")
        self.ATTACH_MAX_BYTES = max(1, int(os.environ.get("FORUM_ATTACH_MAX_BYTES",
                                                          str(10 * 1024 * 1024))))
        self.ATTACH_MAX_PER_POST = max(0, int(os.environ.get("FORUM_ATTACH_MAX_PER_POST", "5")))
        self.ATTACH_USER_QUOTA_BYTES = max(0, int(os.environ.get(
            "FORUM_ATTACH_USER_QUOTA_BYTES", str(200 * 1024 * 1024))))
        self.ATTACH_SITE_QUOTA_BYTES = max(0, int(os.environ.get(
            "FORUM_ATTACH_SITE_QUOTA_BYTES", str(20 * 1024 ** 3))))
        # Seconds between queueing a mail and its delivery on the mail worker (forum/mail.py).
        self.MAIL_DELAY = float(os.environ.get("FORUM_MAIL_DELAY", "0.25"))
        # Reply by email (docs/mail-in.md): notification mails about a thread carry
        # Reply-To: reply+<token>@REPLY_DOMAIN; none (the default) turns it off. A reply
        # address works for REPLY_TOKEN_DAYS days after its mail was sent.
        self.REPLY_DOMAIN = (os.environ.get("FORUM_REPLY_DOMAIN") or "").strip().lower() or None
        self.REPLY_TOKEN_DAYS = max(1, int(os.environ.get("FORUM_REPLY_TOKEN_DAYS", "30")))
        self.HTTPS = _flag("FORUM_HTTPS", False)
        # Links in mail are built on BASE_URL, never on a request's Host header; requests
        # for other hosts (plus FORUM_TRUSTED_HOSTS) are refused with 400. `make serve`
        # requires it; `make run` sets http://HOST:PORT (wsgi.py).
        self.BASE_URL = _base_url(os.environ.get("FORUM_BASE_URL"))
        self.TRUSTED_HOSTS = trusted_hosts(self.BASE_URL,
                                           os.environ.get("FORUM_TRUSTED_HOSTS", ""))
        # Behind n proxies that set X-Forwarded-For and X-Forwarded-Proto: per-IP limits then
        # see the client's address (werkzeug's ProxyFix; 0, the default, trusts no header).
        self.PROXY_FIX = max(0, int(os.environ.get("FORUM_PROXY_FIX", "0") or 0))
        # Prometheus metrics (forum/metrics.py): off; HOST:PORT, a listener of each process's
        # own that the proxy never forwards; or `endpoint`, the forum's /metrics answered only
        # to `Authorization: Bearer FORUM_METRICS_TOKEN`.
        self.METRICS = os.environ.get("FORUM_METRICS", "off")
        self.METRICS_TOKEN = os.environ.get("FORUM_METRICS_TOKEN") or None
        # `json`: log records and one access line per request as JSON objects, one a line.
        self.LOG_FORMAT = os.environ.get("FORUM_LOG_FORMAT", "text").strip().lower()
        if self.LOG_FORMAT not in ("text", "json"):
            raise ValueError(f"FORUM_LOG_FORMAT must be text or json, not {self.LOG_FORMAT!r}")
        # A server process refuses to start when the database or Redis does not answer or
        # the migrations are behind (forum/services/preflight.py); 0 skips the checks.
        self.STARTUP_CHECKS = _flag("FORUM_STARTUP_CHECKS", True)
        self.SESSION_COOKIE_SECURE = self.HTTPS
        self.PREFERRED_URL_SCHEME = "https" if self.HTTPS else "http"


class BaseSettings:
    """Settings that do not depend on the environment."""

    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "tacit_session"
    PERMANENT_SESSION_LIFETIME = 30 * 24 * 3600
    # Send the cookie only when the session changed: a late answer to a background fetch
    # must never overwrite a newer cookie (the server-side record carries the expiry).
    SESSION_REFRESH_EACH_REQUEST = False
    # CSRF tokens are bound to the login session and never expire on their own, so a page
    # left open all day can still post (the session record itself expires).
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = True
    MAX_CONTENT_LENGTH = 1024 * 1024
    SOCKETIO_MAX_HTTP_BUFFER_SIZE = 64 * 1024
    LANGUAGES = ("en", "fr")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    PASSWORD_HASH_METHOD = "scrypt"  # Werkzeug's default cost (N=2**15, r=8, p=1)
    LOGIN_SESSION_DAYS = 30
    API_TOKEN_DAYS = 30
    PASSWORD_RESET_MINUTES = 60
    # Rate limits (limits-library syntax); see forum/ratelimit.py for how each is keyed.
    LIMIT_LOGIN_PER_IP = "30/minute;300/hour"
    LIMIT_LOGIN_FAILURES_PER_ACCOUNT_IP = "5/5minutes"
    LIMIT_LOGIN_FAILURES_PER_ACCOUNT = "50/hour"
    # A browser (or API client) that logged in to an account before carries a signed
    # known-device token: it skips the per-account ceiling above, so an attacker cannot lock
    # the owner out, but its own failures are limited (past this it is an unknown browser).
    LIMIT_LOGIN_FAILURES_PER_DEVICE = "10/hour"
    KNOWN_DEVICE_DAYS = 365
    KNOWN_DEVICE_COOKIE = "tacit_device"
    LIMIT_REGISTER_PER_IP = "10/minute;50/hour"
    LIMIT_PASSWORD_RESET_PER_IP = "5/minute;20/hour"
    LIMIT_PASSWORD_RESET_PER_ACCOUNT = "3/hour"
    # Registration waits for the link mailed to the address (24 hours); an existing account's
    # owner can confirm their address the same way; a locked-out owner can have a sign-in
    # link mailed (30 minutes) that makes their browser a known device.
    REGISTRATION_CONFIRM_HOURS = 24
    EMAIL_CONFIRM_HOURS = 24
    SIGN_IN_LINK_MINUTES = 30
    # Mail to one address about registration (its confirmation link, or the warning that
    # someone tried to register it again) and address confirmation: past this, nothing more
    # is sent and the answer stays the same. Sign-in links count on their own, so that
    # registration attempts with someone's address cannot keep their sign-in link away.
    LIMIT_CONFIRMATION_MAIL_PER_ADDRESS = "3/hour"
    LIMIT_SIGN_IN_MAIL_PER_ADDRESS = "3/hour"
    LIMIT_SIGN_IN_LINK_PER_IP = "5/minute;20/hour"
    # One post (question, answer or reply) per 5 seconds per user, like Discourse's default.
    LIMIT_POST_PER_USER = "1/5seconds"
    # Edits of questions and posts, and profile (bio) changes, per editing user: each one
    # renders Markdown again. Chat edits count against LIMIT_CHAT_PER_USER like messages.
    LIMIT_EDIT_PER_USER = "10/minute;100/hour"
    LIMIT_CHAT_PER_USER = "10/10seconds"
    # Requests to join private groups, per asking user: each one notifies the moderators.
    LIMIT_JOIN_REQUEST_PER_USER = "5/hour;20/day"
    # Flags raised per member (questions, posts, chat messages, profiles together).
    LIMIT_FLAG_PER_USER = "10/hour"
    # Votes (questions and answers together, un-votes included) per member: enough to go
    # through a long thread, not enough for a script to push a score.
    LIMIT_VOTE_PER_USER = "30/minute;300/day"
    # New-member limits (forum/services/trust.py, docs/moderation.md): they apply while an
    # account is younger than NEW_MEMBER_HOURS, has no accepted answer and has less than
    # NEW_MEMBER_REPUTATION points; moderators, admins and verified experts never have them.
    NEW_MEMBER_HOURS = 24  # how long an account counts as new
    NEW_MEMBER_REPUTATION = 10  # this much reputation (public or private) lifts them early
    NEW_MEMBER_MAX_LINKS = 2  # links per question, answer, reply or chat message (edits too)
    NEW_MEMBER_QUESTIONS_PER_DAY = 3  # questions asked in the last 24 hours
    NEW_MEMBER_POSTS_PER_DAY = 10  # answers and replies together in the last 24 hours
    # Pre-moderation (forum/services/premoderation.py): in a group that checks newcomers, a
    # member's questions, answers and replies wait for a moderator until this many of theirs
    # are published there.
    PREMODERATE_FIRST_POSTS = 2


for _name in dir(BaseSettings):
    if _name.isupper():
        setattr(Config, _name, getattr(BaseSettings, _name))


class TestConfig(Config):
    """Settings for the test suite: a database URL is passed in by the fixtures."""

    __test__ = False  # not a pytest test class

    def __init__(self, database_url: str | None = None, **overrides) -> None:
        super().__init__()
        self.TESTING = True
        self.DEMO = False
        # Still scrypt, at a cost that keeps a thousand test logins fast.
        self.PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
        self.REDIS_URL = overrides.pop("REDIS_URL", None)
        # Tests see every write at once; tests/test_pagecache.py turns the cache on.
        self.PAGE_CACHE_SECONDS = overrides.pop("PAGE_CACHE_SECONDS", 0)
        # Mail is delivered as soon as it is queued (the outbox helper waits for it).
        self.MAIL_DELAY = overrides.pop("MAIL_DELAY", 0.0)
        # Every presence change sends at once; the throttle's own test turns it on.
        self.CHAT_PRESENCE_SECONDS = overrides.pop("CHAT_PRESENCE_SECONDS", 0)
        # The test client asks for http://localhost/: links in mail point there too.
        self.BASE_URL = _base_url(overrides.pop("BASE_URL", "http://localhost"))
        self.TRUSTED_HOSTS = overrides.pop("TRUSTED_HOSTS", trusted_hosts(self.BASE_URL))
        # The test apps are built on databases made by create_all (no alembic revision).
        self.STARTUP_CHECKS = overrides.pop("STARTUP_CHECKS", False)
        self.METRICS = overrides.pop("METRICS", "off")
        self.LOG_FORMAT = overrides.pop("LOG_FORMAT", "text")
        if database_url:
            self.SQLALCHEMY_DATABASE_URI = _normalise_database_url(database_url)
        for key, value in overrides.items():
            setattr(self, key, value)

"""Accounts: registration, login sessions, API tokens, passwords, roles and deletion.

Every write of this area goes through one of these functions, whether it comes from a page,
the JSON API, a socket event or the command line. Registration by email confirmation, address
confirmation and sign-in links live in forum.services.registration. Notifications and digests
go only to confirmed addresses: ask mail_allowed(user) before mailing anyone unasked.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, session
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf.csrf import validate_csrf
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import and_, bindparam, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms.validators import ValidationError

from forum import mail, ratelimit
from forum.errors import (
    AccountLocked,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthorized,
)
from forum.extensions import db
from forum.models import (
    ROLES,
    ApiToken,
    Follow,
    LoginSession,
    MailSetting,
    Notification,
    PasswordReset,
    User,
    UserExpertise,
    UserLanguage,
    utcnow,
)
from forum.realtime import registry, session_channel, token_channel, user_channel
from forum.security import common_passwords, new_token, token_hash
from forum.services import audit, watchers
from forum.services.inputs import header_text, text
from forum.services.uow import after_commit, savepoint, transactional, unit_of_work

USERNAME_RE = re.compile(r"^[A-Za-z0-9_-]{3,30}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
DISPLAY_NAME_MAX = 80
SUPPORTED_LOCALES = ("en", "fr")
# A dummy hash to compare against when the account does not exist, so that the time a
# login takes does not tell whether a username is registered.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def clean_text(value: str) -> str:
    """NFC-normalise, drop control characters and trim."""
    value = unicodedata.normalize("NFC", value)
    return "".join(ch for ch in value if unicodedata.category(ch) not in {"Cc", "Cf", "Cs"}).strip()


def validate_username(username: str, errors: dict) -> None:
    if not username:
        errors.setdefault("username", _("Choose a username."))
    elif not USERNAME_RE.match(username):
        errors.setdefault(
            "username",
            _("3 to 30 characters: letters A to Z, digits, underscore and hyphen."),
        )


def validate_email(email: str, errors: dict) -> None:
    if not email:
        errors.setdefault("email", _("Enter your email address."))
    elif len(email) > 254 or not EMAIL_RE.match(email):
        errors.setdefault("email", _("Enter a valid email address."))


def validate_password(password: str, errors: dict, *, field: str = "password",
                      username: str = "", email: str = "") -> None:
    """Length 8 to 128, not a common password, not the username or email; no other rules."""
    if not password:
        errors.setdefault(field, _("Choose a password."))
    elif len(password) < PASSWORD_MIN:
        errors.setdefault(field, _("Use at least %(n)d characters.", n=PASSWORD_MIN))
    elif len(password) > PASSWORD_MAX:
        errors.setdefault(field, _("Use at most %(n)d characters.", n=PASSWORD_MAX))
    elif password.lower() in common_passwords() or password.lower() in {
        username.lower(),
        email.lower(),
    }:
        errors.setdefault(
            field, _("This password is too common or too easy to guess. Choose another one.")
        )


def validate_display_name(display_name: str, errors: dict) -> str:
    display_name = clean_text(display_name)
    if len(display_name) > DISPLAY_NAME_MAX:
        errors.setdefault("display_name", _("Use at most %(n)d characters.", n=DISPLAY_NAME_MAX))
    return display_name


def hash_password(password: str) -> str:
    """Hash with Werkzeug's scrypt (its default cost; the test suite lowers it)."""
    return generate_password_hash(password,
                                  method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def get_user_by_username(username: str) -> User:
    """The live account with this username (any case); raises NotFound."""
    if not isinstance(username, str):
        raise NotFound(_("No such user."))
    user = db.session.scalar(select(User).where(User.username_key == username.lower()))
    if user is None or user.is_deleted:
        raise NotFound(_("No such user."))
    return user


def find_user_by_login(login: str) -> User | None:
    """The live account whose username or email is `login` (any case), or None."""
    key = login.strip().lower()
    column = User.email_key if "@" in key else User.username_key
    user = db.session.scalar(select(User).where(column == key))
    if user is None or user.is_deleted:
        return None
    return user


def clean_registration(username, email, password, display_name,
                       errors: dict) -> tuple[str, str, str, str]:
    """The username, email, password and display name of a registration as stored; each
    bad field gets its reason in `errors`."""
    username = text(username, "username", errors).strip()
    email = text(email, "email", errors).strip()
    password = text(password, "password", errors)
    display_name = text(display_name, "display_name", errors)
    validate_username(username, errors)
    validate_email(email, errors)
    validate_password(password, errors, username=username, email=email)
    display_name = validate_display_name(display_name, errors)
    return username, email, password, display_name


def username_taken(username: str) -> bool:
    """Whether an account has this username (any case); a deleted account's is free."""
    return db.session.scalar(select(User.id).where(User.username_key == username.lower())) \
        is not None


def add_user(username: str, email: str, password_hash: str, display_name: str, *,
             role: str = "member", locale: str | None = None,
             email_confirmed_at: datetime | None = None) -> User:
    """Insert an account from cleaned values, inside the caller's write; raises Conflict
    naming `username` and/or `email` when taken (also when a concurrent write wins)."""
    taken = {}
    if username_taken(username):
        taken["username"] = _("This username is taken.")
    if db.session.scalar(select(User.id).where(User.email_key == email.lower())):
        taken["email"] = _("An account with this email address exists already.")
    if taken:
        raise Conflict(_("Some details are already in use."), fields=taken)
    user = User(
        username=username,
        username_key=username.lower(),
        email=email,
        email_key=email.lower(),
        password_hash=password_hash,
        display_name=display_name or username,
        role=role,
        locale=locale if locale in SUPPORTED_LOCALES else None,
        email_confirmed_at=email_confirmed_at,
    )
    try:
        with savepoint():
            db.session.add(user)
    except IntegrityError as exc:  # a concurrent registration won the race
        raise Conflict(_("Some details are already in use.")) from exc
    return user


@transactional
def register_user(username, email, password, display_name=None, *, role: str = "member",
                  locale: str | None = None, ip: str = "", system: bool = False,
                  email_confirmed: bool = False) -> User:
    """Create an account at once: the primitive of the demo seed, the command line and
    tests (people register through forum.services.registration, which mails a link first).

    `email_confirmed` says whether the address is known to be the owner's (nobody proved
    it, by default). Raises InvalidInput, Conflict or RateLimited (per IP).
    """
    errors: dict = {}
    username, email, password, display_name = clean_registration(
        username, email, password, display_name, errors)
    if role not in ROLES:
        errors["role"] = _("Unknown role.")
    if errors:
        raise InvalidInput(fields=errors)
    if not system:
        ratelimit.hit("LIMIT_REGISTER_PER_IP", "register-ip", ip or "unknown")
    return add_user(username, email, hash_password(password), display_name, role=role,
                    locale=locale, email_confirmed_at=utcnow() if email_confirmed else None)


def authenticate(login, password, *, ip: str = "", device=None, system: bool = False) -> User:
    """Check a username-or-email and password; raises Unauthorized or RateLimited.

    Limits: every attempt counts per IP; failures count per account and IP (a short lockout
    that an attacker elsewhere cannot cause) and per account (a high ceiling against
    attacks spread over many addresses). A known device of this account (`device`, the token
    remember_device() gave it at an earlier login) skips that ceiling, so guessing from many
    addresses never locks the owner out; its own failures count per device instead (the
    ceiling raises AccountLocked, a RateLimited: an owner without a known device can have a
    sign-in link mailed, forum.services.registration). Success clears the account-and-IP
    and the device counts.
    """
    if not isinstance(login, str) or not isinstance(password, str) or not login.strip():
        raise Unauthorized(_("Wrong username, email or password."))
    account = login.strip().lower()[:254]
    if not system:
        ratelimit.hit("LIMIT_LOGIN_PER_IP", "login-ip", ip or "unknown")
        ratelimit.check("LIMIT_LOGIN_FAILURES_PER_ACCOUNT_IP", "login-fail", f"{account}|{ip}")
    user = find_user_by_login(account)
    device_id = None if system else _trusted_device_id(device, user)
    if not system and device_id is None:
        try:
            ratelimit.check("LIMIT_LOGIN_FAILURES_PER_ACCOUNT", "login-fail-acct", account)
        except RateLimited as error:  # the login page then offers the owner a sign-in link
            raise AccountLocked(error.retry_after) from None
    if user is None or not user.password_hash or len(password) > PASSWORD_MAX:
        check_password_hash(_DUMMY_HASH, password[:PASSWORD_MAX])
        ok = False
    else:
        ok = check_password_hash(user.password_hash, password)
    if not ok:
        if not system:
            ratelimit.count("LIMIT_LOGIN_FAILURES_PER_ACCOUNT_IP", "login-fail", f"{account}|{ip}")
            ratelimit.count("LIMIT_LOGIN_FAILURES_PER_ACCOUNT", "login-fail-acct", account)
            if device_id is not None:
                ratelimit.count("LIMIT_LOGIN_FAILURES_PER_DEVICE", "login-fail-device", device_id)
        raise Unauthorized(_("Wrong username, email or password."))
    if not system:
        ratelimit.reset("LIMIT_LOGIN_FAILURES_PER_ACCOUNT_IP", "login-fail", f"{account}|{ip}")
        if device_id is not None:
            ratelimit.reset("LIMIT_LOGIN_FAILURES_PER_DEVICE", "login-fail-device", device_id)
    return user


def _device_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="tacit-known-device")


def _known_device_id(device, user: User | None) -> str | None:
    """The device id in a known-device token issued to `user` and not expired, else None."""
    if user is None or not isinstance(device, str) or not device or len(device) > 256:
        return None
    try:
        data = _device_signer().loads(
            device, max_age=current_app.config["KNOWN_DEVICE_DAYS"] * 24 * 3600)
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("u") != user.id or not isinstance(data.get("d"), str):
        return None
    return data["d"]


def _trusted_device_id(device, user: User | None) -> str | None:
    """The known device's id, unless too many failures came from it: then it is treated as
    an unknown browser again (a stolen token does not buy unlimited guesses)."""
    device_id = _known_device_id(device, user)
    if device_id is None:
        return None
    try:
        ratelimit.check("LIMIT_LOGIN_FAILURES_PER_DEVICE", "login-fail-device", device_id)
    except RateLimited:
        return None
    return device_id


def remember_device(user: User, device=None) -> str:
    """A signed known-device token for `user`, to keep for the next login (the browser's
    cookie, an API client's `device`); it keeps the device id of `device` when that already
    is a token of this user's, and carries no secret: it only names a device that knew the
    password once."""
    device_id = _known_device_id(device, user) or new_token()[:22]
    return _device_signer().dumps({"u": user.id, "d": device_id})


@dataclass
class StartedSession:
    token: str
    record: LoginSession
    device: str = ""  # a known-device token for the browser (login() sets it)


@transactional
def start_session(user: User, *, ip: str = "", user_agent: str = "") -> StartedSession:
    """Record a new login session; the raw token goes into the signed cookie only."""
    token = new_token()
    now = utcnow()
    record = LoginSession(
        token_hash=token_hash(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=current_app.config["LOGIN_SESSION_DAYS"]),
        # Headers may carry NUL and other control characters (PostgreSQL cannot store NUL).
        ip=header_text(ip, 64),
        user_agent=header_text(user_agent, 255),
    )
    db.session.add(record)
    return StartedSession(token=token, record=record)


@transactional
def login(login_name, password, *, ip: str = "", user_agent: str = "",
          device=None) -> StartedSession:
    """Authenticate and start a session; raises Unauthorized or RateLimited.

    `device` is the browser's known-device token, if it has one; the started session carries
    the token to keep (StartedSession.device).
    """
    user = authenticate(login_name, password, ip=ip, device=device)
    started = start_session(user, ip=ip, user_agent=user_agent)
    started.device = remember_device(user, device)
    return started


# Every page view and every socket event looks its credential up: the statements are built
# once (building one costs more than running it on SQLite).
_SESSION_BY_HASH = (select(LoginSession)
                    .where(LoginSession.token_hash == bindparam("token_hash"))
                    .options(joinedload(LoginSession.user)))
_TOKEN_BY_HASH = (select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"))
                  .options(joinedload(ApiToken.user)))


def session_user(token: str | None, *, touch: bool = True) -> tuple[User, LoginSession] | None:
    """The user and record of a live login session, or None once it ended or expired."""
    if not token or not isinstance(token, str):
        return None
    record = db.session.scalar(_SESSION_BY_HASH, {"token_hash": token_hash(token)})
    now = utcnow()
    if record is None or not record.is_live(now) or record.user.is_deleted:
        return None
    if touch and now - record.last_seen_at > timedelta(hours=1):
        with unit_of_work():
            record.last_seen_at = now
    return record.user, record


@transactional
def end_session(token: str | None) -> None:
    """End one login session (logout); its cookie stops working on every process."""
    if not token or not isinstance(token, str):
        return
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.token_hash == token_hash(token), LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    after_commit(registry.end_session_sockets, token_hash(token))


def _end_all_sessions_and_tokens(user: User, now: datetime) -> None:
    """After a password change, a reset or a deletion: every login session ends, every API
    token is revoked and every reset link still out is spent (a link mailed before the
    change must not undo it)."""
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


@transactional
def change_password(user: User, current_password, new_password) -> None:
    """Change a password after checking the current one; ends every session and API token.

    Raises InvalidInput (naming `current_password` or `new_password`).
    """
    errors: dict = {}
    current_password = text(current_password, "current_password", errors)
    new_password = text(new_password, "new_password", errors)
    if not errors and not (
        user.password_hash and check_password_hash(user.password_hash, current_password)
    ):
        errors["current_password"] = _("This is not your current password.")
    validate_password(new_password, errors, field="new_password",
                      username=user.username or "", email=user.email or "")
    if errors:
        raise InvalidInput(fields=errors)
    user.password_hash = hash_password(new_password)
    _end_all_sessions_and_tokens(user, utcnow())
    after_commit(registry.end_user_sockets, user.id)


def reset_mail_quota() -> str:
    """What the forgot-password answer says about LIMIT_PASSWORD_RESET_PER_ACCOUNT."""
    amount, seconds = ratelimit.quota("LIMIT_PASSWORD_RESET_PER_ACCOUNT")
    if seconds == 3600:
        return _("We send at most %(n)d such emails to one address per hour.", n=amount)
    if seconds == 86400:
        return _("We send at most %(n)d such emails to one address per day.", n=amount)
    return _("We send at most %(n)d such emails to one address every %(minutes)d minutes.",
             n=amount, minutes=max(1, seconds // 60))


@transactional
def request_password_reset(email, *, ip: str = "") -> None:
    """Email a single-use reset link if an account has this address; silent otherwise.

    Raises InvalidInput for a malformed address and RateLimited (per IP); never says whether
    the address is registered, by its answer or by its time: the same work is done either
    way (the per-address quota counted, a reset row written, the mail composed; an unknown
    address's row has no user and its link is never sent), and mail leaves on the mail
    worker, after the answer. Over the per-address quota (reset_mail_quota() tells the
    person) nothing more is written or sent.
    """
    errors: dict = {}
    email = text(email, "email", errors).strip()
    validate_email(email, errors)
    if errors:
        raise InvalidInput(fields=errors)
    ratelimit.hit("LIMIT_PASSWORD_RESET_PER_IP", "reset-ip", ip or "unknown")
    user = db.session.scalar(select(User).where(User.email_key == email.lower()))
    if user is not None and user.is_deleted:
        user = None
    try:
        ratelimit.hit("LIMIT_PASSWORD_RESET_PER_ACCOUNT", "reset-addr", email.lower())
    except RateLimited:  # over the per-address quota: stay silent, send nothing more
        return
    token = new_token()
    now = utcnow()
    db.session.add(
        PasswordReset(
            token_hash=token_hash(token),
            user_id=user.id if user is not None else None,
            created_at=now,
            expires_at=now + timedelta(minutes=current_app.config["PASSWORD_RESET_MINUTES"]),
        )
    )
    link = external_url("auth.reset_password", token=token)
    with force_locale(user.locale if user is not None and user.locale else "en"):
        subject = _("Reset your Tacit password")
        body = _(
            "Hello %(name)s,\n\nSomeone (we hope you) asked to reset the password of your Tacit "
            "account. Open this link within an hour to choose a new password:\n\n%(link)s\n\n"
            "The link works once. If you did not ask for this, ignore this email: your "
            "password stays as it is.\n",
            name=user.name if user is not None else email,
            link=link,
        )
    message = mail.build_message(user.email if user is not None else email, subject, body)
    if user is not None:
        after_commit(mail.queue_message, message)


def mail_allowed(user: User) -> bool:
    """Whether we may mail this account unasked: its address is confirmed and it is not
    deleted. Notifications and digests go only to such addresses; mail the person asked for
    (a reset link, a confirmation link) goes to the address as it is."""
    return user.email_confirmed_at is not None and not user.is_deleted and bool(user.email)


def external_url(endpoint: str, **values) -> str:
    """An absolute URL for mail, built on BASE_URL (FORUM_BASE_URL) and never on the Host
    header of the request that caused the mail; RuntimeError when BASE_URL is not set."""
    base = current_app.config.get("BASE_URL")
    if not base:
        raise RuntimeError("FORUM_BASE_URL is not set: mail with links cannot be sent")
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                                       url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def _live_reset(token) -> PasswordReset | None:
    if not isinstance(token, str) or not token:
        return None
    record = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
    )
    if record is None or record.used_at is not None or record.expires_at <= utcnow():
        return None
    if record.user is None or record.user.is_deleted:  # an unknown address's row
        return None
    return record


def check_reset_token(token) -> bool:
    """True while a reset link can still be used."""
    return _live_reset(token) is not None


@transactional
def reset_password(token, new_password) -> User:
    """Set a new password from a reset link; the link is then spent and all sessions end.

    Raises NotFound for an unknown, used or expired link and InvalidInput for the password.
    """
    record = _live_reset(token)
    if record is None:
        raise NotFound(_("This reset link is not valid any more. Ask for a new one."))
    errors: dict = {}
    new_password = text(new_password, "new_password", errors)
    user = record.user
    validate_password(new_password, errors, field="new_password",
                      username=user.username or "", email=user.email or "")
    if errors:
        raise InvalidInput(fields=errors)
    now = utcnow()
    # Spend the link atomically: of two concurrent uses only one updates the row.
    spent = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == record.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        raise NotFound(_("This reset link is not valid any more. Ask for a new one."))
    user.password_hash = hash_password(new_password)
    user.email_confirmed_at = user.email_confirmed_at or now  # the link proved the mailbox
    _end_all_sessions_and_tokens(user, now)  # spends the account's other reset links too
    after_commit(registry.end_user_sockets, user.id)
    return user


@transactional
def delete_account(user: User, password) -> None:
    """Delete an account after checking its password; its content stays as "deleted user".

    Personal data is erased, sessions end and tokens are revoked. Raises InvalidInput.
    """
    if not isinstance(password, str) or not (
        user.password_hash and check_password_hash(user.password_hash, password)
    ):
        raise InvalidInput(fields={"password": _("This is not your current password.")})
    now = utcnow()
    _end_all_sessions_and_tokens(user, now)
    user.username = None
    user.username_key = None
    user.email = None
    user.email_key = None
    user.password_hash = None
    user.display_name = ""
    user.bio_source = ""
    user.bio_html = ""
    user.region = user.country = user.organization = user.title = ""
    user.verified_note = ""
    user.directory_hidden = True
    user.routing_paused = True
    user.deleted_at = now
    db.session.execute(delete(UserLanguage).where(UserLanguage.user_id == user.id))
    db.session.execute(delete(UserExpertise).where(UserExpertise.user_id == user.id))
    # What they followed, who followed them, their notifications and mail choices go too.
    db.session.execute(delete(Follow).where(or_(
        Follow.user_id == user.id, and_(Follow.target_type == "user",
                                        Follow.target_id == user.id))))
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(delete(MailSetting).where(MailSetting.user_id == user.id))
    after_commit(registry.end_user_sockets, user.id)


@transactional
def create_api_token(login_name, password, *, ip: str = "",
                     device=None) -> tuple[str, ApiToken]:
    """Log in for the API: returns the raw token (shown once) and its record.

    `device` is a known-device token from an earlier login (remember_device()), if the client
    kept one; InvalidInput when it is not text.
    """
    errors: dict = {}
    device = text(device, "device", errors)
    if errors:
        raise InvalidInput(fields=errors)
    user = authenticate(login_name, password, ip=ip, device=device)
    return issue_api_token(user)


@transactional
def issue_api_token(user: User) -> tuple[str, ApiToken]:
    """A new API token for `user`, valid for API_TOKEN_DAYS."""
    token = new_token()
    now = utcnow()
    record = ApiToken(
        token_hash=token_hash(token),
        user_id=user.id,
        created_at=now,
        expires_at=now + timedelta(days=current_app.config["API_TOKEN_DAYS"]),
    )
    db.session.add(record)
    return token, record


def token_user(token: str | None) -> tuple[User, ApiToken] | None:
    """The user of a live API token, or None (unknown, expired or revoked)."""
    if not token or not isinstance(token, str):
        return None
    record = db.session.scalar(_TOKEN_BY_HASH, {"token_hash": token_hash(token)})
    now = utcnow()
    if record is None or not record.is_live(now) or record.user.is_deleted:
        return None
    if record.last_used_at is None or now - record.last_used_at > timedelta(hours=1):
        with unit_of_work():
            record.last_used_at = now
    return record.user, record


# -- sockets: the credential of a Socket.IO connection, checked again at every event ------

CREDENTIAL_MAX = 512  # characters of a token in a socket's `auth`


@dataclass
class SocketCredential:
    """What a /chat socket proved when it connected."""

    user: User
    channels: tuple[str, ...]  # its private Socket.IO rooms: the credential's and the user's
    api_token: str | None = None  # None: the session cookie (with the page's CSRF token)


def _auth_value(auth: dict, name: str) -> str | None:
    value = auth.get(name)
    if isinstance(value, str) and 0 < len(value) <= CREDENTIAL_MAX:
        return value
    return None


def authenticate_socket(auth) -> SocketCredential | None:
    """The credential of a /chat connect: `auth` is {token: <API token>}, or {csrf: <the
    page's CSRF token>} beside a live session cookie; None for anything else."""
    if not isinstance(auth, dict):
        return None
    if "token" in auth:
        token = _auth_value(auth, "token")
        found = token_user(token) if token else None
        if found is None:
            return None
        user, record = found
        if _suspended(user):
            return None
        return SocketCredential(user, (token_channel(record.id), user_channel(user.id)),
                                api_token=token)
    csrf = _auth_value(auth, "csrf")
    if csrf is None:
        return None
    found = session_user(session.get("sid"), touch=False)
    if found is None:
        return None
    try:
        validate_csrf(csrf)
    except ValidationError:
        return None
    user, record = found
    if _suspended(user):
        return None
    return SocketCredential(user, (session_channel(record.token_hash), user_channel(user.id)))


def _suspended(user: User) -> bool:
    """Suspended and banned accounts read pages but open no socket that could write."""
    return user.suspended_until is not None and user.suspended_until > utcnow()


def socket_credential_user(user_id: int, api_token: str | None) -> User | None:
    """The user of a connected socket's credential (its API token, else the session cookie)
    while it is live and still belongs to `user_id`, else None."""
    if api_token is not None:
        found = token_user(api_token)
    else:
        found = session_user(session.get("sid"), touch=False)
    if found is None or found[0].id != user_id or _suspended(found[0]):
        return None
    return found[0]


def socket_session_user() -> User | None:
    """The user of the live login session behind a socket event (its cookie), or None.

    Checked on every event, not only at connect, so a logout or password change on any
    process stops the session's sockets at their next event.
    """
    found = session_user(session.get("sid"), touch=False)
    return found[0] if found else None


def socket_session_channels() -> tuple[str, ...]:
    """The private Socket.IO rooms of the live login session behind a /live connect (its
    cookie): the session's and its user's; () for an anonymous reader or an ended session."""
    found = session_user(session.get("sid"), touch=False)
    if found is None:
        return ()
    user, record = found
    return (session_channel(record.token_hash), user_channel(user.id))


@transactional
def revoke_api_token(record: ApiToken) -> None:
    """Revoke a token at once."""
    record.revoked_at = utcnow()
    after_commit(registry.end_token_sockets, record.id)


@transactional
def set_role(actor: User | None, username, role) -> User:
    """Grant a role; admins only (actor None means the command line). Raises as usual."""
    if actor is not None and not actor.is_admin:
        raise PermissionDenied(_("Only administrators can change roles."))
    if role not in ROLES:
        raise InvalidInput(fields={"role": _("Choose one of: %(roles)s.", roles=", ".join(ROLES))})
    user = get_user_by_username(username)
    if actor is not None and user.id == actor.id and role != "admin":
        raise Conflict(_("Administrators cannot remove their own administrator role."))
    if user.role != role:
        # An admin reads every private group, a moderator deleted questions: a demotion
        # takes the person's /live sockets out of what they may no longer read.
        after_commit(watchers.end_lost_access, user.id)
        audit.record(actor, "set_role", "user", user.id, before={"role": user.role},
                     after={"role": role})
    user.role = role
    return user

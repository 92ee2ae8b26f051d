"""The site's settings (its name, the welcome text of the home page, the default interface
language, open or invitation-only registration) and invitations to register.

Every page shows the name and every request may need the default language, so the settings
are read from a copy kept in each app (`app.extensions`), never with a query per request:

- The copy is loaded on the app's first context, from the one row (id 1; no row: the
  defaults), on a connection of its own so it never joins a request's transaction.
- A change made through update_settings() replaces this process's copy after its commit
  and moves a version on in Redis when several processes share the work (FORUM_REDIS_URL);
  the others look at that version at most once every SITE_SETTINGS_CHECK_SECONDS (1) and
  reload when it moved: a Redis GET, not an SQL query.
- Whatever happens, a copy older than SITE_SETTINGS_SECONDS (60) is reloaded: changes made
  outside the application (SQL by hand, another program without Redis) show within that.

Invitations are mailed links (only their hash is stored), valid INVITATION_DAYS (14) days,
spent by the registration they start (forum.services.registration), revocable. Admins
create and revoke them whatever the registration mode; each action writes the audit log.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from flask.signals import appcontext_pushed
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import joinedload

from forum import i18n, mail, permissions, redis
from forum.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from forum.extensions import db
from forum.markup import MARKUP_VERSION, render_markdown
from forum.models import REGISTRATION_MODES, Invitation, SiteSettings, User, utcnow
from forum.security import new_token, token_hash
from forum.services import accounts, audit, inputs
from forum.services.uow import after_commit, savepoint, transactional, unit_of_work

log = logging.getLogger(__name__)

EXTENSION = "tacit_site"
DEFAULT_NAME = "Tacit"
NAME_MAX = 80
WELCOME_MAX = 5000
INVITATION_DAYS = 14
INVITATION_DAYS_MAX = 90
TOKEN_MAX = 128


@dataclass(frozen=True)
class Site:
    """The settings as pages read them (a copy: changing it changes nothing)."""

    name: str = DEFAULT_NAME
    welcome_source: str = ""
    welcome_html: str = ""
    welcome_fr_source: str = ""
    welcome_fr_html: str = ""
    default_locale: str = "en"
    registration: str = "open"
    updated_at: datetime | None = None

    def welcome_html_in(self, locale) -> str:
        """The sanitized welcome text in `locale`: the French one when set, else English."""
        if self.welcome_fr_html and str(locale).startswith("fr"):
            return self.welcome_fr_html
        return self.welcome_html

    @property
    def invitation_only(self) -> bool:
        return self.registration == "invitation"


def _from_row(row) -> Site:
    if row is None:
        return Site()
    return Site(name=row.name or DEFAULT_NAME, welcome_source=row.welcome_source or "",
                welcome_html=row.welcome_html or "",
                welcome_fr_source=row.welcome_fr_source or "",
                welcome_fr_html=row.welcome_fr_html or "",
                default_locale=row.default_locale or "en",
                registration=row.registration or "open", updated_at=row.updated_at)


# -- the per-process copy -----------------------------------------------------------------


class _Copy:
    """One app's copy of the settings and when it was loaded and last checked."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.site: Site | None = None
        self.loaded_at = 0.0
        self.checked_at = 0.0
        self.version: str | None = None


def _copy() -> _Copy | None:
    return current_app.extensions.get(EXTENSION)


def _version_key() -> str:
    return redis.key("site", "version")


def _redis_version() -> str | None:
    client = redis.client()
    if client is None:
        return None
    try:
        return client.get(_version_key()) or "0"
    except Exception:
        log.exception("site settings: could not read the version from Redis")
        return None


def _load() -> Site:
    """Read the row on a connection of its own (no request transaction is joined)."""
    table = SiteSettings.__table__
    with db.engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.id == 1)).first()
    return _from_row(row)


def _reload(copy: _Copy) -> Site:
    version = _redis_version()
    site = _load()
    now = time.monotonic()
    with copy.lock:
        copy.site, copy.loaded_at, copy.checked_at, copy.version = site, now, now, version
    return site


def current() -> Site:
    """The site's settings, from this app's copy (reloaded when another process changed
    them, or when it is older than SITE_SETTINGS_SECONDS)."""
    copy = _copy()
    if copy is None:  # an app without the admin blueprint: read every time
        return _load()
    now = time.monotonic()
    site = copy.site
    config = current_app.config
    stale = site is None or now - copy.loaded_at > config.get("SITE_SETTINGS_SECONDS", 60)
    if not stale and redis.client() is not None \
            and now - copy.checked_at >= config.get("SITE_SETTINGS_CHECK_SECONDS", 1):
        copy.checked_at = now
        version = _redis_version()
        stale = version is not None and version != copy.version
    if not stale:
        return site
    try:
        return _reload(copy)
    except SQLAlchemyError:
        if site is None:
            raise
        # The database did not answer: the copy we have serves until it does.
        log.warning("site settings: could not reload, keeping the copy", exc_info=True)
        return site


def _installed(site: Site) -> None:
    """After the commit of a change: this process's copy is the new settings at once, and
    the other processes learn of it through the version in Redis."""
    copy = _copy()
    if copy is not None:
        with copy.lock:
            copy.site, copy.loaded_at = site, time.monotonic()
    client = redis.client()
    if client is not None:
        try:
            version = client.incr(_version_key())
        except Exception:
            log.exception("site settings: could not move the version on in Redis")
        else:
            if copy is not None:
                with copy.lock:
                    copy.version, copy.checked_at = str(version), time.monotonic()


def _warm(app: Flask, **_extra) -> None:
    """Load the copy on the app's first context, before any request counts its queries. A
    database without the table yet (before `flask db upgrade`) leaves it for later."""
    copy = app.extensions.get(EXTENSION)
    if copy is None or copy.site is not None:
        return
    try:
        _reload(copy)
    except SQLAlchemyError:
        log.debug("site settings: not readable yet", exc_info=True)


def default_locale() -> str:
    """The interface language for visitors who chose none and whose browser asks for none
    we have (forum.i18n calls this)."""
    try:
        return current().default_locale
    except SQLAlchemyError:  # no table yet (a command before the migrations)
        return current_app.config.get("BABEL_DEFAULT_LOCALE", "en")


def init_app(app: Flask) -> None:
    """Keep a copy of the settings in `app` and give forum.i18n the default language."""
    app.extensions[EXTENSION] = _Copy()
    app.extensions[i18n.DEFAULT_LOCALE_HOOK] = default_locale
    appcontext_pushed.connect(_warm, app)


def site_name() -> str:
    return current().name


# -- changing the settings ----------------------------------------------------------------


def require_admin(actor) -> None:
    """Raise PermissionDenied unless `actor` is an active administrator."""
    inputs.require_active(actor)
    if not permissions.is_admin(actor):
        raise PermissionDenied(_("Only administrators can do this."))


def _clean_text(value, field: str, errors: dict, *, max_len: int, required: bool = False,
                one_line: bool = False) -> str:
    value = inputs.text(value, field, errors)
    if field in errors:
        return ""
    value = " ".join(value.split()) if one_line else value.strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > max_len:
        errors[field] = _("Use at most %(n)d characters.", n=max_len)
    return value


def _state(site: Site) -> dict:
    return {"name": site.name, "welcome": site.welcome_source,
            "welcome_fr": site.welcome_fr_source, "default_locale": site.default_locale,
            "registration": site.registration}


@transactional
def update_settings(actor, *, name, welcome, welcome_fr, default_locale, registration
                    ) -> Site:
    """Change the site's settings (admins only): name (1 to 80 characters), welcome texts
    (Markdown, English and French, up to 5000 characters each, rendered now),
    default_locale ('en' or 'fr'), registration ('open' or 'invitation'). Writes one
    audit entry with the values that changed. Raises PermissionDenied, InvalidInput."""
    require_admin(actor)
    errors: dict = {}
    name = _clean_text(name, "name", errors, max_len=NAME_MAX, required=True, one_line=True)
    welcome = _clean_text(welcome, "welcome", errors, max_len=WELCOME_MAX)
    welcome_fr = _clean_text(welcome_fr, "welcome_fr", errors, max_len=WELCOME_MAX)
    if default_locale not in current_app.config["LANGUAGES"]:
        errors["default_locale"] = _("Choose English or French.")
    if registration not in REGISTRATION_MODES:
        errors["registration"] = _("Choose open registration or by invitation.")
    if errors:
        raise InvalidInput(fields=errors)
    row = db.session.get(SiteSettings, 1)
    before = _state(_from_row(row))
    rendered = render_markdown(welcome)
    rendered_fr = render_markdown(welcome_fr)
    values = {"name": name, "welcome_source": welcome, "welcome_html": rendered.html,
              "welcome_fr_source": welcome_fr, "welcome_fr_html": rendered_fr.html,
              "markup_version": rendered.version, "default_locale": default_locale,
              "registration": registration, "updated_at": utcnow(),
              "updated_by_id": actor.id}
    if row is None:
        try:
            with savepoint():
                row = SiteSettings(id=1, **values)
                db.session.add(row)
        except IntegrityError as exc:  # another admin saved the first settings just now
            raise Conflict(_("The settings were changed at the same moment: "
                             "look at them again.")) from exc
    else:
        for key, value in values.items():
            setattr(row, key, value)
    site = _from_row(row)
    after = _state(site)
    changed = [key for key in after if before[key] != after[key]]
    if changed:
        audit.record(actor, "update_site_settings", "site", 1,
                     before={key: before[key] for key in changed},
                     after={key: after[key] for key in changed})
    after_commit(_installed, site)
    return site


def rerender_welcome(*, force: bool = False) -> int:
    """Render the welcome texts again when they were rendered by an older MARKUP_VERSION
    (always with `force`), for `flask markup rerender`; returns 1 when it did, else 0.
    Every process picks the new text up as after an admin's change."""
    with unit_of_work():
        row = db.session.get(SiteSettings, 1)
        if row is None or (not force and row.markup_version >= MARKUP_VERSION):
            return 0
        rendered = render_markdown(row.welcome_source or "")
        rendered_fr = render_markdown(row.welcome_fr_source or "")
        row.welcome_html, row.welcome_fr_html = rendered.html, rendered_fr.html
        row.markup_version = rendered.version
        after_commit(_installed, _from_row(row))
    return 1


# -- invitations --------------------------------------------------------------------------


def invitations_query(actor):
    """A select() of every invitation, newest first, with who sent and used it (admins
    only). Raises PermissionDenied."""
    require_admin(actor)
    return (select(Invitation)
            .options(joinedload(Invitation.created_by), joinedload(Invitation.used_by))
            .order_by(Invitation.created_at.desc(), Invitation.id.desc()))


def _mail_invitation(email: str, locale: str, link: str, days: int, inviter: str) -> None:
    site = current()
    with force_locale(locale):
        subject = _("You are invited to join %(site)s", site=site.name)
        body = _(
            "Hello,\n\n%(inviter)s invites you to join %(site)s, where family-planning and "
            "reproductive-health practitioners ask practical questions and share what "
            "works.\n\nTo create your account, open this link within %(days)d days:\n\n"
            "%(link)s\n\nThe link works once, for this email address only. If you do not "
            "want an account, ignore this email.\n",
            inviter=inviter, site=site.name, link=link, days=days)
    after_commit(mail.send, email, subject, body)


@transactional
def create_invitation(actor, email, *, locale=None, days=None) -> Invitation:
    """Invite `email` to register (admins only, whatever the registration mode): a link
    valid `days` (1 to 90, default 14) days is mailed in `locale` ('en', 'fr'; default the
    site's language). An earlier open invitation to the same address is revoked: the new
    link replaces it. Raises PermissionDenied, InvalidInput (a bad address, or one that
    has an account already)."""
    require_admin(actor)
    errors: dict = {}
    email = inputs.text(email, "email", errors).strip()
    if "email" not in errors:
        accounts.validate_email(email, errors)
    if locale in (None, ""):
        locale = current().default_locale
    elif locale not in current_app.config["LANGUAGES"]:
        errors["locale"] = _("Choose English or French.")
    if days in (None, ""):
        days = INVITATION_DAYS
    else:
        number = inputs.as_int(days)
        if number is None or not 1 <= number <= INVITATION_DAYS_MAX:
            errors["days"] = _("Choose a number of days from 1 to %(n)d.",
                               n=INVITATION_DAYS_MAX)
        days = number
    if "email" not in errors and db.session.scalar(
            select(User.id).where(User.email_key == email.lower())) is not None:
        errors["email"] = _("An account with this email address exists already.")
    if errors:
        raise InvalidInput(fields=errors)
    now = utcnow()
    email_key = email.lower()
    replaced = db.session.execute(
        update(Invitation).where(Invitation.email == email_key, Invitation.used_at.is_(None),
                                 Invitation.revoked_at.is_(None), Invitation.expires_at > now)
        .values(revoked_at=now), execution_options={"synchronize_session": False}).rowcount
    token = new_token()
    invitation = Invitation(token_hash=token_hash(token), email=email_key,
                            created_by_id=actor.id, created_at=now,
                            expires_at=now + timedelta(days=days))
    db.session.add(invitation)
    db.session.flush()
    audit.record(actor, "invite", "invitation", invitation.id,
                 after={"email": email_key, "expires_at": invitation.expires_at.isoformat(),
                        "replaced": replaced or 0})
    _mail_invitation(email, locale, accounts.external_url("auth.register", invitation=token),
                     days, actor.name)
    return invitation


@transactional
def revoke_invitation(actor, invitation_id) -> Invitation:
    """Revoke an open invitation: its link stops working (admins only). Raises
    PermissionDenied, NotFound, Conflict (used, revoked or expired already)."""
    require_admin(actor)
    ident = inputs.as_id(invitation_id)
    invitation = db.session.get(Invitation, ident) if ident else None
    if invitation is None:
        raise NotFound(_("No such invitation."))
    state = invitation.state(utcnow())
    if state != "open":
        raise Conflict(_("This invitation was used, revoked or expired already."))
    invitation.revoked_at = utcnow()
    audit.record(actor, "revoke_invitation", "invitation", invitation.id,
                 before={"state": "open"}, after={"state": "revoked"})
    return invitation


def live_invitation(token) -> Invitation | None:
    """The invitation of this link while it can be used (not used, revoked or expired),
    else None."""
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX:
        return None
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash(token)))
    if invitation is None or invitation.state(utcnow()) != "open":
        return None
    return invitation


def spend_invitation(invitation: Invitation, user: User) -> bool:
    """Mark the invitation used by `user`, inside the caller's write; False when a
    concurrent registration spent it first (or it was revoked meanwhile)."""
    now = utcnow()
    spent = db.session.execute(
        update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None),
                                 Invitation.revoked_at.is_(None), Invitation.expires_at > now)
        .values(used_at=now, used_by_id=user.id),
        execution_options={"synchronize_session": False})
    return spent.rowcount == 1


def live_invitation_for(email_key: str) -> Invitation | None:
    """The newest open invitation to this address, or None."""
    return db.session.scalar(
        select(Invitation).where(Invitation.email == email_key, Invitation.used_at.is_(None),
                                 Invitation.revoked_at.is_(None),
                                 Invitation.expires_at > utcnow())
        .order_by(Invitation.id.desc()).limit(1))


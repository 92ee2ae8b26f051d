"""Registration by email confirmation, confirming an existing account's address, and sign-in
links for an owner whom distributed guessing locked out (security issue 10, findings 3, 5, 6).

- Registering is a request: the account is created only when the link mailed to the address
  is used. Whether the address has an account already never shows in the answer, nor in its
  time: the same checks, password hash and writes happen, and one mail goes out either way
  (to an existing account's owner, a warning with a way to sign in or reset the password).
  Only the username can be refused at once (409): usernames are public.
- Accounts made before confirmation existed confirm their address with a link
  (`confirm_email`); a password reset confirms it too (accounts.reset_password).
- A sign-in link (`sign_in`) goes only to a confirmed address. It does not log anyone in: it
  makes the browser that opens it a known device of the account (accounts.remember_device),
  which the per-account ceiling of failed logins does not hold back. The password is still
  needed.

When the site's registration is by invitation (an admin's setting, forum.services.site),
registering needs an open invitation: its link, mailed to one address by an admin, starts a
registration for that address only (`register_with_invitation`). The link proves the
address, so the account is made at once, confirmed, and the invitation spent. A request
without one is refused (403), and so is the confirmation of a registration asked for while
registration was open, unless an invitation to that address is open (it is spent then).

Links are single use, stored as hashes, and spent atomically (of two concurrent uses one
wins). Mail to one address is limited per hour; over the limit nothing more is sent and the
answer stays the same. Notifications and digests go only to confirmed addresses:
accounts.mail_allowed(user).
"""

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from forum import mail, ratelimit
from forum.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited
from forum.extensions import db
from forum.models import EmailLink, PendingRegistration, User, utcnow
from forum.security import new_token, token_hash
from forum.services import accounts, site
from forum.services.accounts import StartedSession, external_url
from forum.services.inputs import text
from forum.services.uow import after_commit, transactional

LOGIN_MAX = 254  # characters of a username or email worth looking up


def _language(locale: str | None) -> str:
    """The language to write a mail in: the recipient's, else English."""
    return locale if locale in accounts.SUPPORTED_LOCALES else "en"


def _within_mail_limit(setting: str, scope: str, email_key: str) -> bool:
    """Count one mail to this address; False once over config[setting] (send nothing)."""
    try:
        ratelimit.hit(setting, scope, email_key)
    except RateLimited:
        return False
    return True


# -- registration ---------------------------------------------------------------------------

def _by_invitation_only() -> PermissionDenied:
    return PermissionDenied(_("Registration is by invitation only. Ask an administrator of "
                              "%(site)s for an invitation.", site=site.current().name))


def _mail_confirmation(email: str, locale: str | None, name: str, username: str,
                       link: str) -> None:
    with force_locale(_language(locale)):
        subject = _("Finish creating your Tacit account")
        body = _(
            "Hello %(name)s,\n\nTo finish creating your Tacit account %(username)s, open this "
            "link within %(hours)d hours and press \"Create my account\":\n\n%(link)s\n\n"
            "If you did not ask for an account, ignore this email: nothing is created without "
            "you.\n",
            name=name, username=username, link=link,
            hours=current_app.config["REGISTRATION_CONFIRM_HOURS"])
    after_commit(mail.send, email, subject, body)


def _mail_address_taken(owner: User) -> None:
    with force_locale(_language(owner.locale)):
        subject = _("Someone tried to create a Tacit account with your address")
        body = _(
            "Hello %(name)s,\n\nSomeone (perhaps you) tried to create a Tacit account with "
            "this email address. You already have one, with the username %(username)s: no "
            "second account was created.\n\nSign in:\n%(login)s\n\nForgot your password? "
            "Choose a new one here:\n%(reset)s\n\nIf it was not you, ignore this email: "
            "nothing changed.\n",
            name=owner.name, username=owner.username, login=external_url("auth.login"),
            reset=external_url("auth.forgot_password"))
    after_commit(mail.send, owner.email, subject, body)


@transactional
def request_registration(username, email, password, display_name=None, *,
                         locale: str | None = None, ip: str = "") -> str:
    """Ask for an account: mail a confirmation link to the address (or, when an account has
    it already, a warning to its owner). Returns the address, as cleaned.

    Answers the same whether or not the address has an account. Raises InvalidInput,
    Conflict (naming `username` only), RateLimited (per IP), or PermissionDenied when
    registration is by invitation only (register_with_invitation() is the way then).
    """
    if site.current().invitation_only:
        raise _by_invitation_only()
    errors: dict = {}
    username, email, password, display_name = accounts.clean_registration(
        username, email, password, display_name, errors)
    if errors:
        raise InvalidInput(fields=errors)
    ratelimit.hit("LIMIT_REGISTER_PER_IP", "register-ip", ip or "unknown")
    if accounts.username_taken(username):
        raise Conflict(_("Some details are already in use."),
                       fields={"username": _("This username is taken.")})
    # The costly part, whoever owns the address: the answer's time tells nothing.
    password_hash = accounts.hash_password(password)
    now = utcnow()
    db.session.execute(delete(PendingRegistration).where(PendingRegistration.expires_at <= now))
    email_key = email.lower()
    if not _within_mail_limit("LIMIT_CONFIRMATION_MAIL_PER_ADDRESS", "confirm-mail", email_key):
        return email
    owner = db.session.scalar(select(User).where(User.email_key == email_key))
    # The same row either way, so the answer's time tells nothing: when an account has the
    # address, the row's link is never sent (and would find the address taken).
    token = new_token()
    db.session.add(PendingRegistration(
        token_hash=token_hash(token),
        username=username,
        username_key=username.lower(),
        email=email,
        email_key=email_key,
        password_hash=password_hash,
        display_name=display_name,
        locale=locale if locale in accounts.SUPPORTED_LOCALES else None,
        created_at=now,
        expires_at=now + timedelta(hours=current_app.config["REGISTRATION_CONFIRM_HOURS"]),
    ))
    if owner is not None:
        _mail_address_taken(owner)
    else:
        _mail_confirmation(email, locale, display_name or username, username,
                           external_url("auth.confirm_registration", token=token))
    return email


def pending_registration(token) -> PendingRegistration | None:
    """The registration this link would create while it can still be used, else None."""
    if not isinstance(token, str) or not token or len(token) > 128:
        return None
    record = db.session.scalar(
        select(PendingRegistration).where(PendingRegistration.token_hash == token_hash(token)))
    if record is None or record.expires_at <= utcnow():
        return None
    return record


def _registration_link_gone() -> NotFound:
    return NotFound(_("This link is not valid any more: it was used already, or it is too old. "
                      "Register again to get a new one."))


@transactional
def confirm_registration(token) -> User:
    """Create the account of a pending registration (its address confirmed); the link is
    spent. Raises NotFound for an unknown, used or expired link and Conflict when the
    username or the address got an account meanwhile (then nothing is written)."""
    errors: dict = {}
    token = text(token, "token", errors)
    if errors:
        raise InvalidInput(fields=errors)
    record = pending_registration(token)
    if record is None:
        raise _registration_link_gone()
    values = {name: getattr(record, name) for name in (
        "username", "email", "email_key", "password_hash", "display_name", "locale")}
    invitation = site.live_invitation_for(values["email_key"])
    if invitation is None and site.current().invitation_only:
        raise _by_invitation_only()
    # Spend the link atomically: of two concurrent uses only one deletes the row.
    spent = db.session.execute(
        delete(PendingRegistration).where(PendingRegistration.id == record.id),
        execution_options={"synchronize_session": False})
    if spent.rowcount != 1:
        raise _registration_link_gone()
    try:
        user = accounts.add_user(values["username"], values["email"], values["password_hash"],
                                 values["display_name"], locale=values["locale"],
                                 email_confirmed_at=utcnow())
    except Conflict as error:
        fields = error.fields or {}
        if "username" in fields:
            message = _("The username %(username)s was taken while your link waited. "
                        "Register again with another username.", username=values["username"])
        else:
            message = _("An account with this email address was created while your link "
                        "waited: log in, or reset your password.")
        raise Conflict(message, fields=fields) from None
    if invitation is not None and not site.spend_invitation(invitation, user) \
            and site.current().invitation_only:
        raise _invitation_gone()
    # Other requests for this address can never succeed now.
    db.session.execute(
        delete(PendingRegistration).where(PendingRegistration.email_key == values["email_key"]),
        execution_options={"synchronize_session": False})
    return user


def _invitation_gone() -> NotFound:
    return NotFound(_("This invitation is not valid any more: it was used already, revoked, "
                      "or it is too old. Ask the person who invited you for a new one."))


def by_invitation_only() -> bool:
    """Whether registering needs an invitation now (the site's setting)."""
    return site.current().invitation_only


def invitation_for(token):
    """The open invitation of this link (forum.models.Invitation), or None."""
    return site.live_invitation(token)


@transactional
def register_with_invitation(token, username, password, display_name=None, *,
                             email=None, locale: str | None = None, ip: str = "") -> User:
    """Create an account at once from an invitation's link, whatever the registration
    mode: the address is the invitation's (it proved it by receiving the link), so it is
    confirmed; the invitation is spent (once: of two concurrent uses one wins). `email`,
    when given, must be that address. Raises NotFound (unknown, used, revoked or expired
    link), InvalidInput, Conflict (username or address taken), RateLimited (per IP)."""
    invitation = site.live_invitation(token)
    if invitation is None:
        raise _invitation_gone()
    errors: dict = {}
    if email not in (None, "") and (not isinstance(email, str)
                                    or email.strip().lower() != invitation.email):
        errors["email"] = _("Use the address the invitation was sent to.")
    username, _email, password, display_name = accounts.clean_registration(
        username, invitation.email, password, display_name, errors)
    if errors:
        raise InvalidInput(fields=errors)
    ratelimit.hit("LIMIT_REGISTER_PER_IP", "register-ip", ip or "unknown")
    user = accounts.add_user(username, invitation.email, accounts.hash_password(password),
                             display_name, locale=locale, email_confirmed_at=utcnow())
    if not site.spend_invitation(invitation, user):
        raise _invitation_gone()
    db.session.execute(
        delete(PendingRegistration).where(PendingRegistration.email_key == invitation.email),
        execution_options={"synchronize_session": False})
    return user


@transactional
def register_with_invitation_and_sign_in(token, username, password, display_name=None, *,
                                         locale: str | None = None, ip: str = "",
                                         user_agent: str = "") -> StartedSession:
    """register_with_invitation(), then a login session (with a known-device token) for
    the new account."""
    user = register_with_invitation(token, username, password, display_name, locale=locale,
                                    ip=ip)
    started = accounts.start_session(user, ip=ip, user_agent=user_agent)
    started.device = accounts.remember_device(user)
    return started


@transactional
def confirm_registration_and_sign_in(token, *, ip: str = "", user_agent: str = "",
                                     previous_session: str | None = None) -> StartedSession:
    """confirm_registration(), then a login session for the new account; the started
    session carries a known-device token for the browser (StartedSession.device). The
    browser's `previous_session` (someone else signed in there) ends."""
    user = confirm_registration(token)
    accounts.end_session(previous_session)
    started = accounts.start_session(user, ip=ip, user_agent=user_agent)
    started.device = accounts.remember_device(user)
    return started


# -- links to an account's address: confirm it, or sign in from a new browser ---------------



def _live_link(token, purpose: str) -> EmailLink | None:
    """The unused, unexpired link of this purpose, while its account still has the address
    it was sent to; else None."""
    if not isinstance(token, str) or not token or len(token) > 128:
        return None
    record = db.session.scalar(select(EmailLink).where(EmailLink.token_hash == token_hash(token)))
    if record is None or record.purpose != purpose or record.used_at is not None or \
            record.expires_at <= utcnow():
        return None
    user = record.user
    if user is None or user.is_deleted or user.email_key != record.email_key:
        return None
    return record


def email_link_is_live(token, purpose: str) -> bool:
    """True while a `confirm_email` or `sign_in` link can still be used."""
    return _live_link(token, purpose) is not None


def _spend(record: EmailLink, now: datetime) -> bool:
    """Mark the link used; False when a concurrent use spent it first."""
    spent = db.session.execute(
        update(EmailLink).where(EmailLink.id == record.id, EmailLink.used_at.is_(None))
        .values(used_at=now), execution_options={"synchronize_session": False})
    return spent.rowcount == 1


def _new_link(user: User | None, purpose: str, lifetime: timedelta, now: datetime, *,
              email_key: str | None = None) -> str:
    """Store a new link of `purpose` to the user's address; returns its raw token (for the
    mail only). Without a user (work done alike for an unknown login) the link is dead: it
    names no account. Links expired a day ago go: nobody can use them, and the table stays
    small."""
    db.session.execute(delete(EmailLink).where(EmailLink.expires_at <= now - timedelta(days=1)),
                       execution_options={"synchronize_session": False})
    token = new_token()
    db.session.add(EmailLink(purpose=purpose, token_hash=token_hash(token),
                             user_id=user.id if user is not None else None,
                             email_key=email_key or user.email_key, created_at=now,
                             expires_at=now + lifetime))
    return token


@transactional
def request_email_confirmation(user: User) -> str:
    """Mail `user` a link that confirms their address; returns the address. Raises Conflict
    when it is confirmed already and RateLimited past LIMIT_CONFIRMATION_MAIL_PER_ADDRESS."""
    if user.is_deleted or not user.email:
        raise PermissionDenied()
    if user.email_confirmed_at is not None:
        raise Conflict(_("Your email address is confirmed already."))
    ratelimit.hit("LIMIT_CONFIRMATION_MAIL_PER_ADDRESS", "confirm-mail", user.email_key)
    token = _new_link(user, "confirm_email",
                      timedelta(hours=current_app.config["EMAIL_CONFIRM_HOURS"]), utcnow())
    link = external_url("auth.confirm_email", token=token)
    with force_locale(_language(user.locale)):
        subject = _("Confirm your email address for Tacit")
        body = _(
            "Hello %(name)s,\n\nOpen this link within %(hours)d hours and press \"Confirm my "
            "address\" to confirm that this address belongs to your Tacit account "
            "%(username)s:\n\n%(link)s\n\nIf you did not ask for this, ignore this email.\n",
            name=user.name, username=user.username, link=link,
            hours=current_app.config["EMAIL_CONFIRM_HOURS"])
    after_commit(mail.send, user.email, subject, body)
    return user.email


def _confirm_link_gone() -> NotFound:
    return NotFound(_("This link is not valid any more: it was used already, or it is too old. "
                      "Ask for a new one on your account page."))


@transactional
def confirm_email(token, *, actor: User | None = None) -> User:
    """Confirm the address a `confirm_email` link was sent to; the link is spent.

    `actor` is who is signed in (None: nobody, which is fine: the link is the proof). Raises
    NotFound for an unknown, used or expired link and PermissionDenied when someone else
    is signed in.
    """
    record = _live_link(token, "confirm_email")
    if record is None:
        raise _confirm_link_gone()
    if actor is not None and actor.id != record.user_id:
        raise PermissionDenied(_("This link confirms the address of another account. Log out, "
                                 "then open it again."))
    now = utcnow()
    if not _spend(record, now):
        raise _confirm_link_gone()
    user = record.user
    user.email_confirmed_at = user.email_confirmed_at or now
    return user


@transactional
def request_sign_in_link(login, *, ip: str = "") -> None:
    """Mail a sign-in link to the account whose username or email is `login`, when its
    address is confirmed; silent otherwise (unknown account, unconfirmed address, over
    LIMIT_SIGN_IN_MAIL_PER_ADDRESS). Raises InvalidInput for an empty login and
    RateLimited (per IP)."""
    errors: dict = {}
    login = text(login, "login", errors).strip()
    if not login and not errors:
        errors["login"] = _("Enter your username or email.")
    if errors:
        raise InvalidInput(fields=errors)
    ratelimit.hit("LIMIT_SIGN_IN_LINK_PER_IP", "sign-in-link-ip", ip or "unknown")
    user = accounts.find_user_by_login(login) if len(login) <= LOGIN_MAX else None
    if user is not None and not accounts.mail_allowed(user):
        user = None
    # The same work whoever asks, so the answer's time does not tell which logins have a
    # confirmed address: the quota counted, a link stored and a mail composed; without an
    # account (or a confirmed address) the link has no user and the mail is never queued.
    address = user.email_key if user is not None else login.lower()[:254]
    if not _within_mail_limit("LIMIT_SIGN_IN_MAIL_PER_ADDRESS", "sign-in-mail", address):
        return
    token = _new_link(user, "sign_in",
                      timedelta(minutes=current_app.config["SIGN_IN_LINK_MINUTES"]), utcnow(),
                      email_key=address)
    link = external_url("auth.sign_in_link", token=token)
    with force_locale(_language(user.locale if user is not None else None)):
        subject = _("Sign in to Tacit from your browser")
        body = _(
            "Hello %(name)s,\n\nYou asked for a link to sign in to your Tacit account "
            "%(username)s while many failed logins from elsewhere hold it back. Open this link "
            "within %(minutes)d minutes in the browser you use, and press the button there: that "
            "browser can then sign in with your password.\n\n%(link)s\n\nThe link works once "
            "and does not sign you in by itself. If you did not ask for it, ignore this email; "
            "someone may be guessing your password, so choose a long one.\n",
            name=user.name if user is not None else login,
            username=user.username if user is not None else login, link=link,
            minutes=current_app.config["SIGN_IN_LINK_MINUTES"])
    message = mail.build_message(user.email if user is not None else "nobody@invalid",
                                 subject, body)
    if user is not None:
        after_commit(mail.queue_message, message)


@transactional
def use_sign_in_link(token) -> str:
    """Spend a sign-in link: returns a known-device token of its account for the browser
    that opened it (a new device, whatever its failures were). Raises NotFound for an
    unknown, used or expired link."""
    record = _live_link(token, "sign_in")
    gone = NotFound(_("This link is not valid any more: it was used already, or it is too old. "
                      "Ask for a new one from the login page."))
    if record is None:
        raise gone
    if not _spend(record, utcnow()):
        raise gone
    return accounts.remember_device(record.user)

"""How notifications reach a member by mail: per-kind settings, one-click unsubscribe links,
and the immediate mails of notifications.

Each kind of notification goes by mail at once, in a daily or a weekly digest, or not at all
(MailSetting rows; a kind without a row has its default below). Mail goes only to confirmed
addresses (accounts.mail_allowed). Every mail carries a signed unsubscribe link that needs no
login: opening it shows what it turns off, and a POST (a button, or a mail client's one-click
List-Unsubscribe-Post) turns that kind off.
"""

from urllib.parse import urljoin

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from forum import mail
from forum.errors import InvalidInput, NotFound
from forum.extensions import db
from forum.models import MAIL_DELIVERIES, NOTIFICATION_KINDS, MailSetting, Notification, User
from forum.models.base import utcnow
from forum.services.accounts import external_url, mail_allowed
from forum.services.reply_tokens import reply_address
from forum.services.uow import after_commit, savepoint, transactional

# What a kind does by mail until its member says otherwise: what concerns you directly
# comes at once, news of what you follow comes once a day.
DEFAULT_DELIVERY = {kind: "immediate" for kind in NOTIFICATION_KINDS} | {
    "new_question": "daily",
}
# The kinds a member may set, in the order the settings page lists them, with their label.
KIND_LABELS = {
    "answer": _l("New answers on questions you follow"),
    "reply": _l("Replies to your posts"),
    "accepted": _l("Your answer accepted"),
    "mention": _l("Mentions of you"),
    "new_question": _l("New questions in groups, tags and people you follow, and unanswered "
                       "questions in your expertise"),
    "routed": _l("Questions routed to you as an expert"),
    "faq": _l("Your answers promoted to the FAQ"),
    "accept_reminder": _l("Reminders to accept an answer"),
    "join_request": _l("Requests to join a group you moderate"),
    "join_decision": _l("Answers to your requests to join a group"),
    "held": _l("First posts waiting for your approval in a group you moderate"),
}
DELIVERY_LABELS = {
    "immediate": _l("At once"),
    "daily": _l("Daily digest"),
    "weekly": _l("Weekly digest"),
    "off": _l("Off"),
}
ALL_KINDS = "all"  # an unsubscribe link that turns every kind off
# Kinds about one thread whose mail can be answered by replying to it (reply by email, on
# when REPLY_DOMAIN is set): about a post, the reply goes under that post; else it answers.
REPLYABLE_KINDS = ("answer", "reply", "mention", "new_question", "routed")


def mail_settings(user: User) -> dict[str, str]:
    """{kind: delivery} for every kind, the member's own choices over the defaults."""
    chosen = dict(db.session.execute(
        select(MailSetting.kind, MailSetting.delivery).where(MailSetting.user_id == user.id))
        .all())
    return {kind: chosen.get(kind, DEFAULT_DELIVERY[kind]) for kind in KIND_LABELS}


def deliveries_of(user_ids) -> dict[int, dict[str, str]]:
    """{user id: {kind: delivery}} for many members in one query (the digests)."""
    ids = list(user_ids)
    found: dict[int, dict[str, str]] = {user_id: dict(DEFAULT_DELIVERY) for user_id in ids}
    if not ids:
        return found
    for user_id, kind, delivery in db.session.execute(
            select(MailSetting.user_id, MailSetting.kind, MailSetting.delivery)
            .where(MailSetting.user_id.in_(ids))):
        found[user_id][kind] = delivery
    return found


def _set(user: User, kind: str, delivery: str) -> None:
    row = db.session.scalar(select(MailSetting).where(MailSetting.user_id == user.id,
                                                      MailSetting.kind == kind))
    if row is None:
        try:
            with savepoint():
                db.session.add(MailSetting(user_id=user.id, kind=kind, delivery=delivery))
        except IntegrityError:  # a concurrent first choice: take that row and update it
            row = db.session.scalar(select(MailSetting).where(
                MailSetting.user_id == user.id, MailSetting.kind == kind))
            if row is None:
                raise
            row.delivery = delivery
    else:
        row.delivery = delivery


@transactional
def update_mail_settings(user: User, choices) -> dict[str, str]:
    """Set how each kind reaches `user` by mail; `choices` is {kind: delivery} (kinds not
    given stay as they are). Raises InvalidInput naming each bad kind or delivery."""
    if not isinstance(choices, dict):
        raise InvalidInput(fields={"settings": _("Must be an object of kind: delivery.")})
    errors = {}
    for kind, delivery in choices.items():
        if kind not in KIND_LABELS:
            errors[str(kind)[:40]] = _("Unknown kind of notification.")
        elif delivery not in MAIL_DELIVERIES:
            errors[kind] = _("Choose immediate, daily, weekly or off.")
    if errors:
        raise InvalidInput(fields=errors)
    for kind, delivery in choices.items():
        _set(user, kind, delivery)
    return mail_settings(user)


# -- one-click unsubscribe -----------------------------------------------------------------

def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="tacit-unsubscribe")


def unsubscribe_url(user: User, kind: str) -> str:
    """A link that turns `kind` (or ALL_KINDS) off for `user`, without a login. It does not
    expire: an old digest's link still works (it can only turn mail off)."""
    return external_url("notifications.unsubscribe",
                        token=_signer().dumps({"u": user.id, "k": kind}))


def read_unsubscribe_token(token) -> tuple[User, str]:
    """The member and the kind an unsubscribe link names; NotFound for a bad link."""
    gone = NotFound(_("This unsubscribe link is not valid."))
    if not isinstance(token, str) or not token or len(token) > 300:
        raise gone
    try:
        data = _signer().loads(token)
    except BadData:
        raise gone from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or \
            data.get("k") not in (*KIND_LABELS, ALL_KINDS):
        raise gone
    user = db.session.get(User, data["u"])
    if user is None or user.is_deleted:
        raise gone
    return user, data["k"]


@transactional
def unsubscribe(token) -> tuple[User, str]:
    """Turn off the kind the link names (every kind for ALL_KINDS)."""
    user, kind = read_unsubscribe_token(token)
    for each in (KIND_LABELS if kind == ALL_KINDS else (kind,)):
        _set(user, each, "off")
    return user, kind


def absolute(url: str) -> str:
    """A notification's link (a path on this forum) as mail needs it: on FORUM_BASE_URL."""
    return urljoin(external_url("main.index"), url)


def kind_label(kind: str) -> str:
    return str(KIND_LABELS[kind]) if kind in KIND_LABELS else _("every kind of mail")


# -- immediate mail of notifications -------------------------------------------------------

def mail_immediately(notification_ids) -> int:
    """Inside the write that created these notifications: choose the ones whose kind their
    recipient set to go at once (confirmed addresses only), mark them mailed, and queue their
    mails for after the commit. Three statements whatever their number; returns how many."""
    ids = list(notification_ids)
    if not ids:
        return 0
    rows = db.session.execute(
        select(Notification.id, Notification.kind, User)
        .join(User, User.id == Notification.user_id).where(Notification.id.in_(ids))).all()
    settings = deliveries_of({user.id for _id, _kind, user in rows})
    chosen = [note_id for note_id, kind, user in rows
              if mail_allowed(user) and settings[user.id].get(kind) == "immediate"]
    if chosen:
        db.session.execute(update(Notification).where(Notification.id.in_(chosen))
                           .values(mailed_at=utcnow()))
        after_commit(_send_notification_mails, chosen)
    return len(chosen)


def _send_notification_mails(notification_ids: list[int]) -> None:
    """After the commit: compose each mail in its recipient's language, with a one-click
    unsubscribe link for that kind, and hand it to the mail worker (reads only)."""
    rows = db.session.execute(
        select(Notification, User).join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(notification_ids))).all()
    for note, user in rows:
        with force_locale(user.locale or "en"):
            link = unsubscribe_url(user, note.kind)
            reply_to = None
            if note.kind in REPLYABLE_KINDS and note.question_id:
                reply_to = reply_address(user.id, note.question_id, note.post_id)
            body = _("%(text)s\n\n%(url)s\n\nYou get this mail because of your mail "
                     "settings: %(settings)s\nStop these mails: %(unsubscribe)s\n",
                     text=note.text, url=absolute(note.url), unsubscribe=link,
                     settings=external_url("notifications.mail_settings"))
            if reply_to:
                body = (_("Reply to this mail to reply to this post on the forum.")
                        if note.post_id else _("Reply to this mail to answer.")) + \
                    "\n" + _("Write above the quoted text; keep the reply address.") + \
                    "\n\n" + body
            mail.queue_message(mail.build_message(user.email, note.text[:150], body,
                                                  unsubscribe_url=link, reply_to=reply_to))

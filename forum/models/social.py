"""Following, notifications, mail settings and digests, and requests to join private groups.

Following is separate from membership: a member may mute a group without leaving it, and
anyone may follow a public group, a tag, a question or a person. Notifications are rows
written in the same unit of work as what caused them; they are pushed live and mailed only
after its commit.
"""

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow

FOLLOW_TARGETS = ("group", "tag", "question", "user")
# every new item (in the app, live, and by mail as the member's settings say), digest only
# (nothing in the app; the item waits for the digest), or muted (nothing at all).
FOLLOW_LEVELS = ("all", "digest", "muted")

NOTIFICATION_KINDS = (
    "answer",          # a new answer on a question you follow
    "reply",           # a reply to your post
    "accepted",        # your answer was accepted
    "mention",         # @you in a post or a chat message
    "new_question",    # a new question in a group or tag you follow, or by a person you follow
    "routed",          # a question routed to you as an expert (experts issue)
    "faq",             # your answer promoted to the FAQ (FAQ issue)
    "accept_reminder", # a week after you asked: accept the answer that helped
    "join_request",    # (group moderators) someone asks to join your private group
    "join_decision",   # your request to join a private group was approved or refused
    "held",            # (group moderators) a first post waits for approval (pre-moderation)
)
# How each kind reaches a member by mail: at once, in a daily or weekly digest, or not.
MAIL_DELIVERIES = ("immediate", "daily", "weekly", "off")
DIGEST_PERIODS = ("daily", "weekly")
JOIN_REQUEST_STATES = ("pending", "approved", "refused")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


class Follow(db.Model):
    """One user following one thing, at a level."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("user_id", "target_type", "target_id"),
        CheckConstraint(_one_of("target_type", FOLLOW_TARGETS), name="target_type_valid"),
        CheckConstraint(_one_of("level", FOLLOW_LEVELS), name="level_valid"),
        # Who follows this thing (fan-out of a new item): one index range per target.
        Index("ix_follows_target", "target_type", "target_id", "level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    target_type: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(10), default="all")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(db.Model):
    """Something a user should hear about; `text` is written once, in the recipient's
    language, so the list needs no join to render."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(_one_of("kind", NOTIFICATION_KINDS), name="kind_valid"),
        # The unread count and the newest-first list of one user.
        Index("ix_notifications_user_read", "user_id", "read_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What it is about, so access can be checked again when it is shown or mailed.
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    chat_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_messages.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When its mail was queued (the kind set to go at once); digests record what they
    # carried in digest_items instead.
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MailSetting(db.Model):
    """How one kind of notification reaches one user by mail (absent: the kind's default)."""

    __tablename__ = "mail_settings"
    __table_args__ = (
        UniqueConstraint("user_id", "kind"),
        CheckConstraint(_one_of("delivery", MAIL_DELIVERIES), name="delivery_valid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    delivery: Mapped[str] = mapped_column(String(10))


class DigestDelivery(db.Model):
    """One member's digest for one period: marked "sending" before SMTP and "sent" after, so
    a run that dies between the two never sends it twice (at most once)."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (
        UniqueConstraint("user_id", "period", "period_start"),
        CheckConstraint(_one_of("period", DIGEST_PERIODS), name="period_valid"),
        CheckConstraint("state IN ('sending', 'sent')", name="state_valid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(10), default="sending")
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DigestItem(db.Model):
    """An item a member's digest carried: a digest never repeats one."""

    __tablename__ = "digest_items"
    __table_args__ = (UniqueConstraint("user_id", "item_type", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_type: Mapped[str] = mapped_column(String(20))  # "question", "faq", ...
    item_id: Mapped[int] = mapped_column(Integer)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("digest_deliveries.id", ondelete="CASCADE"), index=True)


class GroupJoinRequest(db.Model):
    """A request to join a private group, decided by its moderators."""

    __tablename__ = "group_join_requests"
    __table_args__ = (
        CheckConstraint(_one_of("state", JOIN_REQUEST_STATES), name="state_valid"),
        Index("ix_group_join_requests_group_state", "group_id", "state"),
        # At most one open request per person and group.
        Index("uq_group_join_requests_pending", "group_id", "user_id", unique=True,
              sqlite_where=text("state = 'pending'"),
              postgresql_where=text("state = 'pending'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

"""Moderation: flags members raise, the audit log of every moderator and admin action, and
the log of searches (anonymised) that the knowledge-gap view reads."""

from datetime import UTC, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.user import User

FLAG_TARGETS = ("question", "post", "chat_message", "user")
FLAG_REASONS = ("spam", "offensive", "off_topic", "expert_review", "other")
CLOSE_REASONS = ("duplicate", "off_topic", "resolved_elsewhere")
# users.suspended_until of a ban: a suspension without end.
BANNED_UNTIL = datetime(9999, 12, 31, tzinfo=UTC)


class Flag(db.Model):
    """One member's flag on one item (a question, an answer or reply, a chat message, a
    profile): one per person per item. Resolved when a moderator acts on the item's flags."""

    __tablename__ = "flags"
    __table_args__ = (
        CheckConstraint("target_type IN ('question', 'post', 'chat_message', 'user')",
                        name="target_type_valid"),
        CheckConstraint("reason IN ('spam', 'offensive', 'off_topic', 'expert_review', "
                        "'other')", name="reason_valid"),
        UniqueConstraint("target_type", "target_id", "user_id"),
        Index("ix_flags_open", "resolved_at", "target_type", "target_id"),
        Index("ix_flags_group", "group_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    # The group the item belongs to (its group moderators see the flag); NULL for profiles
    # and direct chat rooms, which only site moderators and admins handle.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What the moderator did: "hidden", "dismissed", "closed", "suspended", "edited", ...
    resolution: Mapped[str | None] = mapped_column(String(20))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class AuditEntry(db.Model):
    """One moderator or admin action: who, what, on what, why, when, and for edits the
    values before and after. Written by forum.services.audit.record() only; never changed."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_created", "created_at"),
        Index("ix_audit_log_group_created", "group_id", "created_at"),
        Index("ix_audit_log_target", "target_type", "target_id"),
        Index("ix_audit_log_actor_created", "actor_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int | None] = mapped_column(Integer)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(1000), default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


class SearchLog(db.Model):
    """A search, anonymised: the normalised query only (no user, no address), how many
    results it found, kept 90 days, for the knowledge-gap view's "searches that found
    nothing"."""

    __tablename__ = "search_log"
    __table_args__ = (Index("ix_search_log_created", "created_at", "result_count"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    query: Mapped[str] = mapped_column(String(200))
    result_count: Mapped[int] = mapped_column(Integer)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    lang: Mapped[str] = mapped_column(String(5), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Files attached to questions, answers, replies and chat messages, and the mails that
reply-by-email turned into posts."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow

ATTACHMENT_KINDS = ("image", "pdf", "document")
ATTACHMENT_STATES = ("pending", "attached", "removed")
INBOUND_STATES = ("posted", "refused")


class Attachment(db.Model):
    """One uploaded file. Uploaded first ("pending", owned by its uploader), then attached to
    one question, post or chat message when that is written. The bytes live outside the
    database under `storage_key` (and `thumb_key` for an image's thumbnail); `token` names it
    in URLs (random, not guessable). `text`: a PDF's words, for search."""

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint("kind IN ('image', 'pdf', 'document')", name="kind_valid"),
        CheckConstraint("state IN ('pending', 'attached', 'removed')", name="state_valid"),
        Index("ix_attachments_question", "question_id"),
        Index("ix_attachments_post", "post_id"),
        Index("ix_attachments_chat_message", "chat_message_id"),
        Index("ix_attachments_uploader_state", "uploader_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    thumb_key: Mapped[str | None] = mapped_column(String(200))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(10), default="pending")
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    chat_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_messages.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))


class InboundMail(db.Model):
    """A mail that reply-by-email read: posted (with what it became) or refused (why). The
    Message-ID is unique, so an MTA that hands the same mail over twice posts it once."""

    __tablename__ = "inbound_mails"
    __table_args__ = (
        CheckConstraint("state IN ('posted', 'refused')", name="state_valid"),
        Index("ix_inbound_mails_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    sender: Mapped[str] = mapped_column(String(254), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

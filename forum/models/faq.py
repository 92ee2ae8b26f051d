"""The curated FAQ: entries promoted from answered threads, with their own sanitized copy
of the question and answer, their provenance, contributors, tags, review dates, revisions
and pins."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.groups import Group
from forum.models.qa import Post, Question
from forum.models.user import User

# `current` and `obsolete` are stored; "due" is a current entry past its review-by date
# (computed, so that it needs no job to flip it). `withdrawn`: made by mistake, its URL
# answers 410 with the note.
FAQ_STATUSES = ("current", "obsolete", "withdrawn")
FAQ_CONTRIBUTOR_ROLES = ("asker", "answerer", "credited")
FAQ_PIN_SCOPES = ("tag", "group")
FAQ_REVISION_ACTIONS = ("promoted", "edited", "verified", "obsolete", "source_taken",
                        "source_kept", "withdrawn", "translation", "restored")


class FaqEntry(db.Model):
    __tablename__ = "faq_entries"
    __table_args__ = (
        CheckConstraint("status IN ('current', 'obsolete', 'withdrawn')", name="status_valid"),
        Index("ix_faq_entries_group_status", "group_id", "status"),
        Index("ix_faq_entries_review_by", "status", "review_by"),
        Index("ix_faq_entries_question", "question_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Provenance: the source thread and answer (NULL if they are later hard-deleted),
    # the group it belongs to, and the chat conversation the thread was promoted from.
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL"))
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    chat_room_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_rooms.id", ondelete="SET NULL"))
    chat_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_messages.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(5), default="en")
    # The curated text: Markdown source and its sanitized HTML (rendered at write time),
    # and plain text for search.
    summary_source: Mapped[str] = mapped_column(Text, default="")
    summary_html: Mapped[str] = mapped_column(Text, default="")
    question_source: Mapped[str] = mapped_column(Text)
    question_html: Mapped[str] = mapped_column(Text)
    answer_source: Mapped[str] = mapped_column(Text)
    answer_html: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text, default="")
    markup_version: Mapped[int] = mapped_column(Integer)
    # The source answer's Markdown as last taken in or acknowledged: when the live answer
    # differs, moderators see "source changed since promotion" with the differences.
    source_answer_seen: Mapped[str] = mapped_column(Text)
    promoted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    promoted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    review_by: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="current")
    note: Mapped[str] = mapped_column(String(1000), default="")
    replaced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("faq_entries.id", ondelete="SET NULL"))
    # The entry in the other language (English <-> French), set on both sides.
    translation_id: Mapped[int | None] = mapped_column(
        ForeignKey("faq_entries.id", ondelete="SET NULL"))

    group: Mapped[Group] = relationship()
    question: Mapped[Question | None] = relationship()
    answer: Mapped[Post | None] = relationship()
    promoted_by: Mapped[User | None] = relationship(foreign_keys=[promoted_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    tags: Mapped[list["Tag"]] = relationship(  # noqa: F821 (forum.models.qa)
        secondary="faq_entry_tags", order_by="Tag.name", viewonly=True)


class FaqEntryTag(db.Model):
    __tablename__ = "faq_entry_tags"
    __table_args__ = (Index("ix_faq_entry_tags_tag", "tag_id", "entry_id"),)

    entry_id: Mapped[int] = mapped_column(ForeignKey("faq_entries.id", ondelete="CASCADE"),
                                          primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"),
                                        primary_key=True)


class FaqContributor(db.Model):
    """Someone credited on an entry: the asker, the answerer, and anyone else credited."""

    __tablename__ = "faq_contributors"
    __table_args__ = (
        CheckConstraint("role IN ('asker', 'answerer', 'credited')", name="role_valid"),
        Index("ix_faq_contributors_user", "user_id"),
    )

    entry_id: Mapped[int] = mapped_column(ForeignKey("faq_entries.id", ondelete="CASCADE"),
                                          primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    role: Mapped[str] = mapped_column(String(10), primary_key=True)

    user: Mapped[User] = relationship()


class FaqRevision(db.Model):
    """Every change to an entry: who, when, what was done, and the entry's fields after."""

    __tablename__ = "faq_revisions"
    __table_args__ = (UniqueConstraint("entry_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("faq_entries.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(1000), default="")
    # title, summary_source, question_source, answer_source, tags, lang, review_by,
    # status, note, replaced_by_id, translation_id: as they were after this change.
    snapshot: Mapped[dict] = mapped_column(JSON)

    editor: Mapped[User | None] = relationship()


class FaqPin(db.Model):
    """An entry pinned within a tag's or a group's FAQ list, in the order moderators set."""

    __tablename__ = "faq_pins"
    __table_args__ = (
        CheckConstraint("scope IN ('tag', 'group')", name="scope_valid"),
        UniqueConstraint("scope", "scope_id", "entry_id"),
        Index("ix_faq_pins_scope", "scope", "scope_id", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(5))
    scope_id: Mapped[int] = mapped_column(Integer)  # a tag's or a group's id
    entry_id: Mapped[int] = mapped_column(ForeignKey("faq_entries.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)

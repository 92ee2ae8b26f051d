"""Questions, answers and threaded replies, tags, votes and revisions."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.groups import Group
from forum.models.user import User

LANGUAGES = ("en", "fr")


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (
        Index("ix_questions_activity", "last_activity_at"),
        Index("ix_questions_created", "created_at"),
        Index("ix_questions_score", "score"),
        Index("ix_questions_group_activity", "group_id", "last_activity_at"),
        Index("ix_questions_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    markup_version: Mapped[int] = mapped_column(Integer)
    lang: Mapped[str] = mapped_column(String(5), default="en")
    score: Mapped[int] = mapped_column(Integer, default=0)
    answer_count: Mapped[int] = mapped_column(Integer, default=0)
    accepted_answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL", use_alter=True))
    in_faq: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why a moderator closed it (CLOSE_REASONS in forum/models/moderation.py; NULL when the
    # question was closed before reasons existed), and the question it duplicates.
    close_reason: Mapped[str | None] = mapped_column(String(20))
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL"))
    # A locked thread takes no new answers, replies, votes or edits (moderators excepted).
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Hidden by a moderator (soft, reversible): readers see a placeholder, the author sees
    # the reason; who hid it is in the audit log.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Held for a moderator's approval (a new member's first post in a group that
    # pre-moderates): hidden_at is set too, so every reader's filter already leaves it out.
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped[Group] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    tags: Mapped[list["Tag"]] = relationship(secondary="question_tags", order_by="Tag.name")

    @property
    def status(self) -> str:
        if self.closed_at is not None:
            return "closed"
        if self.accepted_answer_id is not None:
            return "answered"
        return "open"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Post(db.Model):
    """An answer (parent_id is None) or a reply to an answer or to another reply."""

    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_question", "question_id", "created_at"),
        Index("ix_posts_author_created", "author_id", "created_at"),
        Index("ix_posts_parent", "parent_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    depth: Mapped[int] = mapped_column(Integer, default=0)
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    markup_version: Mapped[int] = mapped_column(Integer)
    lang: Mapped[str] = mapped_column(String(5), default="en")
    score: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Hidden by a moderator, as Question.hidden_at.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Held for approval, as Question.held_at.
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User | None] = relationship()
    question: Mapped[Question] = relationship(foreign_keys=[question_id])

    @property
    def is_answer(self) -> bool:
        return self.parent_id is None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    question_count: Mapped[int] = mapped_column(Integer, default=0)


class QuestionTag(db.Model):
    __tablename__ = "question_tags"
    __table_args__ = (Index("ix_question_tags_tag", "tag_id", "question_id"),)

    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"),
                                        primary_key=True)


class QuestionVote(db.Model):
    __tablename__ = "question_votes"
    __table_args__ = (
        UniqueConstraint("user_id", "question_id"),
        CheckConstraint("value IN (-1, 1)", name="value_valid"),
        Index("ix_question_votes_question", "question_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostVote(db.Model):
    __tablename__ = "post_votes"
    __table_args__ = (
        UniqueConstraint("user_id", "post_id"),
        CheckConstraint("value IN (-1, 1)", name="value_valid"),
        Index("ix_post_votes_post", "post_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Revision(db.Model):
    """One version of a question or a post: number 1 is the original, each edit adds one."""

    __tablename__ = "revisions"
    __table_args__ = (
        Index("ix_revisions_question", "question_id", "number"),
        Index("ix_revisions_post", "post_id", "number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[list | None] = mapped_column(JSON)
    body_source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    editor: Mapped[User | None] = relationship()

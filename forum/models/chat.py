"""Live chat: one room per group, direct rooms between two people, messages and their edits."""

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
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
from forum.models.user import User

ROOM_KINDS = ("group", "direct")


def direct_key(user_id: int, other_id: int) -> str:
    """The key naming the direct room of two users, the same whichever of them asks."""
    low, high = sorted((int(user_id), int(other_id)))
    return f"{low}:{high}"


class ChatRoom(db.Model):
    """A chat room: a group's room (one per group) or the direct room of two people."""

    __tablename__ = "chat_rooms"
    __table_args__ = (
        CheckConstraint("kind IN ('group', 'direct')", name="kind_valid"),
        CheckConstraint(
            "(kind = 'group' AND group_id IS NOT NULL AND direct_key IS NULL) OR "
            "(kind = 'direct' AND group_id IS NULL AND direct_key IS NOT NULL)",
            name="kind_target",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), unique=True)
    # "<smaller user id>:<larger user id>" for direct rooms.
    direct_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group | None] = relationship()

    @property
    def is_group(self) -> bool:
        return self.kind == "group"

    @property
    def is_direct(self) -> bool:
        return self.kind == "direct"

    def direct_user_ids(self) -> tuple[int, int] | None:
        """The two user ids of a direct room (from its key), or None for a group room."""
        if not self.direct_key:
            return None
        low, _sep, high = self.direct_key.partition(":")
        return int(low), int(high)


class ChatRoomMember(db.Model):
    """The people of a direct room, and anyone's read position in any room.

    Direct rooms get both rows when they are opened. In group rooms membership comes from
    GroupMembership, and a row appears only once a member marks something read.
    """

    __tablename__ = "chat_room_members"
    __table_args__ = (
        UniqueConstraint("room_id", "user_id"),
        Index("ix_chat_room_members_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("chat_rooms.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Plain integer, not a foreign key: read positions only ever compare with message ids.
    last_read_message_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    room: Mapped[ChatRoom] = relationship()
    user: Mapped[User] = relationship()


class ChatMessage(db.Model):
    """One chat message; `client_id` (chosen by the sending client) makes resends harmless."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        UniqueConstraint("author_id", "client_id"),
        Index("ix_chat_messages_room", "room_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("chat_rooms.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    client_id: Mapped[str] = mapped_column(String(64))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    markup_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Hidden by a moderator (from the flag queue), as Question.hidden_at.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    promoted_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL"))

    room: Mapped[ChatRoom] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class ChatMessageRevision(db.Model):
    """An earlier text of an edited message: written by `editor` at `created_at`.

    The message row holds the current text; its revisions, oldest first, hold the ones it
    replaced, so the history is the revisions followed by the message itself.
    """

    __tablename__ = "chat_message_revisions"
    __table_args__ = (Index("ix_chat_message_revisions_message", "message_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("chat_messages.id", ondelete="CASCADE"))
    body_source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

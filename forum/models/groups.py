"""Regional practitioner groups and their members."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow


class Group(db.Model):
    """A regional group; questions belong to one. Private groups show only to members."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(80), default="")
    description_source: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    # The French name and description; empty: the French interface shows the English ones.
    name_fr: Mapped[str] = mapped_column(String(100), default="")
    description_fr_source: Mapped[str] = mapped_column(Text, default="")
    description_fr_html: Mapped[str] = mapped_column(Text, default="")
    markup_version: Mapped[int] = mapped_column(Integer, default=0)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    # Pre-moderation: a new member's first questions and answers wait for a moderator.
    premoderate_new_members: Mapped[bool] = mapped_column(Boolean, default=False,
                                                          server_default=sa_false())
    # Counters kept by the services with atomic UPDATEs, so lists need no COUNT per row.
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    question_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    def name_in(self, locale) -> str:
        """The name in the interface language `locale`: the French one when set, else the
        English one."""
        return self.name_fr if self.name_fr and str(locale).startswith("fr") else self.name

    def description_html_in(self, locale) -> str:
        """The sanitized description in `locale`, falling back to the English one."""
        if self.description_fr_html and str(locale).startswith("fr"):
            return self.description_fr_html
        return self.description_html


class GroupMembership(db.Model):
    """A user's membership of a group (joining a public group, or added to a private one)."""

    __tablename__ = "group_memberships"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="member")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group] = relationship()

"""What moderators add to the search: thesaurus concepts beyond the shipped file, and tag
synonyms (a tag name that is folded into another tag wherever tags are written)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.qa import Tag
from forum.models.user import User


class ThesaurusConcept(db.Model):
    """A concept moderators added: its English and French terms, comma-separated."""

    __tablename__ = "thesaurus_concepts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terms_en: Mapped[str] = mapped_column(Text, default="")
    terms_fr: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship()


class TagSynonym(db.Model):
    """`name` is written as the tag `tag` (counseling -> counselling)."""

    __tablename__ = "tag_synonyms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tag: Mapped[Tag] = relationship()
    created_by: Mapped[User | None] = relationship()

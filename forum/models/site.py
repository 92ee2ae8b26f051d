"""Site settings an admin changes in the admin pages, and invitations when registration is
by invitation only."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow
from forum.models.user import User

REGISTRATION_MODES = ("open", "invitation")


class SiteSettings(db.Model):
    """The one row (id 1) of settings an admin edits: the site's name, the welcome text on
    the home page, the default interface language, and whether anyone may register or only
    people invited. No row yet: the defaults from the configuration apply."""

    __tablename__ = "site_settings"
    __table_args__ = (
        CheckConstraint("registration IN ('open', 'invitation')", name="registration_valid"),
        CheckConstraint("default_locale IN ('en', 'fr')", name="default_locale_valid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    welcome_source: Mapped[str] = mapped_column(Text, default="")
    welcome_html: Mapped[str] = mapped_column(Text, default="")
    welcome_fr_source: Mapped[str] = mapped_column(Text, default="")
    welcome_fr_html: Mapped[str] = mapped_column(Text, default="")
    markup_version: Mapped[int] = mapped_column(Integer, default=0)
    default_locale: Mapped[str] = mapped_column(String(5), default="en")
    registration: Mapped[str] = mapped_column(String(12), default="open")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))


class Invitation(db.Model):
    """An invitation to register, mailed to one address: only its hash is stored; spent by
    the registration it starts."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    used_by: Mapped[User | None] = relationship(foreign_keys=[used_by_id])

    def state(self, now: datetime) -> str:
        """'used', 'revoked', 'expired' or 'open' (still usable)."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "open"

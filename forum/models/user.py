"""Accounts: users, their login sessions, API tokens, password-reset links, registrations
waiting for their email confirmation and single-use email links."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow

ROLES = ("member", "expert", "moderator", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('member', 'expert', 'moderator', 'admin')", name="role_valid"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # username/email are NULL once an account is deleted: the row stays so content keeps
    # its author link, shown as "deleted user".
    username: Mapped[str | None] = mapped_column(String(30))
    username_key: Mapped[str | None] = mapped_column(String(30), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    email_key: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80), default="")
    role: Mapped[str] = mapped_column(String(20), default="member")
    locale: Mapped[str | None] = mapped_column(String(8))
    bio_source: Mapped[str] = mapped_column(Text, default="")
    bio_html: Mapped[str] = mapped_column(Text, default="")
    bio_markup_version: Mapped[int] = mapped_column(Integer, default=0)
    region: Mapped[str] = mapped_column(String(80), default="")
    country: Mapped[str] = mapped_column(String(80), default="")
    organization: Mapped[str] = mapped_column(String(120), default="")
    languages: Mapped[list] = mapped_column(JSON, default=list)
    expertise: Mapped[list] = mapped_column(JSON, default=list)
    # `reputation` is the public number; points earned in private groups (votes, accepted
    # answers there) go to `private_reputation`, which only the user themself sees.
    reputation: Mapped[int] = mapped_column(Integer, default=0)
    private_reputation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    verified_expert: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the owner proved they read mail at `email` (a confirmation or reset link); None
    # for accounts made before confirmation existed, until they confirm.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sessions: Mapped[list["LoginSession"]] = relationship(back_populates="user")

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login: deleted accounts cannot log in
        return not self.is_deleted

    @property
    def name(self) -> str:
        """What pages show for this author."""
        if self.is_deleted:
            return ""
        return self.display_name or self.username or ""

    def has_role(self, role: str) -> bool:
        """True when this user's role is `role` or above it."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    @property
    def is_moderator(self) -> bool:
        return self.has_role("moderator")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"


class LoginSession(db.Model):
    """One login from one browser: its id lives in the signed cookie, its hash here."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")

    user: Mapped[User] = relationship(back_populates="sessions")

    def is_live(self, now: datetime) -> bool:
        return self.ended_at is None and self.expires_at > now


class ApiToken(db.Model):
    """A bearer token for the JSON API: stored as a SHA-256 hash, expiring, revocable."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class PasswordReset(db.Model):
    """A single-use password-reset link sent by email."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                index=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class PendingRegistration(db.Model):
    """A registration waiting for its email confirmation: the account is created from it
    when the link is used (then the row goes), or never (it expires)."""

    __tablename__ = "pending_registrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(30))
    username_key: Mapped[str] = mapped_column(String(30))
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80), default="")
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


EMAIL_LINK_PURPOSES = ("confirm_email", "sign_in")


class EmailLink(db.Model):
    """A single-use link mailed to an account's address: `confirm_email` proves the address,
    `sign_in` makes the browser that opens it a known device of the account."""

    __tablename__ = "email_links"
    __table_args__ = (
        CheckConstraint("purpose IN ('confirm_email', 'sign_in')", name="purpose_valid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # NULL for the dead links of requests made for no account (the same work either way).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                index=True)
    # The address the link went to: it confirms that address only, not a later one.
    email_key: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()


def author_columns() -> tuple:
    """The User columns that show an author (pages and author_json): load only these when
    listing many posts, not the profile's text and JSON fields."""
    return (User.id, User.username, User.display_name, User.role, User.verified_expert,
            User.deleted_at)

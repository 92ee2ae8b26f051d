"""Accounts: users, their login sessions, API tokens, password-reset links, registrations
waiting for their email confirmation and single-use email links."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.base import UTCDateTime, utcnow

# Site roles. "expert" was a role until the verified-expert badge replaced it (migration
# e5a7c9b1d3f2): being an expert is evidence and a badge moderators grant, not a rank.
ROLES = ("member", "moderator", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('member', 'moderator', 'admin')", name="role_valid"
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
    # The job title ("Midwife trainer"); `role` is the site role.
    title: Mapped[str] = mapped_column(String(120), default="", server_default="")
    # Languages spoken and areas of expertise live in user_languages and user_expertise
    # (forum/models/experts.py): the directory and routing filter on them in SQL.
    # `reputation` is the public number; points earned in private groups (votes, accepted
    # answers there) go to `private_reputation`, which only the user themself sees.
    reputation: Mapped[int] = mapped_column(Integer, default=0)
    private_reputation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    verified_expert: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who granted or removed the badge last, when, and why (shown to moderators).
    verified_note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Out of the expert directory (the profile page stays), and no questions routed to them.
    directory_hidden: Mapped[bool] = mapped_column(Boolean, default=False,
                                                   server_default=sa_false())
    routing_paused: Mapped[bool] = mapped_column(Boolean, default=False,
                                                 server_default=sa_false())
    # Suspended until then: they read but cannot write (a ban is a suspension without end,
    # stored as BANNED_UNTIL). Why, shown to them; who, in the audit log.
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the owner proved they read mail at `email` (a confirmation or reset link); None
    # for accounts made before confirmation existed, until they confirm.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sessions: Mapped[list["LoginSession"]] = relationship(back_populates="user")
    # Read-only views of user_expertise and user_languages (services write the rows).
    expertise_tags: Mapped[list["Tag"]] = relationship(  # noqa: F821 (forum.models.qa)
        secondary="user_expertise", order_by="Tag.name", viewonly=True)
    language_rows: Mapped[list["UserLanguage"]] = relationship(  # noqa: F821
        order_by="UserLanguage.position", viewonly=True)

    @property
    def expertise(self) -> list[str]:
        """The names of this person's areas of expertise (tags), in alphabetical order."""
        return [tag.name for tag in self.expertise_tags]

    @property
    def languages(self) -> list[str]:
        """The codes of the languages this person speaks, in the order they gave them."""
        return [row.code for row in self.language_rows]

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
            User.reputation, User.deleted_at)

"""All models, imported here so Alembic and create_all() see every table."""

from forum.models.base import UTCDateTime, utcnow
from forum.models.user import ROLES, ApiToken, LoginSession, PasswordReset, User

__all__ = [
    "ROLES",
    "ApiToken",
    "LoginSession",
    "PasswordReset",
    "User",
    "UTCDateTime",
    "utcnow",
]

"""API representations of models (see ../shared/API.md)."""

from datetime import datetime

from forum.models import User


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with its UTC offset."""
    return value.isoformat() if value else None


def author_json(user: User | None) -> dict | None:
    """The short author object, or None for a deleted account."""
    if user is None or user.is_deleted:
        return None
    return {
        "username": user.username,
        "display_name": user.name,
        "role": user.role,
        "verified_expert": user.verified_expert,
    }


def user_json(user: User, *, private: bool = False) -> dict:
    """The user object; `private` adds what only the user themself sees (email)."""
    data = {
        "id": user.id,
        "username": user.username,
        "display_name": user.name,
        "role": user.role,
        "bio_html": user.bio_html,
        "region": user.region,
        "country": user.country,
        "organization": user.organization,
        "languages": list(user.languages or []),
        "expertise": list(user.expertise or []),
        "reputation": user.reputation,
        "verified_expert": user.verified_expert,
        "created_at": iso(user.created_at),
    }
    if private:
        data["email"] = user.email
        data["bio"] = user.bio_source
        data["locale"] = user.locale
    return data

"""JSON API: moderation."""

from forum.api import bp  # noqa: F401

"""actions pages of the moderation blueprint."""

from forum.moderation import bp  # noqa: F401

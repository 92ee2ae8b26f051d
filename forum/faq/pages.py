"""pages of the faq blueprint."""

from forum.faq import bp  # noqa: F401

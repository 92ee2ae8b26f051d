"""Notification pages (issue 11)."""

from forum.notifications import bp  # noqa: F401

"""The admin pages' views (thin: one service call each)."""

from forum.admin import bp  # noqa: F401

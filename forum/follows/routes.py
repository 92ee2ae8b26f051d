"""Following pages (issue 11)."""

from forum.follows import bp  # noqa: F401

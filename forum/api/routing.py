"""JSON API: routing."""

from forum.api import bp  # noqa: F401

"""JSON API: experts."""

from forum.api import bp  # noqa: F401

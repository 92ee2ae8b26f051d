"""JSON API: flags."""

from forum.api import bp  # noqa: F401

"""JSON API: the curated FAQ."""

from forum.api import bp  # noqa: F401

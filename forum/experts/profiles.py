"""profiles pages of the experts blueprint."""

from forum.experts import bp  # noqa: F401

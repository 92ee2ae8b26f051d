"""Random tokens and their stored hashes, and the common-password list."""

import hashlib
import secrets
from functools import cache
from importlib import resources


def new_token() -> str:
    """A random URL-safe token with 256 bits of entropy."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The SHA-256 hex digest stored in place of a token (tokens are random, so no salt)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@cache
def common_passwords() -> frozenset[str]:
    """The published list of common passwords (see forum/data/common-passwords.LICENSE)."""
    text = resources.files("forum").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())

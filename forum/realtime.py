"""Socket.IO namespaces, room names and emit helpers used by services after they commit."""

from flask import session

CHAT_NAMESPACE = "/chat"
LIVE_NAMESPACE = "/live"


def question_room(question_id: int) -> str:
    """The /live room of one question page."""
    return f"question:{int(question_id)}"


def group_room(slug: str) -> str:
    """The /chat room of one group."""
    return f"group:{slug}"


def socket_user():
    """The user of the live login session behind a socket event, or None.

    Checked on every event, not only at connect, so a logout or password change on any
    process stops the session's sockets at their next event.
    """
    from forum.services.accounts import session_user

    found = session_user(session.get("sid"), touch=False)
    return found[0] if found else None

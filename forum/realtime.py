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


def _emit(event: str, payload: dict, question_id: int) -> None:
    """Send one /live event to the readers of a question page (after the commit)."""
    from forum.extensions import socketio

    socketio.emit(event, payload, to=question_room(question_id), namespace=LIVE_NAMESPACE)


def post_created(post) -> None:
    from forum.schemas import post_json

    _emit("post_created", {"post": post_json(post)}, post.question_id)


def post_updated(post) -> None:
    from forum.schemas import post_json

    _emit("post_updated", {"post": post_json(post)}, post.question_id)


def question_updated(question) -> None:
    from forum.schemas import question_json

    _emit("question_updated", {"question": question_json(question)}, question.id)


def score_changed(question_id: int, post_id: int | None, score: int) -> None:
    """A lighter event for votes: the new score of the question or of one answer."""
    _emit("score_changed", {"question_id": question_id, "post_id": post_id, "score": score},
          question_id)

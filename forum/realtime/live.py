"""The /live namespace's events: what readers of a question page see change (API.md).

Services send them after their commit.
"""

from forum.extensions import socketio
from forum.realtime import LIVE_NAMESPACE, question_room, user_channel
from forum.schemas import post_json, question_json


def _emit(event: str, payload: dict, question_id: int) -> None:
    """Send one /live event to the readers of a question page."""
    socketio.emit(event, payload, to=question_room(question_id), namespace=LIVE_NAMESPACE)


def post_created(post) -> None:
    """A new answer or reply, to the readers of its question."""
    _emit("post_created", {"post": post_json(post)}, post.question_id)


def post_updated(post) -> None:
    """An edited or deleted post, to the readers of its question."""
    _emit("post_updated", {"post": post_json(post)}, post.question_id)


def question_updated(question) -> None:
    """A changed question (its text, status, answers or accepted answer), to its readers."""
    _emit("question_updated", {"question": question_json(question)}, question.id)


def post_payload_updated(payload: dict, question_id: int) -> None:
    """A post as the service chose to show it (a hidden one without text or author)."""
    _emit("post_updated", {"post": payload}, question_id)


def question_payload_updated(payload: dict, question_id: int) -> None:
    """A question as the service chose to show it (a hidden one without its text)."""
    _emit("question_updated", {"question": payload}, question_id)


def score_changed(question_id: int, post_id: int | None, score: int) -> None:
    """A lighter event for votes: the new score of the question or of one answer."""
    _emit("score_changed", {"question_id": question_id, "post_id": post_id, "score": score},
          question_id)


def notifications_sent(pushes: list[tuple[int, dict, int]]) -> None:
    """New notifications, each to its recipient's signed-in /live sockets: `notification`
    (the payload) then `notifications_unread {count}`."""
    for user_id, payload, count in pushes:
        room = user_channel(user_id)
        socketio.emit("notification", payload, to=room, namespace=LIVE_NAMESPACE)
        socketio.emit("notifications_unread", {"count": count}, to=room,
                      namespace=LIVE_NAMESPACE)


def notifications_unread(user_id: int, count: int) -> None:
    """A changed unread count (read elsewhere), to the user's signed-in /live sockets."""
    socketio.emit("notifications_unread", {"count": count}, to=user_channel(user_id),
                  namespace=LIVE_NAMESPACE)

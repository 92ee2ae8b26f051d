"""Realtime, the ground floor under the services: Socket.IO namespaces and room names (here),
and what goes out on them.

- `live`: the /live emits (question pages follow their posts, edits and scores).
- `chat`: the /chat emits (messages, edits, typing).
- `registry`: which /chat and signed-in /live sockets belong to which login session, API
  token or user, so that ending one ends its sockets on every process, and losing access
  to a private question takes them out of its room.
- `presence`: who is in a chat room, throttled, across processes.
- `caps`: at most SOCKETS_PER_USER sockets per user and SOCKETS_PER_IP per address, counted
  across processes.

Services call these after their commit. This package imports only flask, flask_socketio,
forum.extensions, forum.schemas, forum.redis and the standard library, never a service or a
blueprint: it is the floor they stand on.

Every /chat socket joins private Socket.IO rooms named after its user (`user:<id>`) and its
credential (`session:<sha256 of the login session token>` or `token:<API token id>`); the
sockets that joined a chat room are in `room:<id>`. A /live socket reading a question page is
in `question:<id>`; one that connected with a live login session is also in its session's and
its user's private rooms of the /live namespace.
"""

CHAT_NAMESPACE = "/chat"
LIVE_NAMESPACE = "/live"


def question_room(question_id: int) -> str:
    """The /live room of one question page."""
    return f"question:{int(question_id)}"


def room_channel(room_id: int) -> str:
    """The /chat Socket.IO room of one chat room (by its integer id)."""
    return f"room:{int(room_id)}"


def user_channel(user_id: int) -> str:
    """The private Socket.IO room of every /chat socket of one user."""
    return f"user:{int(user_id)}"


def session_channel(session_hash: str) -> str:
    """The private Socket.IO room of the sockets of one login session (by its token hash)."""
    return f"session:{session_hash}"


def token_channel(token_id: int) -> str:
    """The private Socket.IO room of the sockets opened with one API token (by its id)."""
    return f"token:{int(token_id)}"

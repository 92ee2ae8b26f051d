"""The floor of a chat that keeps its messages: bench/bare_socketio.py plus the least work a
stored, authenticated, rendered message needs, with none of Tacit's layers.

For bench/chat_fanout.py --floor: how close to the bare broadcast server any design can come
that, for each message, checks the sender's API token and room membership, renders the
Markdown (forum.markup, as Tacit does) and stores the row, all with plain sqlite3 calls on
one connection (no SQLAlchemy, no Flask request context of our own, no validation, no
idempotency, no rate limit). It shares Tacit's SQLite file (FLOOR_DATABASE) and schema.

Served like the others: gunicorn -k gevent -w 1 --no-control-socket --access-logfile -.
"""

import os
import sqlite3
from datetime import UTC, datetime

from flask import Flask, request
from flask_socketio import ConnectionRefusedError, SocketIO, join_room

from forum.markup import render_markdown
from forum.security import token_hash

NAMESPACE = "/chat"

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent", max_http_buffer_size=64 * 1024,
                    cors_allowed_origins=None, manage_session=False, logger=False,
                    engineio_logger=False)
db = sqlite3.connect(os.environ["FLOOR_DATABASE"], isolation_level=None,
                     check_same_thread=False)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
db.execute("PRAGMA busy_timeout=5000")
USER_OF_TOKEN = ("SELECT u.id, u.username, u.display_name, u.role, u.verified_expert "
                 "FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? "
                 "AND t.revoked_at IS NULL AND u.deleted_at IS NULL")
MEMBER = ("SELECT 1 FROM chat_rooms r JOIN group_memberships m ON m.group_id = r.group_id "
          "WHERE r.id = ? AND m.user_id = ?")
INSERT = ("INSERT INTO chat_messages (room_id, author_id, client_id, body_source, body_html, "
          "markup_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id")
TOKENS: dict[str, str] = {}


@app.get("/health")
def health():
    return {"ok": True}


@socketio.on("connect", namespace=NAMESPACE)
def on_connect(auth=None):
    token = (auth or {}).get("token")
    if not token or db.execute(USER_OF_TOKEN, (token_hash(token),)).fetchone() is None:
        raise ConnectionRefusedError("unauthorized")
    TOKENS[request.sid] = token
    return True


@socketio.on("join", namespace=NAMESPACE)
def on_join(payload):
    join_room(f"room:{payload['room']}", sid=request.sid)
    return {"ok": True, "room": payload["room"], "messages": [], "has_more": False}


@socketio.on("send_message", namespace=NAMESPACE)
def on_send_message(payload):
    user = db.execute(USER_OF_TOKEN, (token_hash(TOKENS.get(request.sid, "")),)).fetchone()
    room = payload["room"]
    if user is None or db.execute(MEMBER, (room, user[0])).fetchone() is None:
        return {"ok": False, "error": {"code": "not_found", "message": "No such chat room."}}
    rendered = render_markdown(payload["body"])
    now = datetime.now(UTC).replace(tzinfo=None)
    db.execute("BEGIN IMMEDIATE")
    message_id = db.execute(INSERT, (room, user[0], payload["client_id"], payload["body"],
                                     rendered.html, rendered.version,
                                     now.isoformat(" "))).fetchone()[0]
    db.execute("COMMIT")
    message = {"id": message_id, "room": room,
               "author": {"username": user[1], "display_name": user[2] or user[1],
                          "role": user[3], "verified_expert": bool(user[4])},
               "body_html": rendered.html, "client_id": payload["client_id"],
               "created_at": now.isoformat() + "Z", "edited_at": None, "deleted": False,
               "promoted_question_id": None}
    socketio.emit("chat_message", message, to=f"room:{room}", namespace=NAMESPACE)
    return {"ok": True, "message": {**message, "body": payload["body"]}}

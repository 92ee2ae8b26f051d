"""The Socket.IO ceiling: a bare Flask-SocketIO broadcast server for bench/chat_fanout.py.

Same /chat namespace, events and ack shapes as Tacit, and nothing else: any client may
connect, `join {room}` enters the Socket.IO room, `send_message {room, body, client_id}` emits
`chat_message` (the payload as received) to the room and acks `{ok: true}`. No credential
checks, no database, no Markdown, no presence.

Served like Tacit: gunicorn -k gevent -w 1 --no-control-socket --access-logfile -, with
Flask-SocketIO given Tacit's options (gevent, the same buffer size, same-origin CORS).
"""

from flask import Flask, request
from flask_socketio import SocketIO, join_room

NAMESPACE = "/chat"

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent", max_http_buffer_size=64 * 1024,
                    cors_allowed_origins=None, manage_session=False, logger=False,
                    engineio_logger=False)


@app.get("/health")
def health():
    return {"ok": True}


@socketio.on("connect", namespace=NAMESPACE)
def on_connect(auth=None):
    return True


@socketio.on("join", namespace=NAMESPACE)
def on_join(payload):
    join_room(f"room:{payload['room']}", sid=request.sid)
    return {"ok": True, "room": payload["room"], "messages": [], "has_more": False}


@socketio.on("send_message", namespace=NAMESPACE)
def on_send_message(payload):
    socketio.emit("chat_message", payload, to=f"room:{payload['room']}", namespace=NAMESPACE)
    return {"ok": True, "message": payload}

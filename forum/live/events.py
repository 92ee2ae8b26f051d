"""Handlers of the /live namespace (pages subscribe to updates; nothing is written here)."""

from forum.extensions import socketio
from forum.realtime import LIVE_NAMESPACE


@socketio.on("connect", namespace=LIVE_NAMESPACE)
def on_connect(auth=None):
    """Anyone may watch public pages, anonymous readers included."""
    return True

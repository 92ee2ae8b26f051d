"""WSGI entry point: `app` for gunicorn; `python wsgi.py` serves with Socket.IO for development."""

import gc
import os

from forum import create_app
from forum.extensions import socketio

if __name__ == "__main__":
    # Development (`make run`): links in mail point where this server listens, unless
    # FORUM_BASE_URL says otherwise; they never come from a request's Host header.
    _host = os.environ.get("HOST", "127.0.0.1")
    _host = f"[{_host}]" if ":" in _host else _host
    if not os.environ.get("FORUM_BASE_URL", "").strip():
        os.environ["FORUM_BASE_URL"] = f"http://{_host}:{os.environ.get('PORT', '5000')}"

app = create_app()

# Objects made while starting (modules, the URL map, compiled templates...) live as long as
# the process: keep them out of the collector's full passes, which otherwise walk them all
# and show up as latency spikes under load.
gc.freeze()

if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f"Tacit is serving on http://{host}:{port}/ (Ctrl+C stops it)", flush=True)
    # The Werkzeug server with simple-websocket is fine on a laptop; `make serve` is the
    # production shape (gunicorn + gevent).
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False)

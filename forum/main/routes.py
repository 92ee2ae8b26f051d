"""Home page and /health."""

from flask import current_app, jsonify, redirect, render_template, url_for
from sqlalchemy import text

from forum.extensions import db
from forum.main import bp


@bp.route("/")
def index():
    return render_template("main/index.html")


@bp.route("/health")
def health():
    """Answer {"status": "ok"} once the database (and Redis, when configured) answer."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        checks["database"] = "ok"
    except Exception:
        current_app.logger.exception("health: database check failed")
        checks["database"] = "unavailable"
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        try:
            import redis

            client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
            client.ping()
            client.close()
            checks["redis"] = "ok"
        except Exception:
            current_app.logger.exception("health: redis check failed")
            checks["redis"] = "unavailable"
    ok = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if ok else "unavailable", "checks": checks}
    response = jsonify(body)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/favicon.ico")
def favicon():
    """Browsers that ignore <link rel="icon"> still ask here: send them the SVG icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)

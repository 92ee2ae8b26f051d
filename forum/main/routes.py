"""Home page and /health."""

from flask import current_app, jsonify, redirect, render_template, url_for

from forum import redis
from forum.main import bp
from forum.pages import me, question_rows
from forum.services import faq
from forum.services.home import home_for
from forum.services.maintenance import database_answers


@bp.route("/")
def index():
    home = home_for(me())
    return render_template("main/index.html", home=home,
                           recent_rows=question_rows(home.recent),
                           unanswered_rows=question_rows(home.unanswered),
                           followed_rows=question_rows(home.followed),
                           faq_entries=faq.top_entries(me(), 5))


@bp.route("/health")
def health():
    """Answer {"status": "ok"} once the database (and Redis, when configured) answer."""
    checks = {}
    try:
        database_answers()
        checks["database"] = "ok"
    except Exception:
        current_app.logger.exception("health: database check failed")
        checks["database"] = "unavailable"
    if current_app.config.get("REDIS_URL"):
        try:
            checks["redis"] = "ok" if redis.ping() else "unavailable"
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

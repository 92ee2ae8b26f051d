"""Tacit: a community-of-practice forum. create_app() builds the Flask application."""

import importlib.util
import json
import logging
import sys

import click
from flask import Flask, g, session
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response
from werkzeug.wsgi import get_host

from config import Config
from forum import metrics, models, redis  # noqa: F401  (models: register every table)
from forum.admin import bp as admin_bp
from forum.api import bp as api_bp
from forum.attachments import bp as attachments_bp
from forum.auth import bp as auth_bp
from forum.chat import bp as chat_bp
from forum.cli import register_cli
from forum.errors import register_error_handlers
from forum.experts import bp as experts_bp
from forum.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
from forum.faq import bp as faq_bp
from forum.follows import bp as follows_bp
from forum.groups import bp as groups_bp
from forum.i18n import install_template_gettext, select_locale
from forum.live import bp as live_bp
from forum.main import bp as main_bp
from forum.moderation import bp as moderation_bp
from forum.notifications import bp as notifications_bp
from forum.pagecache import register_page_cache
from forum.qa import bp as qa_bp
from forum.search import bp as search_bp
from forum.services import (
    preflight,
    uow,  # the SQLite transaction listeners, with the unit of work
)
from forum.services.accounts import session_user
from forum.web import register_web_hooks


def create_app(config_class=Config, **config_args) -> Flask:
    """Build an application from a configuration class (instantiated with config_args)."""
    app = Flask(__name__, instance_relative_config=False)
    config = config_class(**config_args) if isinstance(config_class, type) else config_class
    app.config.from_object(config)
    if app.config.get("INSTANCE_DIR"):
        app.instance_path = app.config["INSTANCE_DIR"]

    _configure_logging(app)
    _init_extensions(app)
    _check_startup(app)
    metrics.install(app)
    _register_blueprints(app)
    # Socket.IO last: the blueprints above imported their event handlers, and init_app
    # must see them, or a second app in the same process would have none.
    _init_socketio(app)

    register_error_handlers(app)
    register_web_hooks(app)
    register_page_cache(app, db)
    uow.install(app)
    register_cli(app)
    _wrap_wsgi(app)
    return app


def _configure_logging(app: Flask) -> None:
    if app.config.get("LOG_FORMAT") == "json":
        metrics.install_json_logs(app)
    elif not app.debug and not app.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )


def _check_startup(app: Flask) -> None:
    """Stop a server process with one clear line when it could not serve (the database or
    Redis unreachable, migrations behind). Not on the command line, where `flask db
    upgrade` is how migrations catch up and `flask check` runs the same checks."""
    if not app.config.get("STARTUP_CHECKS") or app.testing or \
            click.get_current_context(silent=True) is not None:
        return
    with app.app_context():
        problems = preflight.problems()
    if problems:
        for problem in problems:
            print(f"tacit: cannot start: {problem}", file=sys.stderr, flush=True)
        raise SystemExit(3)


def _init_extensions(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("postgresql") and importlib.util.find_spec("psycopg") is None:
        raise RuntimeError("FORUM_DATABASE_URL names PostgreSQL but psycopg is not installed: "
                           "install the extra, pip install 'tacit[postgresql]' (make serve does)")
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {})
        options["connect_args"].setdefault("timeout", 30)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.request_loader(_load_user_from_session)
    login_manager.session_protection = None  # the server-side session record does this job
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)

    redis_url = app.config.get("REDIS_URL")
    app.config["RATELIMIT_ENABLED"] = True
    app.config["RATELIMIT_STORAGE_URI"] = redis_url or "memory://"
    app.config["RATELIMIT_HEADERS_ENABLED"] = False
    redis.init_app(app)  # first: it says which extra is missing when Redis is asked for
    limiter.init_app(app)


def _load_user_from_session(req):
    """Flask-Login: the user of this browser's live login session (never for /api/)."""
    if req.path.startswith("/api/"):
        return None
    found = session_user(session.get("sid"))
    if found is None:
        if "sid" in session:
            # Ended elsewhere (logout, password change): forget it, keep only the language.
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
        return None
    user, record = found
    g.login_session = record
    return user


def _register_blueprints(app: Flask) -> None:
    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(qa_bp)
    app.register_blueprint(groups_bp)
    app.register_blueprint(follows_bp)
    app.register_blueprint(experts_bp)
    app.register_blueprint(faq_bp)
    app.register_blueprint(attachments_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(live_bp)
    app.register_blueprint(chat_bp)
    app.register_blueprint(api_bp, url_prefix="/api")
    # The API never reads the session cookie, so it needs no CSRF token.
    csrf.exempt(api_bp)


def _init_socketio(app: Flask) -> None:
    kwargs = {
        "async_mode": app.config["SOCKETIO_ASYNC_MODE"],
        "max_http_buffer_size": app.config["SOCKETIO_MAX_HTTP_BUFFER_SIZE"],
        # Same origin only: the browser sends Origin, and other sites are refused.
        "cors_allowed_origins": None,
        "manage_session": False,
        "logger": False,
        "engineio_logger": False,
    }
    if app.config.get("REDIS_URL"):
        kwargs["message_queue"] = app.config["REDIS_URL"]
        kwargs["channel"] = app.config["SOCKETIO_CHANNEL"]
    # Flask-SocketIO keeps options from an earlier init_app (one process, several apps in
    # tests): start clean so a message queue never leaks into the next app.
    socketio.server_options = {}
    socketio.init_app(app, **kwargs)


def _wrap_wsgi(app: Flask) -> None:
    """Outermost layers, in front of Socket.IO and Flask: ProxyFix when FORUM_PROXY_FIX asks
    for it, then the Host check."""
    if app.config.get("TRUSTED_HOSTS"):
        app.wsgi_app = _TrustedHostsOnly(app.wsgi_app, app.config["TRUSTED_HOSTS"])
    proxies = int(app.config.get("PROXY_FIX") or 0)
    if proxies:
        # X-Forwarded-Host is never trusted: the proxy passes the Host it was asked for.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)


class _TrustedHostsOnly:
    """Refuse (400) a request for a host outside TRUSTED_HOSTS before anything runs.

    Flask checks TRUSTED_HOSTS too, but only when it routes: Socket.IO requests never get
    there, before_request hooks run first, and the error page (built with url_for) fails.
    """

    def __init__(self, wsgi_app, hosts: list[str]) -> None:
        self.wsgi_app = wsgi_app
        self.hosts = hosts

    def __call__(self, environ, start_response):
        try:
            get_host(environ, self.hosts)
        except SecurityError:
            message = "Unknown host: this forum answers only at its own address."
            if environ.get("PATH_INFO", "").startswith("/api/"):
                body = json.dumps({"error": {"code": "bad_request", "message": message}})
                response = Response(body, 400, mimetype="application/json")
            else:
                response = Response(message + "\n", 400, mimetype="text/plain")
            return response(environ, start_response)
        return self.wsgi_app(environ, start_response)


__all__ = ["create_app"]

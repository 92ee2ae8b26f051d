"""Configuration: environment variables, the generated secret key, Socket.IO handlers."""

import os
import stat
import subprocess
import sys
from pathlib import Path

from forum import mail
from forum.extensions import socketio

ROOT = Path(__file__).resolve().parent.parent


def _config_in_subprocess(env, expr):
    code = f"import config; c = config.Config(); print({expr})"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                            capture_output=True, check=True)
    return result.stdout.strip()


def test_secret_key_is_generated_once_with_mode_0600(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "FORUM_SECRET_KEY"}
    env["FORUM_INSTANCE_PATH"] = str(tmp_path / "inst")
    first = _config_in_subprocess(env, "c.SECRET_KEY")
    second = _config_in_subprocess(env, "c.SECRET_KEY")
    key_file = tmp_path / "inst" / "secret_key"
    assert first == second == key_file.read_text().strip()
    assert len(first) >= 40
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_environment_overrides(tmp_path):
    env = {**os.environ, "FORUM_INSTANCE_PATH": str(tmp_path), "FORUM_SECRET_KEY": "k" * 40,
           "FORUM_DATABASE_URL": "postgres://u@h/db", "FORUM_RATE_LIMITS": "0",
           "FORUM_HTTPS": "1", "FORUM_REDIS_URL": "redis://127.0.0.1:6379/3"}
    out = _config_in_subprocess(
        env, "c.SQLALCHEMY_DATABASE_URI, c.RATE_LIMITS, c.SESSION_COOKIE_SECURE, c.REDIS_URL")
    assert out == "postgresql+psycopg://u@h/db False True redis://127.0.0.1:6379/3"


def test_defaults_are_safe(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env["FORUM_INSTANCE_PATH"] = str(tmp_path)
    out = _config_in_subprocess(
        env, "c.SQLALCHEMY_DATABASE_URI, c.RATE_LIMITS, c.DEMO, c.SMTP_URL, c.SOCKETIO_ASYNC_MODE")
    assert out == f"sqlite:///{tmp_path}/forum.db True False None threading"


def test_a_second_app_still_has_its_socket_handlers(app, make_app):
    """Blueprints (with their event handlers) are registered before socketio.init_app."""
    second = make_app()
    for application in (app, second):
        client = socketio.test_client(application, namespace="/live")
        assert client.is_connected("/live")
        client.disconnect(namespace="/live")


def test_mail_goes_to_the_outbox_without_smtp(app, outbox):
    with app.app_context():
        mail.send("amina@example.org", "Sujet accentué", "Corps du message: é à ü")
    message = outbox.messages()[-1]
    assert message["To"] == "amina@example.org"
    assert message["Subject"] == "Sujet accentué"
    assert "é à ü" in message.get_content()


def test_base_url_names_the_hosts_requests_may_use(tmp_path):
    env = {**os.environ, "FORUM_INSTANCE_PATH": str(tmp_path), "FORUM_SECRET_KEY": "k" * 40,
           "FORUM_BASE_URL": "https://Forum.Example.org/", "FORUM_PROXY_FIX": "1",
           "FORUM_TRUSTED_HOSTS": "www.forum.example.org, ,Other.example"}
    out = _config_in_subprocess(env, "c.BASE_URL, c.TRUSTED_HOSTS, c.PROXY_FIX")
    assert out == ("https://Forum.Example.org "
                   "['forum.example.org', 'www.forum.example.org', 'other.example'] 1")
    # On the loopback, both of its names answer.
    env["FORUM_BASE_URL"], env["FORUM_TRUSTED_HOSTS"] = "http://127.0.0.1:5000", ""
    assert _config_in_subprocess(env, "c.TRUSTED_HOSTS") == "['127.0.0.1', 'localhost']"


def test_without_base_url_no_host_list_and_no_proxy_headers(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env["FORUM_INSTANCE_PATH"] = str(tmp_path)
    out = _config_in_subprocess(env, "c.BASE_URL, c.TRUSTED_HOSTS, c.PROXY_FIX")
    assert out == "None None 0"


def test_a_base_url_that_is_not_an_address_stops_the_start(tmp_path):
    env = {**os.environ, "FORUM_INSTANCE_PATH": str(tmp_path), "FORUM_SECRET_KEY": "k" * 40,
           "FORUM_BASE_URL": "forum.example.org"}
    result = subprocess.run([sys.executable, "-c", "import config; config.Config()"],
                            cwd=ROOT, env=env, text=True, capture_output=True)
    assert result.returncode != 0
    assert "FORUM_BASE_URL must look like https://forum.example.org" in result.stderr


def test_make_serve_refuses_to_start_without_base_url(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "FORUM_BASE_URL"}
    env["FORUM_INSTANCE_PATH"] = str(tmp_path)
    result = subprocess.run(
        ["make", "--no-print-directory", "serve", f"VENV={Path(sys.executable).parent.parent}",
         "PORT=1"], cwd=ROOT, env=env, text=True, capture_output=True, timeout=60)
    assert result.returncode != 0
    assert "set FORUM_BASE_URL" in result.stderr
    assert "gunicorn" not in result.stdout + result.stderr

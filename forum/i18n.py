"""Interface language: the user's setting, then ?lang=, then the footer choice, then the browser."""

from flask import current_app, request, session
from flask_login import current_user


def select_locale() -> str:
    """Flask-Babel locale selector."""
    supported = current_app.config["LANGUAGES"]
    try:
        user = current_user._get_current_object()
    except Exception:  # outside a request, or before login is set up
        user = None
    if user is not None and getattr(user, "is_authenticated", False) and user.locale in supported:
        return user.locale
    if request:
        asked = request.args.get("lang")
        if asked in supported:
            return asked
        chosen = session.get("lang")
        if chosen in supported:
            return chosen
        return request.accept_languages.best_match(supported) or supported[0]
    return supported[0]

"""Interface language: the user's setting, then ?lang=, then the footer choice, then the
browser, then the site's default language (an admin's choice, forum.services.site)."""

from flask import current_app, g, request, session
from flask_babel import get_translations
from flask_login import current_user

# app.extensions[DEFAULT_LOCALE_HOOK]: a function returning the site's default language
# (installed by forum.services.site, which keeps the setting; this floor reads no database).
DEFAULT_LOCALE_HOOK = "tacit_default_locale"


def default_locale() -> str:
    """The site's default interface language (the first of LANGUAGES without the hook)."""
    supported = current_app.config["LANGUAGES"]
    hook = current_app.extensions.get(DEFAULT_LOCALE_HOOK)
    chosen = hook() if hook is not None else None
    return chosen if chosen in supported else supported[0]


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
        return request.accept_languages.best_match(supported) or default_locale()
    return default_locale()


def translations():
    """Flask-Babel's catalog for the current locale, looked up once per request.

    Flask-Babel finds the context, the domain, the locale and its cache on every gettext
    call; a page calls it dozens of times. The catalog is kept on `g` beside the Locale
    object it was found for, so force_locale() (mail in the recipient's language), which
    installs another Locale object, is never served the wrong catalog.
    """
    if not g:
        return get_translations()
    found = g.get("_tacit_translations")
    babel_context = g.get("_flask_babel")
    locale = getattr(babel_context, "babel_locale", None)
    if found is not None and locale is not None and found[0] is locale:
        return found[1]
    catalog = get_translations()
    g._tacit_translations = (getattr(g.get("_flask_babel"), "babel_locale", None), catalog)
    return catalog


def gettext(string: str, **variables) -> str:
    """flask_babel.gettext, through the per-request catalog."""
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """flask_babel.ngettext (num is also a placeholder), through the per-request catalog."""
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def install_template_gettext(app) -> None:
    """Templates' _(), gettext and ngettext through the per-request catalog (after Babel)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

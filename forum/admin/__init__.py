"""Admin pages: people (search, roles, suspensions), groups (create, edit, moderators) and
the site's settings (name, welcome text, default language, open or invitation-only
registration) with invitations."""

from flask import Blueprint

from forum.services import site

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.record_once
def _install_site_settings(state) -> None:
    """Every app keeps its copy of the site's settings (forum.services.site)."""
    site.init_app(state.app)


@bp.app_template_global("site_name")
def site_name() -> str:
    """The site's name, as its administrators set it ("Tacit" by default)."""
    return site.current().name


@bp.app_template_global("site_welcome_html")
def site_welcome_html(locale) -> str:
    """The home page's welcome text in `locale` (sanitized HTML; empty when none is set)."""
    return site.current().welcome_html_in(locale)


from forum.admin import routes  # noqa: E402,F401

"""The expert directory page: a GET form (works without JavaScript) and one page of cards."""

from flask import render_template, request, url_for
from flask_babel import get_locale

from forum.errors import InvalidInput
from forum.experts import bp
from forum.models import SPOKEN_LANGUAGES, language_name
from forum.pages import me
from forum.services import experts as experts_service
from forum.services.inputs import as_id
from forum.services.paging import MAX_PAGE

PER_PAGE, MAX_PER_PAGE = 20, 100
FILTERS = ("expertise", "region", "country", "language", "verified", "q")


def _number(name: str, default: int, high: int) -> int:
    """Pages clamp a malformed or out-of-range page number instead of refusing it."""
    return min(as_id(request.args.get(name)) or default, high)


@bp.route("/experts")
def directory():
    """People who know things: ?expertise=&region=&country=&language=&verified=&q=&page=."""
    form = {name: (request.args.get(name) or "").strip() for name in FILTERS}
    results, errors, status = None, {}, 200
    try:
        results = experts_service.directory(
            me(), **{name: value or None for name, value in form.items()},
            page=_number("page", 1, MAX_PAGE),
            per_page=_number("per_page", PER_PAGE, MAX_PER_PAGE))
    except InvalidInput as error:
        errors, status = error.fields or {}, error.status

    def page_url(number: int) -> str:
        args = {key: value for key, value in form.items() if value}
        if request.args.get("per_page"):
            args["per_page"] = _number("per_page", PER_PAGE, MAX_PER_PAGE)
        return url_for("experts.directory", **args, page=number)

    locale = str(get_locale() or "en")
    languages = sorted(((code, language_name(code, locale)) for code in SPOKEN_LANGUAGES),
                       key=lambda item: item[1].casefold())
    return render_template("experts/directory.html", form=form, results=results,
                           errors=errors, languages=languages,
                           language_names=dict(languages), page_url=page_url,
                           tags=experts_service.declared_expertise()), status

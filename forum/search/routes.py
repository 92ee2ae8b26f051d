"""The search page: a GET form (works without JavaScript) and one page of results."""

from flask import render_template, request, url_for

from forum.errors import InvalidInput
from forum.extensions import db
from forum.models import LANGUAGES
from forum.pages import me
from forum.schemas import question_url
from forum.search import bp
from forum.services import search as search_service
from forum.services.groups import visible_groups_query
from forum.services.insight import log_search

PER_PAGE = 20
MAX_PAGE = 1_000


def faq_url(entry_id: int) -> str:
    """The page of an FAQ entry (the faq blueprint's /faq/<id>)."""
    return f"/faq/{entry_id}"


def _page() -> int:
    try:
        return min(max(1, int(request.args.get("page", 1))), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


@bp.route("/search")
def search():
    """Search the questions and FAQ entries the visitor may read; ?q=&group=&tag=&lang=&page=."""
    user = me()
    form = {name: (request.args.get(name) or "").strip() for name in ("q", "group", "tag", "lang")}
    results, errors, status = None, {}, 200
    if form["q"]:
        try:
            results = search_service.search(
                user, form["q"], group=form["group"] or None, tag=form["tag"] or None,
                lang=form["lang"] or None, page=_page(), per_page=PER_PAGE)
        except InvalidInput as error:
            errors, status = error.fields or {}, error.status
        else:
            if results.page == 1:  # paging through a search is not another search
                log_search(form["q"], results.total, results.group.id if results.group
                           else None, form["lang"] or None)

    def page_url(number: int) -> str:
        args = {key: value for key, value in form.items() if value}
        return url_for("search.search", **args, page=number)

    groups = db.session.scalars(visible_groups_query(user)).all()
    return render_template("search/search.html", form=form, results=results, errors=errors,
                           groups=groups, languages=LANGUAGES, page_url=page_url,
                           question_url=question_url, faq_url=faq_url), status

"""Helpers shared by the page blueprints (qa, groups, chat, auth, search): the signed-in
user, form checks, service refusals shown on forms, one page of a list, and the rows and
times a list of questions shows.

Blueprints import these from here, never from one another.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from babel.dates import TIMEDELTA_UNITS
from babel.dates import format_timedelta as babel_format_timedelta
from flask import abort, flash, make_response, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf import FlaskForm

from forum.errors import InvalidInput, RateLimited, ServiceError
from forum.i18n import gettext as _
from forum.i18n import ngettext
from forum.models import Question, utcnow
from forum.services.paging import MAX_PAGE, fetch_page
from forum.web import link_parts

PER_PAGE, MAX_PER_PAGE = 20, 100
FILTERS = ("status", "sort", "lang", "tag")
AGO_THRESHOLD = 0.9  # as Babel's format_timedelta(threshold=0.9): "4 weeks", then "1 month"
JUST_NOW_SECONDS = 45


class ConfirmForm(FlaskForm):
    """A button that only needs its CSRF token (delete confirmations)."""


def me():
    """The signed-in user (the model, not the proxy), or None for an anonymous visitor."""
    user = current_user._get_current_object()
    return user if getattr(user, "is_authenticated", False) else None


def check_form(form) -> None:
    """Abort with 400 unless the form's CSRF token is valid (the fields carry no validators:
    the services validate)."""
    if not form.validate_on_submit():
        abort(400)


def apply_errors(form, error: ServiceError) -> None:
    """Show a service's field errors next to the fields; other errors as a flash."""
    shown = False
    for name, message in (error.fields or {}).items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*list(field.errors or []), message]
            shown = True
    if not shown or not isinstance(error, InvalidInput):
        flash(error.message, "error")


def error_headers(error: ServiceError) -> dict:
    """Retry-After for a rate-limited request."""
    return {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else {}


def show_on_form(form, error: ServiceError) -> tuple[int, dict]:
    """403 and 404 become the error page; other refusals go next to the form's fields (or
    in a flash). Returns the status and headers to render the form again with."""
    if error.status in (403, 404):
        raise error
    apply_errors(form, error)
    return error.status, error_headers(error)


def list_filters(**fixed) -> dict:
    """The question-list filters of this request (?status=&sort=&lang=&tag=)."""
    found = {name: (request.args.get(name) or None) for name in FILTERS}
    found.update(fixed)
    return found


def _int_arg(name: str, default: int, high: int) -> int:
    try:
        value = int(request.args.get(name, default))
    except (TypeError, ValueError):
        value = default
    return min(max(1, value), high)


def _page_url(page: int) -> str:
    # Only the known filters travel: other names could steer url_for (_external, _scheme)
    # or collide with the path's own arguments.
    args = {name: request.args[name] for name in (*FILTERS, "per_page")
            if request.args.get(name)}
    args.update(request.view_args or {})
    args["page"] = page
    return url_for(request.endpoint, **args)


def paginate(stmt, *, per_page: int = PER_PAGE, rows: bool = False):
    """One page of a select() (?page=, ?per_page= up to 100): (items, pager).

    Out-of-range or malformed numbers are clamped, never refused: a page is always shown.
    One query plus the statement's eager loads (forum.services.paging.fetch_page).
    """
    found = fetch_page(stmt, page=_int_arg("page", 1, MAX_PAGE),
                       per_page=_int_arg("per_page", per_page, MAX_PER_PAGE), rows=rows)
    pager = {
        "page": found.page,
        "prev": _page_url(found.page - 1) if found.page > 1 else None,
        "next": _page_url(found.page + 1) if found.has_next else None,
    }
    return found.items, pager


# -- times and question lists ------------------------------------------------------------


@lru_cache(maxsize=4096)
def _relative(locale: str, unit: str, value: int, future: bool) -> str:
    """'3 hours ago' / 'il y a 3 heures' for one (unit, value): Babel's own wording."""
    seconds = dict(TIMEDELTA_UNITS)[unit] * value
    return babel_format_timedelta(timedelta(seconds=seconds if future else -seconds),
                                  threshold=math.inf, granularity=unit, add_direction=True,
                                  locale=locale)


def ago(value: datetime | None, now: datetime | None = None, locale: str | None = None) -> str:
    """'3 hours ago' in the reader's language, as Babel words it, cached per wording.

    Babel picks the largest unit worth at least 0.9 of itself and rounds; that choice is made
    here, and the sentence for (unit, value) is asked from Babel once per process.
    """
    if value is None:
        return ""
    seconds = (value - (now or utcnow())).total_seconds()
    if abs(seconds) < JUST_NOW_SECONDS:
        return _("just now")
    for unit, per_unit in TIMEDELTA_UNITS:
        amount = abs(seconds) / per_unit
        if amount >= AGO_THRESHOLD or unit == "second":
            return _relative(locale or str(get_locale()), unit, max(1, int(round(amount))),
                             seconds >= 0)
    return ""  # not reached: "second" always answers


def iso(value: datetime | None) -> str:
    """ISO 8601 with its UTC offset, for <time datetime>."""
    return value.isoformat(timespec="seconds") if value else ""


@dataclass(slots=True)
class QuestionRow:
    q: Question
    url: str
    group_url: str
    tags: list[tuple[str, str]]  # (name, url)
    votes: str
    answers: str
    lang_title: str
    ago: str
    iso: str


def question_rows(questions: list[Question]) -> list[QuestionRow]:
    """The rows of a question list (author, group and tags already loaded), computed once in
    Python rather than by template calls per row (the Q&A and group pages)."""
    now = utcnow()
    locale = str(get_locale())
    titles = {"en": _("Written in English"), "fr": _("Written in French")}
    tag_urls: dict[str, str] = {}
    group_urls: dict[str, str] = {}
    q_before, q_after = link_parts("qa.question")
    rows = []
    for q in questions:
        tags = []
        for tag in q.tags:
            if tag.name not in tag_urls:
                tag_urls[tag.name] = url_for("qa.tag", name=tag.name)
            tags.append((tag.name, tag_urls[tag.name]))
        slug = q.group.slug
        if slug not in group_urls:
            group_urls[slug] = url_for("groups.group", slug=slug)
        rows.append(QuestionRow(
            q=q, url=f"{q_before}{q.id}{q_after}", group_url=group_urls[slug], tags=tags,
            votes=ngettext("%(num)d vote", "%(num)d votes", q.score),
            answers=ngettext("%(num)d answer", "%(num)d answers", q.answer_count),
            lang_title=titles.get(q.lang, titles["en"]), ago=ago(q.created_at, now, locale),
            iso=iso(q.created_at)))
    return rows


# -- feeds --------------------------------------------------------------------------------


def atom_response(*, title: str, page_url: str, questions):
    """An Atom 1.0 feed of `questions` (newest first; their groups, authors and tags
    loaded), for the groups' and tags' feeds."""
    updated = max((q.edited_at or q.created_at for q in questions), default=None) or utcnow()
    body = render_template("feeds/atom.xml", title=title, page_url=page_url,
                           feed_url=request.base_url, questions=questions, updated=updated)
    response = make_response(body)
    response.mimetype = "application/atom+xml"
    return response


def diff_lines(old, new, context: int = 3) -> list[tuple[str, str]]:
    """Line diff of two texts (revisions of a post, of an FAQ entry): (kind, text) with kind
    same/del/ins, and "gap" between groups of changes `context` lines apart."""
    a, b = str(old or "").splitlines(), str(new or "").splitlines()
    rows: list[tuple[str, str]] = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(
            context):
        if rows:
            rows.append(("gap", ""))
        for op, i1, i2, j1, j2 in group:
            if op == "equal":
                rows.extend(("same", line) for line in a[i1:i2])
            else:
                rows.extend(("del", line) for line in a[i1:i2])
                rows.extend(("ins", line) for line in b[j1:j2])
    return rows

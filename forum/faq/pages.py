"""The curated FAQ's reading pages: the list (by tag or by group, filtered and searched),
an entry with its provenance (and, for its curators, the actions and the source-changed
diff), its revisions, and the Atom feed. Thin views over forum.services.faq."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import make_response, render_template, request, url_for
from flask_babel import format_date, get_locale
from markupsafe import Markup

from forum.errors import Gone, ServiceError
from forum.extensions import db
from forum.faq import bp
from forum.faq.forms import (
    ObsoleteForm,
    PinForm,
    TranslationForm,
    VerifyForm,
    WithdrawForm,
)
from forum.i18n import gettext as _
from forum.models import utcnow
from forum.pages import ConfirmForm, diff_lines, me
from forum.services import faq, feeds
from forum.services import groups as groups_service
from forum.services.inputs import MAX_ID
from forum.services.paging import MAX_PAGE

ENTRY = f"/faq/<int(max={MAX_ID}):entry_id>"
PER_PAGE = 50
EXCERPT_CHARS = 240
FILTER_NAMES = ("q", "group", "tag", "lang")
# Revision snapshots: the Markdown fields shown as a line diff, then the short ones.
TEXT_FIELDS = ("title", "summary_source", "question_source", "answer_source")
SHORT_FIELDS = ("tags", "lang", "review_by", "status", "note", "replaced_by_id",
                "translation_id")


def faq_filters() -> dict:
    """The FAQ list's filters of this request (?q=&group=&tag=&lang=), empty ones left out;
    the packets take the same."""
    found = {}
    for name in FILTER_NAMES:
        value = request.args.get(name)
        if isinstance(value, str) and value.strip():
            found[name] = value.strip()[:200]
    return found


def _page_number() -> int:
    try:
        return min(max(1, int(request.args.get("page", 1))), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


@bp.app_template_filter("faq_date")
def faq_date(value) -> str:
    """A date (or the date of a moment) in the reader's language: "3 Dec 2026"."""
    if value is None:
        return ""
    return format_date(value, format="medium")


@dataclass(slots=True)
class Section:
    key: str
    title: str
    url: str | None
    entries: list = field(default_factory=list)


def _curator_check(user):
    """can_curate_entry, asked once per group (entries of one group share the answer)."""
    known: dict[int, bool] = {}

    def check(entry) -> bool:
        if user is None:
            return False
        if entry.group_id not in known:
            known[entry.group_id] = faq.can_curate_entry(user, entry)
        return known[entry.group_id]

    return check


def _rows(entries, user) -> list[dict]:
    today = utcnow().date()
    curates = _curator_check(user)
    rows = []
    for entry in entries:
        status = faq.entry_status(entry, today)
        rows.append({"entry": entry, "due": status == "due" and curates(entry),
                     "curator": curates(entry)})
    return rows


def _sections(rows: list[dict], by: str) -> list[Section]:
    """Rows under their tags (an entry under each of its tags) or their groups, in the
    list's order within a section; sections by name."""
    sections: dict[str, Section] = {}
    for row in rows:
        entry = row["entry"]
        if by == "group":
            group = entry.group
            name = group.name_in(get_locale())
            if group.region and group.region != name:
                name = f"{name} · {group.region}"
            keys = [(group.slug, name, url_for("faq.index", by="group", group=group.slug))]
        else:
            keys = [(t.name, t.name, url_for("faq.index", tag=t.name)) for t in entry.tags]
            if not keys:
                keys = [("", _("Other"), None)]
        for key, title, url in keys:
            section = sections.get(key)
            if section is None:
                section = sections[key] = Section(key=key, title=title, url=url)
            section.entries.append(row)
    return sorted(sections.values(), key=lambda s: (s.key == "", s.title.casefold()))


@bp.route("/faq")
def index():
    """The FAQ list, by tag (default) or by group, with its filters and search."""
    user = me()
    by = "group" if request.args.get("by") == "group" else "tag"
    filters = faq_filters()
    found = faq.list_entries(user, **filters, prefer_lang=str(get_locale()),
                             page=_page_number(), per_page=PER_PAGE)
    rows = _rows(found.items, user)
    # The pins that order this list: the group's when it is filtered by group, else the
    # tag's (as list_entries orders them).
    scope = (("group", filters["group"]) if "group" in filters
             else ("tag", filters["tag"]) if "tag" in filters else None)
    pinned: list[int] = []
    if scope and any(row["curator"] for row in rows):
        pinned = faq.pins(*scope)
    args = {**filters, "by": by}
    pager = {
        "prev": url_for("faq.index", **args, page=found.page - 1) if found.page > 1 else None,
        "next": url_for("faq.index", **args, page=found.page + 1) if found.has_next else None,
    }
    return render_template(
        "faq/index.html", sections=_sections(rows, by), by=by,
        filters=filters, pager=pager,
        groups=db.session.scalars(groups_service.visible_groups_query(user)).all(),
        scope=scope, pinned=pinned, pin_form=PinForm(),
        curator=user is not None and any(row["curator"] for row in rows),
        by_tag_url=url_for("faq.index", **{**filters, "by": "tag"}),
        by_group_url=url_for("faq.index", **{**filters, "by": "group"}),
        packet_html_url=url_for("faq.packet_html", **filters),
        packet_json_url=url_for("faq.packet_json", **filters))


# -- one entry ----------------------------------------------------------------------------


def _pin_scopes(entry) -> list[dict]:
    """Where a curator may pin the entry (its group, each of its tags) and whether it is."""
    scopes = [("group", entry.group.slug, entry.group.name_in(get_locale()))]
    scopes += [("tag", t.name, t.name) for t in entry.tags]
    return [{"scope": scope, "key": key, "label": label,
             "pinned": entry.id in faq.pins(scope, key)} for scope, key, label in scopes]


def _readable(user, entry_id):
    """The entry `user` may read (the replacement, the translation), or None: a link to an
    entry of a private group, or a withdrawn one, is not shown."""
    if not entry_id:
        return None
    try:
        return faq.get_entry(user, entry_id)
    except ServiceError:
        return None


def render_entry(entry_id, *, status: int = 200, **forms):
    """The entry page (curators: with their action forms; `forms` replaces some of them,
    with their errors, when an action was refused)."""
    user = me()
    try:
        entry = faq.get_entry(user, entry_id)
    except Gone as error:
        return render_template("faq/gone.html", note=error.message), 410
    curator = faq.can_curate_entry(user, entry) if user is not None else False
    state = faq.entry_status(entry, utcnow().date())
    people = faq.contributors([entry.id]).get(entry.id, [])
    context = {"entry": entry, "state": state, "curator": curator, "people": people,
               "replacement": _readable(user, entry.replaced_by_id),
               "translation": _readable(user, entry.translation_id)}
    if curator:
        context.update(
            change=faq.source_change(entry),
            pin_scopes=_pin_scopes(entry),
            verify_form=forms.get("verify_form") or VerifyForm(),
            obsolete_form=forms.get("obsolete_form") or ObsoleteForm(),
            withdraw_form=forms.get("withdraw_form") or WithdrawForm(),
            translation_form=forms.get("translation_form") or TranslationForm(),
            pin_form=PinForm(), confirm=ConfirmForm())
    return render_template("faq/entry.html", **context), status


@bp.route(ENTRY)
def entry(entry_id):
    """A curated entry: its question, answer, summary, provenance and review dates."""
    return render_entry(entry_id)


# -- revisions ----------------------------------------------------------------------------


def field_labels() -> dict:
    return {"title": _("Title"), "summary_source": _("Summary"),
            "question_source": _("Question"), "answer_source": _("Answer"),
            "tags": _("Tags"), "lang": _("Language"), "review_by": _("Review by"),
            "status": _("Status"), "note": _("Note"), "replaced_by_id": _("Replaced by"),
            "translation_id": _("Translation")}


def action_labels() -> dict:
    return {"promoted": _("Promoted to the FAQ"), "edited": _("Edited"),
            "verified": _("Verified"), "obsolete": _("Marked obsolete"),
            "source_taken": _("Change of the source answer taken in"),
            "source_kept": _("Curated text kept"), "withdrawn": _("Withdrawn"),
            "translation": _("Translation changed"), "restored": _("Restored")}


def _short(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return " ".join(str(v) for v in value) or "—"
    return str(value)


def revision_entries(revisions) -> list[dict]:
    """Each revision (oldest first in, newest first out) with what changed from the one
    before: line diffs of the texts, (before, after) of the short fields."""
    entries = []
    previous: dict | None = None
    for rev in sorted(revisions, key=lambda r: r.number):
        snap = rev.snapshot or {}
        item = {"rev": rev, "texts": [], "shorts": [], "first": previous is None}
        if previous is None:
            item["texts"] = [(name, [("same", line) for line in
                                     str(snap.get(name) or "").splitlines()])
                             for name in TEXT_FIELDS if snap.get(name)]
            item["shorts"] = [(name, None, _short(snap.get(name))) for name in SHORT_FIELDS
                              if snap.get(name) not in (None, "", [])]
        else:
            for name in TEXT_FIELDS:
                if snap.get(name) != previous.get(name):
                    item["texts"].append((name, diff_lines(previous.get(name),
                                                           snap.get(name))))
            for name in SHORT_FIELDS:
                if snap.get(name) != previous.get(name):
                    item["shorts"].append((name, _short(previous.get(name)),
                                           _short(snap.get(name))))
        entries.append(item)
        previous = snap
    return list(reversed(entries))


@bp.route(f"{ENTRY}/revisions")
def revisions(entry_id):
    """Every change to an entry: action, who, when, note, and what changed."""
    user = me()
    try:
        entry = faq.get_entry(user, entry_id)
    except Gone as error:
        return render_template("faq/gone.html", note=error.message), 410
    found = faq.revisions(user, entry.id)
    return render_template("faq/revisions.html", entry=entry,
                           items=revision_entries(found), labels=field_labels(),
                           actions=action_labels())


# -- feed ---------------------------------------------------------------------------------


@bp.route("/faq/feed")
def feed():
    """Atom feed of new and updated entries of public groups."""
    entries = feeds.faq_feed()
    updated = max((e.updated_at for e in entries), default=None) or utcnow()
    body = render_template("faq/atom.xml", entries=entries, updated=updated,
                           page_url=url_for("faq.index", _external=True),
                           feed_url=request.base_url)
    response = make_response(body)
    response.mimetype = "application/atom+xml"
    return response


def excerpt(html: str, limit: int = EXCERPT_CHARS) -> str:
    """The plain text of sanitized HTML, cut at a word near `limit` characters."""
    text = " ".join(Markup(html or "").striptags().split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


bp.add_app_template_filter(excerpt, "faq_excerpt")

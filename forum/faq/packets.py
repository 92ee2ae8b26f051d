"""Offline packets: any FAQ view (the whole FAQ, one group, one tag; the list's filters) as
one self-contained HTML file to pass around over WhatsApp or a USB stick and read offline
on a phone, and as JSON for re-use.

The HTML file carries its own small stylesheet inline and nothing else: no script, no
image, no font, no stylesheet link, no url() — it never asks the network for anything. Its
links are absolute, on the site's base URL, so that they work from wherever the file is
opened; the table of contents points at anchors in the file itself. The app's strict CSP
forbids inline styles on pages; this download gets its own policy that allows only that.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

from flask import current_app, jsonify, render_template, url_for
from flask_babel import get_locale

from forum.faq import bp
from forum.faq.pages import faq_filters
from forum.i18n import gettext as _
from forum.models import utcnow
from forum.pages import me
from forum.schemas import author_json, iso
from forum.services import faq
from forum.services.accounts import external_url

# At most 5 pages of 100 entries (the list's largest page): the whole FAQ of a small
# forum, in a bounded number of queries.
PACKET_PAGE_SIZE, PACKET_PAGES = 100, 5
PACKET_CSP = "default-src 'none'; style-src 'unsafe-inline'"
_HREF = re.compile(r'href="([^"]*)"')
_FILENAME_UNSAFE = re.compile(r"[^a-z0-9]+")


def site_url(endpoint: str, **values) -> str:
    """An absolute link to a page of the site: on FORUM_BASE_URL when it is set (never on
    the Host header of the request), else on the request's own address."""
    if current_app.config.get("BASE_URL"):
        return external_url(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def absolute_links(fragment: str, base: str) -> str:
    """Sanitized HTML with every relative link made absolute against `base` (an entry's
    address on the site), so that a link in an answer still works from the file."""
    def fix(match: re.Match) -> str:
        href = html.unescape(match.group(1))
        return f'href="{html.escape(urljoin(base, href), quote=True)}"'

    return _HREF.sub(fix, fragment or "")


def _discussion_url(entry) -> str | None:
    """The source thread, at the chosen answer (None when the thread was deleted)."""
    if entry.question_id is None:
        return None
    anchor = f"#post-{entry.answer_id}" if entry.answer_id else ""
    return site_url("qa.question", question_id=entry.question_id) + anchor


def _packet_entries():
    """The entries of this view (the list's filters) and their contributors."""
    user = me()
    entries = []
    for page in range(1, PACKET_PAGES + 1):
        found = faq.list_entries(user, **faq_filters(), prefer_lang=str(get_locale()),
                                 page=page, per_page=PACKET_PAGE_SIZE)
        entries.extend(found.items)
        if not found.has_next:
            break
    people = faq.contributors([e.id for e in entries]) if entries else {}
    return entries, people


def _title(filters: dict) -> str:
    parts = [_("Tacit FAQ")]
    if filters.get("group"):
        parts.append(_("group %(name)s", name=filters["group"]))
    if filters.get("tag"):
        parts.append(_("tag %(name)s", name=filters["tag"]))
    if filters.get("lang"):
        parts.append(filters["lang"].upper())
    if filters.get("q"):
        parts.append(f"“{filters['q']}”")
    return " · ".join(parts)


def _filename(filters: dict, extension: str) -> str:
    words = ["tacit-faq"] + [filters[name] for name in ("group", "tag", "lang", "q")
                             if filters.get(name)]
    name = _FILENAME_UNSAFE.sub("-", "-".join(words).lower()).strip("-")[:80] or "tacit-faq"
    return f"{name}.{extension}"


def entry_json(entry, people, today) -> dict:
    """An entry as the JSON API gives it (GET /api/v1/faq/{id}), with absolute links: the
    file is read away from the site."""
    entry_url = site_url("faq.entry", entry_id=entry.id)
    return {
        "id": entry.id,
        "title": entry.title,
        "url": entry_url,
        "question_html": absolute_links(entry.question_html, entry_url),
        "answer_html": absolute_links(entry.answer_html, entry_url),
        "summary_html": absolute_links(entry.summary_html, entry_url),
        "source": {
            "question_id": entry.question_id,
            "answer_id": entry.answer_id,
            "url": _discussion_url(entry),
        },
        "contributors": [dict(author_json(user), role=role) for user, role in people
                         if author_json(user) is not None],
        "promoted_by": author_json(entry.promoted_by),
        "promoted_at": iso(entry.promoted_at),
        "reviewed_at": iso(entry.reviewed_at),
        "review_by": entry.review_by.isoformat() if entry.review_by else None,
        "group": entry.group.slug,
        "tags": [t.name for t in entry.tags],
        "lang": entry.lang,
        "status": faq.entry_status(entry, today),
        "replaced_by": entry.replaced_by_id,
        "note": entry.note,
        "translation": entry.translation_id,
    }


@bp.route("/faq/packet.html")
def packet_html():
    """The view as one self-contained HTML file (an attachment)."""
    filters = faq_filters()
    entries, people = _packet_entries()
    items = []
    for entry in entries:
        entry_url = site_url("faq.entry", entry_id=entry.id)
        items.append({
            "entry": entry,
            "url": entry_url,
            "summary_html": absolute_links(entry.summary_html, entry_url),
            "question_html": absolute_links(entry.question_html, entry_url),
            "answer_html": absolute_links(entry.answer_html, entry_url),
            "discussion_url": _discussion_url(entry),
            "people": [(user, role, site_url("experts.profile", username=user.username))
                       for user, role in people.get(entry.id, []) if not user.is_deleted],
            "tags": [(t.name, site_url("faq.index", tag=t.name)) for t in entry.tags],
        })
    body = render_template("faq/packet.html", items=items, title=_title(filters),
                           made=utcnow(), view_url=site_url("faq.index", **filters),
                           faq_url=site_url("faq.index"))
    response = current_app.response_class(body, mimetype="text/html")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{_filename(filters, "html")}"')
    response.headers["Content-Security-Policy"] = PACKET_CSP
    return response


@bp.route("/faq/packet.json")
def packet_json():
    """The view as JSON: {title, generated_at, url, filters, entries: [faq entry]}."""
    filters = faq_filters()
    entries, people = _packet_entries()
    today = utcnow().date()
    response = jsonify({
        "title": _title(filters),
        "generated_at": iso(utcnow()),
        "url": site_url("faq.index", **filters),
        "filters": filters,
        "entries": [entry_json(e, people.get(e.id, []), today) for e in entries],
    })
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{_filename(filters, "json")}"')
    return response


"""The posts and their pieces as HTML, written by Python rather than by Jinja macros.

A long thread prints 150 posts; through a macro each post cost about seventy template
operations (attribute lookups, escapes, calls), the largest part of the page. Here one post
is one f-string. Every value that is not already HTML goes through escape(); `body_html` was
cleaned by forum/markup.py when it was written. The markup is what the live script
(static/js/tacit.js) and the tests rely on: #post-ID, data-post-id, data-parent-id,
#replies-ID, one small form per answer for its vote and accept buttons.

This is the only copy of that markup: the pieces other pages print (an author, a time, the
question's vote box, its tags and language) are the template globals in TEMPLATE_GLOBALS,
which the qa blueprint installs for every template.
"""

from __future__ import annotations

from flask import has_request_context, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from forum.i18n import gettext as _
from forum.qa.presenters import PostView, ago, iso
from forum.services import attachments as files


def _profile_prefix() -> str:
    """Where profile links start: /u/ under the application's root."""
    return f"{request.script_root}/u/" if has_request_context() else "/u/"


def _author(author, labels) -> str:
    """The author's name linked to their profile, the verified-expert badge, and the public
    reputation (points from private groups never count in it); "deleted user" unlinked."""
    if author is None or author.is_deleted:
        return f'<span class="author gone">{escape(labels["deleted_user"])}</span>'
    html = (f'<a class="author" href="{_profile_prefix()}{escape(author.username)}">'
            f'{escape(author.name)}</a>')
    if author.verified_expert:
        html += f' <span class="badge expert">{escape(labels["expert"])}</span>'
    return html + (f' <span class="rep" title="{escape(labels["reputation"])}">'
                   f'{int(author.reputation or 0)}</span>')


class _AuthorLabels:
    """The words _author() may print, translated only when it prints them."""

    def __getitem__(self, key: str) -> str:
        if key == "deleted_user":
            return _("deleted user")
        return _("reputation") if key == "reputation" else _("verified expert")


_AUTHOR_LABELS = _AuthorLabels()


def _vote_box(score: int, mine: int, enabled: bool, labels, target: str = "",
              via: str = "") -> str:
    score_for = f' data-score-for="{escape(target)}"' if target else ""
    if not enabled:
        return f'<div class="vote"><span class="score"{score_for}>{score}</span></div>'
    up_pressed = "true" if mine == 1 else "false"
    down_pressed = "true" if mine == -1 else "false"
    return (
        f'<div class="vote"><button{via} name="value" value="{0 if mine == 1 else 1}" '
        f'aria-pressed="{up_pressed}" aria-label="{escape(labels["vote_up"])}">▲</button>'
        f'<span class="score"{score_for}>{score}</span><button{via} name="value" '
        f'value="{0 if mine == -1 else -1}" aria-pressed="{down_pressed}" '
        f'aria-label="{escape(labels["vote_down"])}">▼</button></div>')


def _time(iso_value: str, ago_value: str) -> str:
    return f'<time datetime="{escape(iso_value)}">{escape(ago_value)}</time>'


def _body(v: PostView, labels: dict) -> str:
    p = v.post
    # The vote and accept buttons of every post submit the page's one form (#pf, with the
    # CSRF token; POST_FORM_HTML) to their own URL: one token per page, not one per post.
    parts = ['<div class="pf">']
    if v.is_answer:
        via = f' form="pf" formaction="{escape(v.vote_url)}"' if v.can_vote else ""
        parts.append(_vote_box(int(p.score), v.my_vote, v.can_vote, labels, via=via))
    parts.append('<div class="main">')
    if v.accepted:
        parts.append(f'<p class="accepted-mark">✓ {escape(labels["accepted"])}</p>')
    if p.is_deleted:
        parts.append(f'<p class="deleted-mark">{escape(labels["deleted"])}</p>')
    if p.held_at is not None:  # only its author and moderators get here
        parts.append(f'<p class="note held-mark">{escape(labels["held"])}</p>')
    elif p.hidden_at is not None:  # only its author and moderators get here (placeholder)
        parts.append(f'<p class="deleted-mark hidden-mark">'
                     f'{escape(_("Hidden by a moderator: %(reason)s", reason=p.hidden_reason))}'
                     f'</p>')
    if v.reply_to_id:
        page = f"?page={int(v.reply_to_page)}" if v.reply_to_page else ""
        parts.append(f'<p class="reply-to"><a href="{page}#post-{int(v.reply_to_id)}">'
                     f'{escape(v.reply_to_label)}</a></p>')
    parts.append(f'\n<div class="body" lang="{escape(p.lang)}">{p.body_html}</div>\n')
    if v.files:
        parts.append(files_html(v.files, remove=bool(v.moderate_url)))
    parts.append(f'<p class="meta">{_author(p.author, labels)} · '
                 f'<a href="{escape(v.permalink)}">{_time(v.iso, v.ago)}</a>')
    if v.revisions_url:
        parts.append(f' · <a href="{escape(v.revisions_url)}">{escape(labels["edited"])}</a>')
    if v.reply_url:
        parts.append(f' · <a href="{escape(v.reply_url)}">{escape(labels["reply"])}</a>')
    if v.can_edit:
        parts.append(f' · <a href="{escape(v.edit_url)}">{escape(labels["edit"])}</a>'
                     f' · <a href="{escape(v.delete_url)}">{escape(labels["delete"])}</a>')
    if v.moderate_url:
        parts.append(f' · <a href="{escape(v.moderate_url)}">{escape(v.moderate_label)}</a>')
    flag = _flag_link(labels)  # those who moderate the post hide it rather than flag it
    if flag and not v.moderate_url and p.author_id != flag[0] and not p.is_deleted:
        parts.append(f' · <a href="{flag[1]}{int(p.id)}{flag[2]}">{flag[3]}</a>')
    if v.can_accept:
        if v.accepted:
            parts.append(f' <button class="link acc" form="pf"'
                         f' formaction="{escape(labels["unaccept_url"])}">'
                         f'{escape(labels["unaccept"])}</button>')
        else:
            parts.append(f' <button class="link acc" form="pf"'
                         f' formaction="{escape(labels["accept_url"])}"'
                         f' name="answer_id" value="{int(p.id)}">'
                         f'{escape(labels["accept"])}</button>')
    parts.append("</p></div></div>")
    return "".join(parts)


_FLAG_MARK = 1987654321  # a marker id, split out of the built URL


def _flag_link(labels: dict):
    """(reader's id, URL before and after the post id, escaped label) of the Flag link for
    signed-in readers, or None; worked out once per page and kept in `labels`."""
    if "_flag" not in labels:
        found = None
        if has_request_context() and getattr(current_user, "is_authenticated", False):
            before, _mark, after = url_for("moderation.flag", target_type="post",
                                           target_id=_FLAG_MARK).partition(str(_FLAG_MARK))
            found = (current_user.id, escape(before), escape(after), escape(_("Flag")))
        labels["_flag"] = found
    return labels["_flag"]


def _post(v: PostView, labels: dict, out: list[str]) -> None:
    p = v.post
    classes = f"post indent-{int(v.indent)}"
    if v.accepted:
        classes += " accepted"
    if p.is_deleted:
        classes += " deleted"
    out.append(f'<article class="{classes}" id="post-{int(p.id)}" data-post-id="{int(p.id)}" '
               f'data-parent-id="{int(p.parent_id) if p.parent_id else ""}">')
    if v.placeholder and v.hidden:
        out.append(f'<p class="placeholder">{escape(labels["hidden_post"])}</p>')
    elif v.placeholder:
        label = labels["deleted_answer"] if v.is_answer else labels["deleted_reply"]
        out.append(f'<p class="placeholder">{escape(label)}</p>')
    else:
        out.append(_body(v, labels))
    out.append(f'<div class="replies" id="replies-{int(p.id)}">')
    for child in v.replies:
        _post(child, labels, out)
    out.append("</div></article>")


def files_html(attached: list, *, remove: bool = False) -> Markup:
    """The files of a post: name, type and size, so a reader on a metered connection
    chooses; images as small lazy-loaded thumbnails linking to the image. `remove`: the
    reader moderates the post (a link to remove each file)."""
    if not attached:
        return Markup("")
    side = files.setting("ATTACH_THUMB_SIDE")
    out = [f'<ul class="files" aria-label="{escape(_("Attached files"))}">']
    for a in attached:
        url = f"/files/{escape(a.token)}"
        kind = a.filename.rsplit(".", 1)[-1].upper()
        out.append("<li>")
        if a.kind == "image" and a.thumb_key and a.width and a.height:
            scale = min(1.0, side / max(a.width, a.height))
            out.append(f'<a href="{url}"><img src="{url}/thumb" alt="{escape(a.filename)}"'
                       f' width="{max(1, round(a.width * scale))}"'
                       f' height="{max(1, round(a.height * scale))}" loading="lazy"></a> ')
        out.append(f'<a href="{url}">{escape(a.filename)}</a>'
                   f' <span class="meta">{escape(kind)} · {escape(files.human_size(a.size))}'
                   f'</span>')
        if remove:
            out.append(f' · <a href="{url}/remove">{escape(_("Remove"))}</a>')
        out.append("</li>")
    out.append("</ul>\n")
    return Markup("".join(out))


def post_html(view: PostView, labels: dict) -> Markup:
    """One answer or reply with its nested replies."""
    out: list[str] = []
    _post(view, labels, out)
    return Markup("".join(out))


def posts_html(views: list[PostView], labels: dict) -> Markup:
    """The answers of a thread, each followed by a newline as the page always printed them."""
    out: list[str] = []
    for view in views:
        out.append("\n")
        _post(view, labels, out)
    return Markup("".join(out))


# -- the pieces other pages print (template globals) -------------------------------------


def author_html(user) -> Markup:
    """A user's name linked to their profile, with the badge and reputation, or "deleted
    user"."""
    return Markup(_author(user, _AUTHOR_LABELS))


def time_html(value) -> Markup:
    """<time> with the moment in ISO 8601 and "3 hours ago" in the reader's language."""
    return Markup(_time(iso(value), ago(value)))


def vote_box_html(score, mine, enabled: bool, target: str = "") -> Markup:
    """A score with its up and down buttons (inside the caller's form) when `enabled`;
    pressing your current vote again sends 0. `target` names what the score is for."""
    labels = {"vote_up": _("Vote up"), "vote_down": _("Vote down")} if enabled else {}
    return Markup(_vote_box(int(score), mine, enabled, labels, target))


def tags_html(tags) -> Markup:
    """A question's tags as links to their lists (nothing when it has none)."""
    if not tags:
        return Markup("")
    items = "".join(f'<li><a class="tag" href="{escape(url_for("qa.tag", name=t.name))}">'
                    f'{escape(t.name)}</a></li>' for t in tags)
    return Markup(f'<ul class="tags">{items}</ul>')


def lang_badge_html(code: str) -> Markup:
    """The two-letter language of a text, with its name as the title."""
    title = _("Written in English") if code == "en" else _("Written in French")
    return Markup(f'<abbr class="lang" title="{escape(title)}">{escape(str(code).upper())}</abbr>')


TEMPLATE_GLOBALS = {
    "author_html": author_html,
    "time_html": time_html,
    "vote_box_html": vote_box_html,
    "tags_html": tags_html,
    "lang_badge_html": lang_badge_html,
}

"""The question page's posts as HTML, written by Python rather than by a Jinja macro.

A long thread prints 150 posts; through a macro each post cost about seventy template
operations (attribute lookups, escapes, calls), the largest part of the page. Here one post
is one f-string. Every value that is not already HTML goes through escape(); `body_html` was
cleaned by forum/markup.py when it was written. The markup is what the live script
(static/js/tacit.js) and the tests rely on: #post-ID, data-post-id, data-parent-id,
#replies-ID, one small form per answer for its vote and accept buttons.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from forum.qa.presenters import PostView


def _author(author, labels: dict) -> str:
    if author is None or author.is_deleted:
        return f'<span class="author gone">{escape(labels["deleted_user"])}</span>'
    html = f'<span class="author">{escape(author.name)}</span>'
    if author.verified_expert:
        html += f' <span class="badge expert">{escape(labels["expert"])}</span>'
    return html


def _vote_box(v: PostView, labels: dict) -> str:
    score = int(v.post.score)
    if not v.can_vote:
        return f'<div class="vote"><span class="score">{score}</span></div>'
    up_pressed = "true" if v.my_vote == 1 else "false"
    down_pressed = "true" if v.my_vote == -1 else "false"
    return (
        f'<div class="vote"><button name="value" value="{0 if v.my_vote == 1 else 1}" '
        f'aria-pressed="{up_pressed}" aria-label="{escape(labels["vote_up"])}">▲</button>'
        f'<span class="score">{score}</span><button name="value" '
        f'value="{0 if v.my_vote == -1 else -1}" aria-pressed="{down_pressed}" '
        f'aria-label="{escape(labels["vote_down"])}">▼</button></div>')


def _body(v: PostView, labels: dict) -> str:
    p = v.post
    parts = []
    if v.form:
        parts.append(f'<form method="post" action="{escape(v.vote_url)}" class="pf">'
                     f'<input type="hidden" name="csrf_token" value="{escape(labels["csrf"])}">')
    else:
        parts.append('<div class="pf">')
    if v.is_answer:
        parts.append(_vote_box(v, labels))
    parts.append('<div class="main">')
    if v.accepted:
        parts.append(f'<p class="accepted-mark">✓ {escape(labels["accepted"])}</p>')
    if p.is_deleted:
        parts.append(f'<p class="deleted-mark">{escape(labels["deleted"])}</p>')
    if v.reply_to_id:
        parts.append(f'<p class="reply-to"><a href="#post-{int(v.reply_to_id)}">'
                     f'{escape(v.reply_to_label)}</a></p>')
    parts.append(f'\n<div class="body" lang="{escape(p.lang)}">{p.body_html}</div>\n'
                 f'<p class="meta">{_author(p.author, labels)} · '
                 f'<a href="{escape(v.permalink)}"><time datetime="{escape(v.iso)}">'
                 f'{escape(v.ago)}</time></a>')
    if v.revisions_url:
        parts.append(f' · <a href="{escape(v.revisions_url)}">{escape(labels["edited"])}</a>')
    if v.reply_url:
        parts.append(f' · <a href="{escape(v.reply_url)}">{escape(labels["reply"])}</a>')
    if v.can_edit:
        parts.append(f' · <a href="{escape(v.edit_url)}">{escape(labels["edit"])}</a>'
                     f' · <a href="{escape(v.delete_url)}">{escape(labels["delete"])}</a>')
    if v.can_accept:
        if v.accepted:
            parts.append(f' <button class="link acc" formaction="{escape(labels["unaccept_url"])}">'
                         f'{escape(labels["unaccept"])}</button>')
        else:
            parts.append(f' <button class="link acc" formaction="{escape(labels["accept_url"])}"'
                         f' name="answer_id" value="{int(p.id)}">'
                         f'{escape(labels["accept"])}</button>')
    parts.append("</p></div>")
    parts.append("</form>" if v.form else "</div>")
    return "".join(parts)


def _post(v: PostView, labels: dict, out: list[str]) -> None:
    p = v.post
    classes = f"post indent-{int(v.indent)}"
    if v.accepted:
        classes += " accepted"
    if p.is_deleted:
        classes += " deleted"
    out.append(f'<article class="{classes}" id="post-{int(p.id)}" data-post-id="{int(p.id)}" '
               f'data-parent-id="{int(p.parent_id) if p.parent_id else ""}">')
    if v.placeholder:
        label = labels["deleted_answer"] if v.is_answer else labels["deleted_reply"]
        out.append(f'<p class="placeholder">{escape(label)}</p>')
    else:
        out.append(_body(v, labels))
    out.append(f'<div class="replies" id="replies-{int(p.id)}">')
    for child in v.replies:
        _post(child, labels, out)
    out.append("</div></article>")


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

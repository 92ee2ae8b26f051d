"""What the Q&A pages show per row and per post, computed once in Python.

A thread of 150 posts used to call url_for, gettext, Babel's format_timedelta and the
permission checks from Jinja several times per post: about a hundred template calls per
post, most of the page's cost. Here each post gets its links, permissions and times once,
the labels every post shares are translated once per page, and the templates only print.
The HTML is the same as before (the live script and the tests rely on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for
from flask_babel import get_locale

from forum import permissions
from forum.i18n import gettext as _
from forum.models import Post, Question, utcnow
from forum.pages import ago, iso
from forum.services import attachments as files
from forum.services.threads import PostNode, Thread
from forum.web import link_parts

# The rows of question lists and ago()/iso() are shared with the group pages: forum.pages.


# -- the thread --------------------------------------------------------------------------


@dataclass(slots=True)
class PostView:
    post: Post
    replies: list[PostView] = field(default_factory=list)
    indent: int = 0
    placeholder: bool = False
    hidden: bool = False  # a placeholder for a post a moderator hid
    is_answer: bool = False
    accepted: bool = False
    my_vote: int = 0
    can_vote: bool = False
    can_accept: bool = False
    can_edit: bool = False
    can_reply: bool = False
    reply_to_id: int | None = None
    reply_to_label: str = ""
    reply_to_page: int | None = None  # the parent is on another page of the thread
    permalink: str = ""
    ago: str = ""
    iso: str = ""
    vote_url: str = ""
    revisions_url: str = ""
    reply_url: str = ""
    edit_url: str = ""
    delete_url: str = ""
    moderate_url: str = ""  # moderators of the group: hide or restore (a form page)
    moderate_label: str = ""
    files: list = field(default_factory=list)  # its attachments (forum.services.attachments)

    @property
    def form(self) -> bool:
        """Whether the post has vote or accept buttons (they submit the page's #pf form)."""
        return self.can_vote or self.can_accept


def post_labels(question: Question) -> dict:
    """The words and per-question links every post of a page shares, translated once."""
    return {
        "deleted_answer": _("deleted answer"),
        "deleted_reply": _("deleted reply"),
        "hidden_post": _("hidden by a moderator"),
        "deleted_user": _("deleted user"),
        "expert": _("verified expert"),
        "reputation": _("reputation"),
        "vote_up": _("Vote up"),
        "vote_down": _("Vote down"),
        "accepted": _("Accepted answer"),
        "deleted": _("Deleted"),
        "held": _("Waiting for a moderator's approval; nobody else sees it yet."),
        "edited": _("edited"),
        "reply": _("Reply"),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "unaccept": _("Unaccept"),
        "accept": _("Accept this answer"),
        "accept_url": url_for("qa.accept", question_id=question.id),
        "unaccept_url": url_for("qa.unaccept", question_id=question.id),
    }


def _links() -> dict[str, tuple[str, str]]:
    return {
        "question": link_parts("qa.question"),
        "vote": link_parts("qa.vote_post"),
        "revisions": link_parts("qa.revisions", "post_id"),
        "reply": link_parts("qa.post_reply"),
        "edit": link_parts("qa.edit_post"),
        "delete": link_parts("qa.delete_post"),
        "hide": link_parts("moderation.hide_post"),
        "restore": link_parts("moderation.restore_post"),
        "approve": link_parts("moderation.approve_post"),
    }


def present_post(user, node: PostNode, question: Question, now: datetime,
                 links: dict[str, tuple[str, str]] | None = None,
                 locale: str | None = None, *, moderates: bool = False) -> PostView:
    """One post of the thread as the page shows it (its replies are presented by the caller).
    `moderates`: the reader moderates the question's group (a locked thread stays open to
    them; they get the hide and restore links)."""
    links = links or _links()
    post = node.post
    is_answer = post.parent_id is None
    view = PostView(
        post=post, indent=node.indent, placeholder=node.placeholder, hidden=node.hidden,
        is_answer=is_answer, accepted=post.id == question.accepted_answer_id,
        my_vote=node.my_vote)
    if node.placeholder:
        return view
    open_thread = question.locked_at is None or moderates
    held = post.held_at is not None or question.held_at is not None  # awaiting approval
    view.can_vote = open_thread and is_answer and not held and permissions.can_vote(user, post)
    view.can_accept = (open_thread and is_answer and not post.is_deleted and not held
                       and permissions.can_accept(user, question))
    view.can_edit = open_thread and permissions.can_edit(user, post)
    view.can_reply = (open_thread and not post.is_deleted and not question.is_deleted
                      and question.closed_at is None and not held)
    if node.reply_to is not None:
        parent = node.reply_to
        view.reply_to_id = parent.id
        view.reply_to_page = node.reply_to_page
        if parent.is_deleted or parent.author is None or parent.author.is_deleted:
            view.reply_to_label = _("in reply to a deleted post")
        else:
            view.reply_to_label = _("in reply to @%(name)s", name=parent.author.username)
    pid = post.id

    def link(name: str, ident: int = pid) -> str:
        before, after = links[name]
        return f"{before}{ident}{after}"

    view.permalink = f"{link('question', question.id)}#post-{pid}"
    view.ago = ago(post.created_at, now, locale)
    view.iso = iso(post.created_at)
    if view.form:
        view.vote_url = link("vote")
    if post.edited_at:
        view.revisions_url = link("revisions")
    if view.can_reply:
        view.reply_url = link("reply")
    if view.can_edit:
        view.edit_url, view.delete_url = link("edit"), link("delete")
    if moderates and not post.is_deleted:
        if post.held_at is not None:
            name, view.moderate_label = "approve", _("Approve or reject")
        elif post.hidden_at is None:
            name, view.moderate_label = "hide", _("Hide")
        else:
            name, view.moderate_label = "restore", _("Restore")
        before, after = links[name]
        view.moderate_url = f"{before}{pid}{after}"
    return view


def thread_files(thread: Thread) -> tuple[list, dict[int, list]]:
    """The files of the question and of the posts on this page of its thread (one query):
    (the question's, {post id: the post's})."""
    ids: list[int] = []

    def collect(node: PostNode) -> None:
        ids.append(node.post.id)
        for child in node.replies:
            collect(child)

    for node in thread.answers:
        collect(node)
    return files.for_thread(thread.question.id, ids)


def present_thread(user, thread: Thread, attached: dict[int, list] | None = None
                   ) -> list[PostView]:
    """The answers of a thread, each with its nested replies, ready to print. `attached`:
    the posts' files (thread_files()), loaded here when not given."""
    now = utcnow()
    question = thread.question
    links = _links()
    locale = str(get_locale())
    if attached is None:
        attached = thread_files(thread)[1]

    def walk(node: PostNode) -> PostView:
        view = present_post(user, node, question, now, links, locale,
                            moderates=thread.moderates)
        view.files = [] if node.placeholder or node.post.is_deleted \
            else attached.get(node.post.id, [])
        view.replies = [walk(child) for child in node.replies]
        return view

    return [walk(node) for node in thread.answers]

"""Q&A pages: thin views that call forum.services.qa, votes and threads.

Every list is read in a fixed number of queries (the services' select()s carry their eager
loads); templates touch only what those loaded. Writes are POST forms with a CSRF token;
a service refusal comes back as an error next to its field, a flash, or an error page with
the service's status, never as a 500.
"""


from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from forum import permissions
from forum.errors import InvalidInput, NotFound, PermissionDenied, ServiceError
from forum.extensions import db
from forum.models import Post, Tag, utcnow
from forum.pages import (
    ConfirmForm,
    ago,
    atom_response,
    check_form,
    diff_lines,
    iso,
    list_filters,
    me,
    paginate,
    question_rows,
    show_on_form,
)
from forum.qa import bp, presenters, render
from forum.qa.forms import (
    AskForm,
    EditQuestionForm,
    PostForm,
    TagDescriptionForm,
)
from forum.services import chat, faq, feeds, inputs, qa, routing, search, votes
from forum.services.groups import visible_groups_query
from forum.services.inputs import MAX_ID
from forum.services.threads import (
    MAX_INDENT,
    PostNode,
    load_thread,
    question_list_query,
)

TAGS_PER_PAGE = 50
SIMILAR_LIMIT = 5
# Ids are 32-bit on PostgreSQL: a larger number in the address is a 404, never a 500.
QUESTION = f"/questions/<int(max={MAX_ID}):question_id>"
POST = f"/posts/<int(max={MAX_ID}):post_id>"


def refuse_or_flash(error: ServiceError) -> None:
    """403 and 404 become the error page; other refusals a flash on the next page."""
    if error.status in (403, 404):
        raise error
    if isinstance(error, InvalidInput) and error.fields:
        flash(" ".join(error.fields.values()), "error")
    else:
        flash(error.message, "error")


def _post_url(post) -> str:
    return url_for("qa.question", question_id=post.question_id, _anchor=f"post-{post.id}")


@bp.app_template_filter("ago")
def ago_filter(value) -> str:
    """'3 hours ago' in the reader's language."""
    return ago(value)


@bp.app_template_filter("iso")
def iso_filter(value) -> str:
    """ISO 8601 with its UTC offset, for <time datetime>."""
    return iso(value)


# -- lists ------------------------------------------------------------------------------


@bp.route("/questions")
def questions():
    user = me()
    filters = list_filters()
    items, pager = paginate(question_list_query(user, summaries=True, **filters))
    return render_template("qa/questions.html", questions=question_rows(items),
                           pager=pager, filters=filters)


@bp.route("/tags")
def tags():
    rows, pager = paginate(qa.tag_counts_query(me()), per_page=TAGS_PER_PAGE, rows=True)
    return render_template("qa/tags.html", rows=rows, pager=pager)


def _render_tag(tag: Tag, form=None, status: int = 200):
    user = me()
    filters = list_filters(tag=tag.name)
    items, pager = paginate(question_list_query(user, summaries=True, **filters))
    if form is None and permissions.can_edit_tags(user):
        form = TagDescriptionForm(description=tag.description)
    return render_template("qa/tag.html", tag=tag, questions=question_rows(items),
                           pager=pager,
                           filters=filters, form=form), status


@bp.route("/tags/<name>")
def tag(name):
    # A tag used only in private groups stays unknown to outsiders (a filter that matches
    # nothing, or a page past the end, is still a page, though).
    found, _count = qa.visible_tag(me(), name)
    return _render_tag(found)


@bp.route("/tags/<name>/feed")
def tag_feed(name):
    # Read as an anonymous visitor would: never a question of a private group.
    found, questions = feeds.tag_feed(name)
    return atom_response(title=f"#{found.name}",
                         page_url=url_for("qa.tag", name=found.name, _external=True),
                         questions=questions)


@bp.route("/tags/<name>/description", methods=["POST"])
@login_required
def set_tag_description(name):
    form = TagDescriptionForm()
    check_form(form)
    try:
        found = qa.set_tag_description(me(), name, form.description.data)
    except ServiceError as error:
        status, _headers = show_on_form(form, error)
        return _render_tag(qa.visible_tag(me(), name)[0], form, status)
    flash(_("The tag description is saved."), "success")
    return redirect(url_for("qa.tag", name=found.name))


# -- asking -----------------------------------------------------------------------------


def _similar(user, title) -> list:
    title = " ".join((title or "").split())[:qa.TITLE_MAX]
    if len(title) < 3:
        return []
    return list(search.similar_questions(user, title, limit=SIMILAR_LIMIT))[:SIMILAR_LIMIT]


@bp.route("/questions/ask", methods=["GET", "POST"])
@login_required
def ask():
    user = me()
    groups = db.session.scalars(visible_groups_query(user)).all()
    if request.method == "GET":
        form = AskForm(group=request.args.get("group", ""), lang=str(get_locale()),
                       invite=request.args.get("invite", ""))
    else:
        form = AskForm()
    invited = routing.invitee(form.invite.data)
    if invited is None:
        form.invite.data = ""
    form.group.choices = [("", _("Choose a group…"))] + [
        (g.slug, f"{g.name} ({g.region})" if g.region else g.name) for g in groups]
    similar, status, headers = None, 200, {}
    if request.method == "POST":
        check_form(form)
        if request.form.get("action") == "similar":
            similar = _similar(user, form.title.data)
        else:
            try:
                question = qa.ask_question(user, title=form.title.data, body=form.body.data,
                                           group=form.group.data, tags=form.tags.data,
                                           lang=form.lang.data,
                                           invite=[invited.username] if invited else None)
            except ServiceError as error:
                status, headers = show_on_form(form, error)
            else:
                flash(_("Your question is posted."), "success")
                return redirect(url_for("qa.question", question_id=question.id))
    return render_template("qa/ask.html", form=form, similar=similar,
                           invited=invited), status, headers


@bp.route("/questions/similar")
def similar():
    """An HTML fragment for the ask page's script: a list of links, or nothing."""
    found = _similar(me(), request.args.get("title"))
    if not found:
        return "", 200, {"Content-Type": "text/html; charset=utf-8"}
    return render_template("qa/_similar.html", similar=found)


# -- the thread -------------------------------------------------------------------------


def _render_question(question_id, *, form=None, status: int = 200, headers=None):
    user = me()
    thread = load_thread(user, question_id, sources=False)
    q = thread.question
    can_answer = (permissions.is_user(user) and not q.is_deleted and q.closed_at is None
                  and permissions.can_view_group(user, q.group, is_member=thread.is_member))
    if form is None and can_answer:
        form = PostForm()
    return render_template("qa/question.html", thread=thread, q=q, form=form,
                           posts_html=render.posts_html(presenters.present_thread(user, thread),
                                                        presenters.post_labels(q)),
                           can_answer=can_answer, can=permissions,
                           chat_source=chat.chat_source_of(q.id),
                           experts=routing.suggestions_for(user, q,
                                                           membership=thread.membership),
                           question=q,
                           # in_faq: no query for the many questions never promoted
                           faq_entries=faq.entries_for_question(user, q.id) if q.in_faq else [],
                           faq_can_promote=faq.can_curate_question(
                               user, q, membership=thread.membership)), status, headers or {}


@bp.route(QUESTION)
def question(question_id):
    return _render_question(question_id)


@bp.route(f"{POST}/fragment")
def post_fragment(post_id):
    """One post as the question page renders it (with an empty replies container)."""
    user = me()
    post = qa.get_post(user, post_id)
    q = qa.get_question(user, post.question_id)
    node = PostNode(post=post, indent=min(post.depth, MAX_INDENT))
    if post.depth > MAX_INDENT and post.parent_id:
        node.reply_to = db.session.get(Post, post.parent_id)
    _mine_q, mine = votes.my_votes(user, question_id=q.id, post_ids=[post.id])
    node.my_vote = mine.get(post.id, 0)
    view = presenters.present_post(user, node, q, utcnow())
    return render.post_html(view, presenters.post_labels(q))


@bp.route(f"{QUESTION}/answer", methods=["POST"])
@login_required
def post_answer(question_id):
    form = PostForm()
    check_form(form)
    try:
        post = qa.post_answer(me(), question_id, form.body.data)
    except ServiceError as error:
        status, headers = show_on_form(form, error)
        return _render_question(question_id, form=form, status=status, headers=headers)
    flash(_("Your answer is posted."), "success")
    return redirect(_post_url(post))


@bp.route(f"{POST}/reply", methods=["GET", "POST"])
@login_required
def post_reply(post_id):
    user = me()
    parent = qa.get_post(user, post_id)
    if parent.is_deleted:
        raise NotFound(_("The post you reply to does not exist or was deleted."))
    form = PostForm()
    form.body.label.text = _("Your reply")
    status, headers = 200, {}
    if request.method == "POST":
        check_form(form)
        try:
            post = qa.post_reply(user, post_id, form.body.data)
        except ServiceError as error:
            status, headers = show_on_form(form, error)
        else:
            flash(_("Your reply is posted."), "success")
            return redirect(_post_url(post))
    return render_template("qa/reply.html", parent=parent, q=parent.question,
                           form=form), status, headers


# -- editing and deleting ---------------------------------------------------------------


@bp.route(f"{QUESTION}/edit", methods=["GET", "POST"])
@login_required
def edit_question(question_id):
    user = me()
    item = qa.get_question(user, question_id)
    if not permissions.can_edit(user, item):
        raise PermissionDenied(_("You can only edit your own posts."))
    form = EditQuestionForm(title=item.title, body=item.body_source,
                            tags=" ".join(t.name for t in item.tags))
    status, headers = 200, {}
    if request.method == "POST":
        check_form(form)
        try:
            qa.edit_question(user, question_id, title=form.title.data, body=form.body.data,
                             tags=form.tags.data)
        except ServiceError as error:
            status, headers = show_on_form(form, error)
        else:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("qa.question", question_id=question_id))
    return render_template("qa/edit.html", form=form, q=item, post=None), status, headers


@bp.route(f"{POST}/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id):
    user = me()
    item = qa.get_post(user, post_id)
    if not permissions.can_edit(user, item):
        raise PermissionDenied(_("You can only edit your own posts."))
    form = PostForm(body=item.body_source)
    form.body.label.text = _("Answer") if item.is_answer else _("Reply")
    status, headers = 200, {}
    if request.method == "POST":
        check_form(form)
        try:
            qa.edit_post(user, post_id, form.body.data)
        except ServiceError as error:
            status, headers = show_on_form(form, error)
        else:
            flash(_("Your changes are saved."), "success")
            return redirect(_post_url(item))
    return render_template("qa/edit.html", form=form, q=item.question, post=item), status, headers


@bp.route(f"{QUESTION}/delete", methods=["GET", "POST"])
@login_required
def delete_question(question_id):
    user = me()
    item = qa.get_question(user, question_id)
    if not permissions.can_delete(user, item):
        raise PermissionDenied(_("You can only delete your own posts."))
    form = ConfirmForm()
    if request.method == "POST":
        check_form(form)
        qa.delete_question(user, question_id)
        flash(_("The question is deleted."), "success")
        return redirect(url_for("qa.questions"))
    return render_template("qa/delete.html", form=form, q=item, post=None)


@bp.route(f"{POST}/delete", methods=["GET", "POST"])
@login_required
def delete_post(post_id):
    user = me()
    item = qa.get_post(user, post_id)
    if not permissions.can_delete(user, item):
        raise PermissionDenied(_("You can only delete your own posts."))
    form = ConfirmForm()
    if request.method == "POST":
        check_form(form)
        qa.delete_post(user, post_id)
        flash(_("The answer is deleted.") if item.is_answer else _("The reply is deleted."),
              "success")
        return redirect(_post_url(item))
    return render_template("qa/delete.html", form=form, q=item.question, post=item)


# -- votes and the accepted answer ------------------------------------------------------


def _vote_value():
    raw = request.form.get("value", "")
    try:
        return int(raw)
    except ValueError:
        return raw  # the service refuses it with a 422 message


@bp.route(f"{QUESTION}/vote", methods=["POST"])
@login_required
def vote_question(question_id):
    check_form(ConfirmForm())
    try:
        votes.vote_question(me(), question_id, _vote_value())
    except ServiceError as error:
        refuse_or_flash(error)
    return redirect(url_for("qa.question", question_id=question_id, _anchor="question"))


@bp.route(f"{POST}/vote", methods=["POST"])
@login_required
def vote_post(post_id):
    check_form(ConfirmForm())
    user = me()
    post = qa.get_post(user, post_id)
    target = _post_url(post)
    try:
        votes.vote_post(user, post_id, _vote_value())
    except ServiceError as error:
        refuse_or_flash(error)
    return redirect(target)


@bp.route(f"{QUESTION}/accept", methods=["POST"])
@login_required
def accept(question_id):
    check_form(ConfirmForm())
    # Not an id (None): refused by the service as "not an answer of this question".
    answer_id = inputs.as_id(request.form.get("answer_id"))
    try:
        qa.accept_answer(me(), question_id, answer_id)
    except ServiceError as error:
        refuse_or_flash(error)
        answer_id = None
    anchor = f"post-{answer_id}" if answer_id else "answers"
    return redirect(url_for("qa.question", question_id=question_id, _anchor=anchor))


@bp.route(f"{QUESTION}/unaccept", methods=["POST"])
@login_required
def unaccept(question_id):
    check_form(ConfirmForm())
    try:
        qa.unaccept_answer(me(), question_id)
    except ServiceError as error:
        refuse_or_flash(error)
    return redirect(url_for("qa.question", question_id=question_id, _anchor="answers"))


# -- revisions --------------------------------------------------------------------------


def _revision_entries(revisions) -> list[dict]:
    entries = []
    previous = None
    for rev in revisions:
        entry = {"rev": rev, "body": None, "title": None, "tags": None}
        if previous is None:
            entry["source"] = rev.body_source
        else:
            if rev.body_source != previous.body_source:
                entry["body"] = diff_lines(previous.body_source, rev.body_source)
            if rev.title is not None and rev.title != previous.title:
                entry["title"] = (previous.title or "", rev.title)
            if rev.tags is not None and rev.tags != previous.tags:
                entry["tags"] = (" ".join(previous.tags or []), " ".join(rev.tags))
        entries.append(entry)
        previous = rev
    return entries


@bp.route(f"{QUESTION}/revisions")
@bp.route(f"{POST}/revisions")
def revisions(question_id=None, post_id=None):
    user = me()
    item, found = qa.revisions_of(user, question_id=question_id, post_id=post_id)
    q = item if question_id is not None else item.question
    return render_template("qa/revisions.html", item=item, q=q, is_question=post_id is None,
                           entries=list(reversed(_revision_entries(found))))

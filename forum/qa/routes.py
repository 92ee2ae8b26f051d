"""Q&A pages: thin views that call forum.services.qa, votes and threads.

Every list is read in a fixed number of queries (the services' select()s carry their eager
loads); templates touch only what those loaded. Writes are POST forms with a CSRF token;
a service refusal comes back as an error next to its field, a flash, or an error page with
the service's status, never as a 500.
"""


from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from forum import permissions
from forum.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServiceError,
    json_error,
)
from forum.extensions import db
from forum.models import Post, Tag, utcnow
from forum.pages import (
    PER_PAGE,
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
from forum.services import attachments as files
from forum.services import chat, faq, feeds, inputs, qa, routing, search, votes
from forum.services.groups import visible_groups_query
from forum.services.inputs import MAX_ID
from forum.services.threads import (
    MAX_INDENT,
    POSTS_PER_PAGE,
    PostNode,
    load_thread,
    question_list_query,
)
from forum.web import save_data

TAGS_PER_PAGE = 50
MAX_FORM_FILES = 5  # files in one post form (forum.attachments raises the body limit)
SAVE_DATA_PER_PAGE = 10  # `Save-Data: on`: half a list, half the bytes


def _list_length() -> int:
    """Rows per question list (?per_page= still wins)."""
    return SAVE_DATA_PER_PAGE if save_data() else PER_PAGE
SIMILAR_LIMIT = 5
# Ids are 32-bit on PostgreSQL: a larger number in the address is a 404, never a 500.
QUESTION = f"/questions/<int(max={MAX_ID}):question_id>"
POST = f"/posts/<int(max={MAX_ID}):post_id>"


def flash_posted(item, message: str) -> None:
    """Tell the author their question or post is published, or held for approval."""
    if item.held_at is None:
        flash(message, "success")
    else:
        flash(_("It waits for a moderator's approval: this group checks the first posts of "
                "people new to it. Nobody else sees it until then."), "info")


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
    items, pager = paginate(question_list_query(user, summaries=True, **filters),
                            per_page=_list_length())
    return render_template("qa/questions.html", questions=question_rows(items),
                           pager=pager, filters=filters)


@bp.route("/tags")
def tags():
    rows, pager = paginate(qa.tag_counts_query(me()), per_page=TAGS_PER_PAGE, rows=True)
    return render_template("qa/tags.html", rows=rows, pager=pager)


def _render_tag(tag: Tag, form=None, status: int = 200):
    user = me()
    filters = list_filters(tag=tag.name)
    items, pager = paginate(question_list_query(user, summaries=True, **filters),
                            per_page=_list_length())
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
                ids = _form_files(user, form)
                question = qa.ask_question(user, title=form.title.data, body=form.body.data,
                                           group=form.group.data, tags=form.tags.data,
                                           lang=form.lang.data, attachments=ids,
                                           invite=[invited.username] if invited else None)
            except ServiceError as error:
                status, headers = show_on_form(form, error)
            else:
                flash_posted(question, _("Your question is posted."))
                return redirect(url_for("qa.question", question_id=question.id))
    return render_template("qa/ask.html", form=form, similar=similar, invited=invited,
                           pending=_pending(user, form)), status, headers


def _form_files(user, form) -> list[int]:
    """Store the files a form carries (each checked by the service) and give the ids to
    attach, with those an earlier try of the same form uploaded (kept in form.attachments,
    so a refused post does not lose them)."""
    errors: dict = {}
    ids = files.clean_ids([v for v in (form.attachments.data or "").split(",") if v],
                          errors)[:MAX_FORM_FILES]
    sent = [f for f in request.files.getlist(form.files.name) if f and f.filename]
    if len(ids) + len(sent) > MAX_FORM_FILES:
        raise InvalidInput(fields={"files": _("At most %(n)d files per post.",
                                              n=MAX_FORM_FILES)})
    for upload in sent:
        try:
            stored = files.store_upload(user, upload.filename,
                                        upload.read(files.setting("ATTACH_MAX_BYTES") + 1),
                                        declared_type=upload.mimetype)
        except ServiceError as error:
            raise type(error)(error.message, fields={
                "files": f"{upload.filename[:100]}: {error.message}"}) from None
        ids.append(stored.id)
        form.attachments.data = ",".join(map(str, ids))
    return ids


def _pending(user, form) -> list:
    """The uploads of an earlier try of this form (still the writer's, still pending)."""
    errors: dict = {}
    ids = files.clean_ids([v for v in (form.attachments.data or "").split(",") if v],
                          errors)[:MAX_FORM_FILES]
    return files.pending_of(user, ids)


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
    thread = load_thread(user, question_id, sources=False, page=request.args.get("page"),
                         post_id=request.args.get("post"), per_page=POSTS_PER_PAGE)
    q = thread.question
    can_answer = (permissions.is_user(user) and not q.is_deleted and q.closed_at is None
                  and permissions.can_view_group(user, q.group, is_member=thread.is_member))
    if form is None and can_answer:
        form = PostForm()
    question_files, post_files = presenters.thread_files(thread)
    return render_template("qa/question.html", thread=thread, q=q, form=form,
                           posts_html=render.posts_html(
                               presenters.present_thread(user, thread, post_files),
                               presenters.post_labels(q)),
                           can_answer=can_answer, can=permissions,
                           question_files_html=render.files_html(
                               question_files,
                               remove=bool(question_files) and files.may_remove(
                                   user, question_files[0])),
                           pending=_pending(user, form) if form is not None else [],
                           answer_pager=_answer_pager(thread),
                           chat_source=chat.chat_source_of(q.id),
                           experts=routing.suggestions_for(user, q,
                                                           membership=thread.membership),
                           question=q,
                           # in_faq: no query for the many questions never promoted
                           faq_entries=faq.entries_for_question(user, q.id) if q.in_faq else [],
                           faq_can_promote=faq.can_curate_question(
                               user, q, membership=thread.membership)), status, headers or {}


def _answer_pager(thread) -> dict | None:
    """The previous and next pages of a long thread's answers (None: one page)."""
    if thread.pages <= 1:
        return None

    def link(page: int) -> str:
        return url_for("qa.question", question_id=thread.question.id,
                       page=page if page > 1 else None, _anchor="answers-title")

    return {"page": thread.page, "pages": thread.pages,
            "prev": link(thread.page - 1) if thread.page > 1 else None,
            "next": link(thread.page + 1) if thread.page < thread.pages else None}


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
    if not post.is_deleted:
        view.files = files.for_posts([post.id])[post.id]
    return render.post_html(view, presenters.post_labels(q))


@bp.route(f"{QUESTION}/answer", methods=["POST"])
@login_required
def post_answer(question_id):
    form = PostForm()
    check_form(form)
    try:
        post = qa.post_answer(me(), question_id, form.body.data,
                              attachments=_form_files(me(), form))
    except ServiceError as error:
        status, headers = show_on_form(form, error)
        return _render_question(question_id, form=form, status=status, headers=headers)
    flash_posted(post, _("Your answer is posted."))
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
            post = qa.post_reply(user, post_id, form.body.data,
                                 attachments=_form_files(user, form))
        except ServiceError as error:
            if _inline():
                return _refusal(error)
            status, headers = show_on_form(form, error)
        else:
            if _inline() and post.held_at is None:  # the page's script shows it in place
                return jsonify(id=post.id, parent_id=post.parent_id,
                               message=_("Your reply is posted."))
            flash_posted(post, _("Your reply is posted."))
            if _inline():  # held for approval: the script goes to the page with the flash
                return jsonify(id=post.id, parent_id=post.parent_id, location=_post_url(post))
            return redirect(_post_url(post))
    return render_template("qa/reply.html", parent=parent, q=parent.question,
                           form=form, pending=_pending(user, form)), status, headers


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


def _inline() -> bool:
    """Whether the page's script sent this vote or accept (it asks for JSON and updates the
    page in place); a form without JavaScript gets the redirect as always."""
    return request.accept_mimetypes.best == "application/json"


def _refusal(error: ServiceError):
    """A refused inline vote or accept: the API's JSON error shape, with its status."""
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else None
    message = " ".join(error.fields.values()) if isinstance(error, InvalidInput) \
        and error.fields else error.message
    return json_error(error.status, error.code, message, error.fields, headers)


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
        score, mine = votes.vote_question(me(), question_id, _vote_value())
    except ServiceError as error:
        if _inline():
            return _refusal(error)
        refuse_or_flash(error)
    else:
        if _inline():
            return jsonify(score=score, my_vote=mine)
    return redirect(url_for("qa.question", question_id=question_id, _anchor="question"))


@bp.route(f"{POST}/vote", methods=["POST"])
@login_required
def vote_post(post_id):
    check_form(ConfirmForm())
    user = me()
    try:
        post = qa.get_post(user, post_id)
        score, mine = votes.vote_post(user, post_id, _vote_value())
    except ServiceError as error:
        if _inline():
            return _refusal(error)
        refuse_or_flash(error)  # raises 403 and 404 (no such post): `post` is known below
    else:
        if _inline():
            return jsonify(score=score, my_vote=mine)
    return redirect(_post_url(post))


@bp.route(f"{QUESTION}/accept", methods=["POST"])
@login_required
def accept(question_id):
    check_form(ConfirmForm())
    # Not an id (None): refused by the service as "not an answer of this question".
    answer_id = inputs.as_id(request.form.get("answer_id"))
    try:
        question = qa.accept_answer(me(), question_id, answer_id)
    except ServiceError as error:
        if _inline():
            return _refusal(error)
        refuse_or_flash(error)
        answer_id = None
    else:
        if _inline():
            return jsonify(accepted_answer_id=question.accepted_answer_id)
    anchor = f"post-{answer_id}" if answer_id else "answers"
    return redirect(url_for("qa.question", question_id=question_id, _anchor=anchor))


@bp.route(f"{QUESTION}/unaccept", methods=["POST"])
@login_required
def unaccept(question_id):
    check_form(ConfirmForm())
    try:
        qa.unaccept_answer(me(), question_id)
    except ServiceError as error:
        if _inline():
            return _refusal(error)
        refuse_or_flash(error)
    else:
        if _inline():
            return jsonify(accepted_answer_id=None)
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

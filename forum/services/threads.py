"""Read paths of Q&A: question lists and whole threads, each in a fixed number of queries."""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload, selectinload

from forum import permissions
from forum.errors import InvalidInput, NotFound
from forum.extensions import db
from forum.models import LANGUAGES, Group, GroupMembership, Post, Question, QuestionTag, Tag
from forum.models.user import author_columns
from forum.services.inputs import as_id, clean_tag_name
from forum.services.votes import my_votes

STATUSES = ("open", "answered", "unanswered", "closed")
SORTS = ("newest", "active", "votes")
MAX_INDENT = 4  # replies deeper than this are shown flat, "in reply to @name"
# Posts (answers and replies) on one page of a thread: a long thread is cut into pages of
# this many, in the order the thread is read, so a page stays small (the 60 KB budget)
# whatever the thread's length.
POSTS_PER_PAGE = 30


def question_list_query(user, *, group: str | None = None, tag: str | None = None,
                        status: str | None = None, sort: str | None = None,
                        lang: str | None = None, summaries: bool = False):
    """A select() of the questions `user` may see, filtered and sorted.

    Raises NotFound for a group the user may not see, InvalidInput for bad filters. The
    rows come with author, group and tags loaded (a fixed number of queries per page).
    `summaries` leaves the bodies unloaded (list pages show titles; reading a body then
    raises rather than quietly costing a query per row).
    """
    errors = {}
    if status not in (None, "", *STATUSES):
        errors["status"] = _("Choose open, answered, unanswered or closed.")
    if sort not in (None, "", *SORTS):
        errors["sort"] = _("Choose newest, active or votes.")
    if lang not in (None, "", *LANGUAGES):
        errors["lang"] = _("Choose English (en) or French (fr).")
    tag_name = None
    if tag:
        tag_name = clean_tag_name(tag)
        if tag_name is None:
            errors["tag"] = _("Not a valid tag.")
    if errors:
        raise InvalidInput(fields=errors)
    stmt = select(Question).where(permissions.visible_question_clause(user))
    if group:
        group_obj = db.session.scalar(select(Group).where(Group.slug == group))
        if group_obj is None or not permissions.can_view_group(user, group_obj):
            raise NotFound(_("No such group."))
        stmt = stmt.where(Question.group_id == group_obj.id)
    if tag_name:
        stmt = stmt.where(Question.id.in_(
            select(QuestionTag.question_id).join(Tag, Tag.id == QuestionTag.tag_id)
            .where(Tag.name == tag_name)))
    if lang:
        stmt = stmt.where(Question.lang == lang)
    if status == "open":
        stmt = stmt.where(Question.accepted_answer_id.is_(None), Question.closed_at.is_(None))
    elif status == "answered":
        stmt = stmt.where(Question.accepted_answer_id.is_not(None))
    elif status == "unanswered":
        stmt = stmt.where(Question.answer_count == 0, Question.closed_at.is_(None))
    elif status == "closed":
        stmt = stmt.where(Question.closed_at.is_not(None))
    if sort == "votes":
        stmt = stmt.order_by(Question.score.desc(), Question.id.desc())
    elif sort == "active":
        stmt = stmt.order_by(Question.last_activity_at.desc(), Question.id.desc())
    else:
        stmt = stmt.order_by(Question.created_at.desc(), Question.id.desc())
    stmt = stmt.options(joinedload(Question.author).load_only(*author_columns()),
                        joinedload(Question.group), selectinload(Question.tags))
    if summaries:
        stmt = stmt.options(*(defer(column, raiseload=True) for column in (
            Question.body_source, Question.body_html, Question.body_text)))
    return stmt


@dataclass
class PostNode:
    """A post in a thread with its visible replies; `indent` is capped at MAX_INDENT."""

    post: Post
    replies: list["PostNode"] = field(default_factory=list)
    indent: int = 0
    reply_to: Post | None = None  # shown as "in reply to @name" when flattened
    reply_to_page: int | None = None  # the page of `reply_to`, when it is on another page
    my_vote: int = 0
    placeholder: bool = False  # a deleted post kept for its replies' context
    hidden: bool = False  # hidden by a moderator: a placeholder for this reader


@dataclass
class Thread:
    question: Question
    answers: list[PostNode]
    my_question_vote: int
    is_member: bool
    post_count: int
    # The reader's membership of the question's group (None: not a member, or anonymous),
    # for the page's other permission checks without another query.
    membership: GroupMembership | None = None
    # Whether the reader moderates the question's group (hide, lock, close, move).
    moderates: bool = False
    # Long threads come in pages of POSTS_PER_PAGE posts: this page (from 1) and how many.
    page: int = 1
    pages: int = 1


def _read_order(roots: list[PostNode]) -> list[tuple[PostNode, PostNode | None]]:
    """Every node of the thread as it is read (each answer, then its replies, depth first),
    each with its parent node (None for answers)."""
    order: list[tuple[PostNode, PostNode | None]] = []

    def visit(node: PostNode, parent: PostNode | None) -> None:
        order.append((node, parent))
        for child in node.replies:
            visit(child, node)

    for root in roots:
        visit(root, None)
    return order


def _page_of(roots: list[PostNode], page, post_id, per_page: int
             ) -> tuple[list[PostNode], int, int]:
    """The answers and replies of one page of a thread, its number and the page count.

    The page is the one holding post `post_id` when given (a link to a post), else `page`
    (clamped). A reply whose parent is on an earlier page opens its page flat, "in reply to
    @name" with a link to the parent's page. Replies keep their nesting within a page."""
    order = _read_order(roots)
    pages = max(1, -(-len(order) // per_page))
    index = {node.post.id: n for n, (node, _parent) in enumerate(order)}
    if post_id is not None and post_id in index:
        number = index[post_id] // per_page + 1
    else:
        number = min(max(1, page or 1), pages)
    if pages == 1:
        return roots, 1, 1
    chunk = order[(number - 1) * per_page:number * per_page]
    on_page = {id(node) for node, _parent in chunk}
    page_roots: list[PostNode] = []
    for node, parent in chunk:
        node.replies = [child for child in node.replies if id(child) in on_page]
        if parent is None or id(parent) not in on_page:
            if parent is not None and node.reply_to is None:
                node.reply_to = parent.post
            if parent is not None:
                node.reply_to_page = index[parent.post.id] // per_page + 1
            page_roots.append(node)
    return page_roots, number, pages


def _hidden_copy(post: Post) -> Post:
    """A detached stand-in for a hidden post: its place in the thread, nothing it said."""
    copy = Post(id=post.id, question_id=post.question_id, parent_id=post.parent_id,
                author_id=None, author=None, depth=post.depth, body_html="", lang=post.lang,
                score=post.score, created_at=post.created_at, edited_at=None, deleted_at=None,
                hidden_at=post.hidden_at, hidden_reason="")
    return copy  # transient: never added to the session, nothing of it is ever written


def load_thread(user, question_id, *, sources: bool = True, page=None, post_id=None,
                per_page: int | None = None) -> Thread:
    """A question with its answers and nested replies, in a fixed number of queries.

    Accepted answer first, then by score, then oldest; replies oldest first. Deleted posts
    vanish unless they have visible replies, in which case they stay as placeholders
    (moderators see them as they were, marked deleted). Raises NotFound. Without `sources`
    the posts come without their Markdown source and plain text (pages print the HTML;
    reading those then raises instead of costing a query per post).
    """
    question_id = as_id(question_id)
    if question_id is None:
        raise NotFound(_("No such question."))
    question = db.session.scalar(select(Question).where(Question.id == question_id).options(
        joinedload(Question.author), joinedload(Question.group), selectinload(Question.tags)))
    membership = None
    if question is not None and permissions.is_user(user):
        membership = db.session.scalar(select(GroupMembership).where(
            GroupMembership.group_id == question.group_id,
            GroupMembership.user_id == user.id))
    member = membership is not None
    if question is None or (question.is_deleted and not permissions.is_moderator(user)) or \
            not permissions.can_view_group(user, question.group, is_member=member):
        raise NotFound(_("No such question."))
    moderates = permissions.moderates_question(user, question, membership)
    if question.hidden_at is not None and not (moderates
                                               or permissions.is_author(user, question)):
        raise NotFound(_("No such question."))
    posts = db.session.scalars(
        select(Post).where(Post.question_id == question.id)
        .options(joinedload(Post.author).load_only(*author_columns()),
                 *(() if sources else (defer(Post.body_source, raiseload=True),
                                       defer(Post.body_text, raiseload=True))))
        .order_by(Post.created_at, Post.id)).all()
    my_q, my_p = my_votes(user, question_id=question.id, post_ids=[p.id for p in posts])
    is_moderator = permissions.is_moderator(user)
    nodes = {p.id: PostNode(post=p, my_vote=my_p.get(p.id, 0)) for p in posts}
    roots: list[PostNode] = []
    for post in posts:
        node = nodes[post.id]
        parent = nodes.get(post.parent_id) if post.parent_id else None
        if post.parent_id is None:
            roots.append(node)
        elif parent is not None:
            parent.replies.append(node)

    reader_id = user.id if permissions.is_user(user) else None

    def prune(node: PostNode) -> bool:
        node.replies = [child for child in node.replies if prune(child)]
        if node.post.is_deleted and not is_moderator:
            if not node.replies:
                return False
            node.placeholder = True
        elif (node.post.held_at is not None and not moderates
              and node.post.author_id != reader_id and not node.replies):
            return False  # awaiting approval: nobody else knows of it yet
        elif (node.post.hidden_at is not None and not moderates
              and node.post.author_id != reader_id):
            # Hidden by a moderator: readers see that something was hidden, not what (the
            # API prints node.post too: it gets a stand-in without text or author).
            node.placeholder = node.hidden = True
            node.post = _hidden_copy(node.post)
        return True

    roots = [node for node in roots if prune(node)]

    def place(node: PostNode, depth: int, parent: PostNode | None) -> list[PostNode]:
        node.indent = min(depth, MAX_INDENT)
        if depth > MAX_INDENT and parent is not None:
            node.reply_to = parent.post
        flat_children: list[PostNode] = []
        for child in node.replies:
            placed = place(child, depth + 1, node)
            flat_children.extend(placed)
        if depth >= MAX_INDENT:
            # At the deepest indent, children are listed after their parent, flat.
            node.replies = []
            return [node, *flat_children]
        node.replies = flat_children
        return [node]

    for root in roots:
        place(root, 0, None)
    accepted = question.accepted_answer_id
    roots.sort(key=lambda n: (n.post.id != accepted, -n.post.score, n.post.created_at))
    number, pages = 1, 1
    if per_page:
        roots, number, pages = _page_of(roots, as_id(page), as_id(post_id), per_page)
    return Thread(question=question, answers=roots, my_question_vote=my_q, is_member=member,
                  post_count=len(posts), membership=membership, moderates=moderates,
                  page=number, pages=pages)

"""Plain predicates: who may see and do what. Services call these; templates only mirror them."""

from sqlalchemy import or_, select, true

from forum.extensions import db
from forum.models import Group, GroupMembership, Post, Question


def is_user(user) -> bool:
    """True for a signed-in, live account (not anonymous, not deleted)."""
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and not user.is_deleted)


def is_moderator(user) -> bool:
    """Site moderators and admins (group moderators come in a later issue)."""
    return is_user(user) and user.has_role("moderator")


def is_admin(user) -> bool:
    return is_user(user) and user.role == "admin"


def member_group_ids(user):
    """A subquery of the ids of the groups `user` belongs to."""
    return select(GroupMembership.group_id).where(GroupMembership.user_id == user.id)


def visible_group_clause(user):
    """SQL condition on Group: public, or private with `user` a member."""
    if not is_user(user):
        return Group.private.is_(False)
    if is_admin(user):
        return true()
    return or_(Group.private.is_(False), Group.id.in_(member_group_ids(user)))


def hidden_group_ids(user):
    """A subquery of the private groups `user` is not in (every private group if anonymous)."""
    stmt = select(Group.id).where(Group.private.is_(True))
    if is_user(user):
        stmt = stmt.where(Group.id.not_in(member_group_ids(user)))
    return stmt


def moderated_group_ids(user):
    """A subquery of the ids of the groups `user` moderates as a group moderator."""
    return select(GroupMembership.group_id).where(GroupMembership.user_id == user.id,
                                                  GroupMembership.role == "moderator")


def visible_question_clause(user):
    """SQL condition on Question: not deleted, in a group `user` may read, and not hidden
    by a moderator unless `user` wrote it or moderates it (site moderators and admins see
    hidden questions of the groups they read; group moderators those of their groups).

    Written as NOT IN (the few hidden groups) rather than IN (the visible ones), so that
    databases can walk the list's date index instead of sorting every question.
    """
    if is_admin(user):
        return Question.deleted_at.is_(None)
    clause = Question.deleted_at.is_(None) & Question.group_id.not_in(hidden_group_ids(user))
    if not is_user(user):
        return clause & Question.hidden_at.is_(None)
    if is_moderator(user):
        return clause
    return clause & or_(Question.hidden_at.is_(None), Question.author_id == user.id,
                        Question.group_id.in_(moderated_group_ids(user)))


def can_view_group(user, group: Group, *, is_member: bool | None = None) -> bool:
    """Public groups: everyone; private groups: members and admins."""
    if not group.private:
        return True
    if not is_user(user):
        return False
    if is_admin(user) or is_member:
        return True
    if is_member is None:
        is_member = db.session.scalar(
            select(GroupMembership.id).where(GroupMembership.group_id == group.id,
                                             GroupMembership.user_id == user.id)) is not None
    return is_member


def can_view_question(user, question: Question) -> bool:
    """Readers of its group; a deleted question: site moderators and admins; a hidden one:
    its author and those who moderate its group."""
    if question.is_deleted and not is_moderator(user):
        return False
    if not can_view_group(user, question.group):
        return False
    if question.hidden_at is not None:
        return is_author(user, question) or moderates_question(user, question)
    return True


def _membership(user, group_id: int) -> GroupMembership | None:
    return db.session.scalar(select(GroupMembership).where(
        GroupMembership.group_id == group_id, GroupMembership.user_id == user.id))


def moderates_question(user, question: Question,
                       membership: GroupMembership | None | bool = False) -> bool:
    """Whether `user` moderates the question's group (hides, locks, closes, moves it; writes
    in a locked thread). `membership`: the user's membership of the group when the caller
    read it (None: not a member); by default it is read here, only when it matters."""
    if not is_user(user):
        return False
    if membership is False:
        membership = None if is_admin(user) else _membership(user, question.group_id)
    return can_moderate_group(user, question.group, membership)


def moderates_group_id(user, group_id: int | None) -> bool:
    """Whether `user` moderates the group with this id; None (direct chat rooms, profiles):
    site moderators and admins only."""
    if not is_user(user):
        return False
    if group_id is None:
        return is_moderator(user)
    group = db.session.get(Group, group_id)
    if group is None:
        return False
    membership = None if is_admin(user) else _membership(user, group_id)
    return can_moderate_group(user, group, membership)


def can_suspend(user) -> bool:
    """Site moderators and admins suspend and ban members (group moderators do not)."""
    return is_moderator(user)


def can_post_in(user, group: Group) -> bool:
    """Members of the site may post in public groups; private groups need membership."""
    return is_user(user) and can_view_group(user, group)


def is_author(user, item: Question | Post) -> bool:
    return is_user(user) and item.author_id == user.id


def can_edit(user, item: Question | Post) -> bool:
    """Authors and moderators edit; nobody edits a deleted post."""
    if item.is_deleted:
        return False
    return is_author(user, item) or is_moderator(user)


def can_delete(user, item: Question | Post) -> bool:
    return can_edit(user, item)


def can_accept(user, question: Question) -> bool:
    """The asker or a moderator marks the accepted answer."""
    return is_author(user, question) or is_moderator(user)


def can_vote(user, item: Question | Post) -> bool:
    """Questions and answers only, never your own, never deleted."""
    if not is_user(user) or item.is_deleted:
        return False
    if isinstance(item, Post) and not item.is_answer:
        return False
    return item.author_id != user.id


def can_manage_groups(user) -> bool:
    return is_admin(user)


def can_edit_tags(user) -> bool:
    return is_moderator(user)


def can_moderate_group(user, group: Group, membership: GroupMembership | None = None) -> bool:
    """Who moderates a group's members, join requests and description: admins, site
    moderators for the groups they can see, and the group's own moderators (`membership`:
    the user's membership of this group, or None when they have none)."""
    if not is_user(user):
        return False
    if is_admin(user):
        return True
    if membership is not None and (membership.group_id != group.id
                                   or membership.user_id != user.id):
        membership = None
    if is_moderator(user):
        return can_view_group(user, group, is_member=membership is not None)
    return membership is not None and membership.role == "moderator"


def can_curate_faq(user, group: Group, membership: GroupMembership | None = None) -> bool:
    """Who promotes threads of a group into the FAQ and reviews, edits, pins, obsoletes or
    withdraws its entries: admins, site moderators (for the groups they can see) and the
    group's own moderators (`membership`: the user's membership of this group, or None).
    Members and verified experts do not."""
    return can_moderate_group(user, group, membership)


def can_appoint_group_moderators(user, group: Group, *, is_member: bool | None = None) -> bool:
    """Admins, and site moderators for the groups they can see."""
    return is_moderator(user) and can_view_group(user, group, is_member=is_member)


def can_verify_experts(user) -> bool:
    """Site moderators and admins grant and remove the verified-expert badge."""
    return is_moderator(user)


def can_route_by_hand(user, question: Question,
                      membership: GroupMembership | None = None) -> bool:
    """Who routes a question to anyone who can read it (not only to its suggested people):
    those who moderate its group (can_moderate_group), while it is not deleted."""
    return not question.is_deleted and can_moderate_group(user, question.group, membership)


def can_ask_experts(user, question: Question,
                    membership: GroupMembership | None = None) -> bool:
    """Who asks people to answer a question: its asker (the suggested people) and those who
    route it by hand."""
    if not is_user(user) or question.is_deleted:
        return False
    return is_author(user, question) or can_route_by_hand(user, question, membership)

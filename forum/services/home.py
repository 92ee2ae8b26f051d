"""The home page: a place to start, in a fixed number of queries.

Visitors see recent and unanswered questions and the regional groups; members see first what
is new in what they follow (groups, tags, people, at levels other than muted) and the
unanswered questions of their groups. Everything goes through the same visibility rule as
the question lists, so a private group's questions show only to its members.
"""

from dataclasses import dataclass, field

from sqlalchemy import or_, select

from forum import permissions
from forum.extensions import db
from forum.models import Follow, Group, GroupMembership, Question, QuestionTag
from forum.services.groups import visible_groups_query
from forum.services.routing import Routed, routed_to
from forum.services.threads import question_list_query

RECENT = 8
UNANSWERED = 6
FOLLOWED = 10
GROUPS = 12
ROUTED = 5


@dataclass
class Home:
    recent: list[Question] = field(default_factory=list)
    unanswered: list[Question] = field(default_factory=list)
    followed: list[Question] = field(default_factory=list)
    in_my_groups: bool = False  # `unanswered` is limited to the member's groups
    groups: list[Group] = field(default_factory=list)
    follows_anything: bool = False
    routed: list[Routed] = field(default_factory=list)  # open questions asked of the member


def home_for(user) -> Home:
    """What the home page shows to `user` (None or anonymous: a visitor)."""
    home = Home()
    home.recent = db.session.scalars(
        question_list_query(user, summaries=True).limit(RECENT)).unique().all()
    unanswered = question_list_query(user, status="unanswered", summaries=True)
    if permissions.is_user(user):
        mine = select(GroupMembership.group_id).where(GroupMembership.user_id == user.id)
        unanswered = unanswered.where(Question.group_id.in_(mine),
                                      or_(Question.author_id.is_(None),
                                          Question.author_id != user.id))
        home.in_my_groups = True
        home.followed, home.follows_anything = _followed(user)
        home.routed = routed_to(user, ROUTED)
    home.unanswered = db.session.scalars(unanswered.limit(UNANSWERED)).unique().all()
    home.groups = db.session.scalars(
        visible_groups_query(user).order_by(None)
        .order_by(Group.member_count.desc(), Group.name).limit(GROUPS)).all()
    return home


def _followed(user) -> tuple[list[Question], bool]:
    """The newest questions in the groups, tags and people `user` follows (not muted), not
    their own; and whether they follow anything of these kinds at all."""
    follows = db.session.execute(
        select(Follow.target_type, Follow.target_id)
        .where(Follow.user_id == user.id, Follow.level != "muted",
               Follow.target_type.in_(("group", "tag", "user")))).all()
    if not follows:
        return [], False
    ids = {"group": [], "tag": [], "user": []}
    for target_type, target_id in follows:
        ids[target_type].append(target_id)
    conditions = []
    if ids["group"]:
        conditions.append(Question.group_id.in_(ids["group"]))
    if ids["tag"]:
        conditions.append(Question.id.in_(select(QuestionTag.question_id)
                                          .where(QuestionTag.tag_id.in_(ids["tag"]))))
    if ids["user"]:
        conditions.append(Question.author_id.in_(ids["user"]))
    stmt = (question_list_query(user, summaries=True)
            .where(or_(*conditions), or_(Question.author_id.is_(None),
                                         Question.author_id != user.id))
            .limit(FOLLOWED))
    return db.session.scalars(stmt).unique().all(), True

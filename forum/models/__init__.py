"""All models, imported here so Alembic and create_all() see every table."""

from forum.models.base import UTCDateTime, utcnow
from forum.models.chat import ChatMessage, ChatMessageRevision, ChatRoom, ChatRoomMember
from forum.models.groups import Group, GroupMembership
from forum.models.qa import (
    LANGUAGES,
    Post,
    PostVote,
    Question,
    QuestionTag,
    QuestionVote,
    Revision,
    Tag,
)
from forum.models.user import ROLES, ApiToken, LoginSession, PasswordReset, User

__all__ = [
    "LANGUAGES",
    "ROLES",
    "ApiToken",
    "ChatMessage",
    "ChatMessageRevision",
    "ChatRoom",
    "ChatRoomMember",
    "Group",
    "GroupMembership",
    "LoginSession",
    "PasswordReset",
    "Post",
    "PostVote",
    "Question",
    "QuestionTag",
    "QuestionVote",
    "Revision",
    "Tag",
    "User",
    "UTCDateTime",
    "utcnow",
]

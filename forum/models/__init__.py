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
from forum.models.user import (
    EMAIL_LINK_PURPOSES,
    ROLES,
    ApiToken,
    EmailLink,
    LoginSession,
    PasswordReset,
    PendingRegistration,
    User,
)

__all__ = [
    "LANGUAGES",
    "ROLES",
    "ApiToken",
    "ChatMessage",
    "ChatMessageRevision",
    "ChatRoom",
    "ChatRoomMember",
    "EMAIL_LINK_PURPOSES",
    "EmailLink",
    "Group",
    "GroupMembership",
    "LoginSession",
    "PasswordReset",
    "PendingRegistration",
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

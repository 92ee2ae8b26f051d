"""Readers of question pages over /live who lose access: out of the rooms they may no longer
read, on every process, right after the commit that took the access away.

A removal from a private group (or leaving it) and a role change call end_lost_access();
they leave the person's other pages alone. Ending a login (logout, a password change or
reset, account deletion) disconnects the session's or the user's sockets instead
(forum.realtime.registry.end_sockets): the socket's credential is dead.
"""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from forum import permissions
from forum.extensions import db
from forum.models import Question, User
from forum.realtime import registry, user_channel


def end_lost_access(user_id: int) -> int:
    """Take a user's signed-in /live sockets, wherever they are, out of the rooms of the
    questions the user may no longer read (call after the commit); returns how many rooms
    were left."""
    watching = registry.live_watching(user_channel(user_id))
    watched = set().union(*watching.values())
    if not watched:
        return 0
    user = db.session.get(User, user_id)
    questions = db.session.scalars(select(Question).where(Question.id.in_(watched))
                                   .options(selectinload(Question.group)))
    readable = {q.id for q in questions if permissions.can_view_question(user, q)}
    left = 0
    for sid, question_ids in sorted(watching.items()):
        lost = question_ids - readable
        registry.leave_questions(sid, lost)
        left += len(lost)
    return left

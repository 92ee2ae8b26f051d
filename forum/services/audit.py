"""The audit log: every moderator and admin action, written in the same unit of work as the
action itself (rolled back with it), never changed afterwards. And the flags an action
settles.

record() is the only writer of AuditEntry; nothing updates or deletes its rows (the
accounts of deleted actors keep their id there, shown as "deleted user").
"""

from sqlalchemy import update

from forum.extensions import db
from forum.models import AuditEntry, Flag, User, utcnow

REASON_MAX = 1000


def record(actor: User | None, action: str, target_type: str, target_id: int | None, *,
           group_id: int | None = None, reason: str = "", before: dict | None = None,
           after: dict | None = None) -> AuditEntry:
    """Add one audit entry for `actor`'s `action` on a target (inside the caller's write).
    `before`/`after`: the changed values, for edits and state changes (JSON-able)."""
    entry = AuditEntry(actor_id=actor.id if actor is not None else None, action=action,
                       target_type=target_type, target_id=target_id, group_id=group_id,
                       reason=(reason or "")[:REASON_MAX], before=before, after=after,
                       created_at=utcnow())
    db.session.add(entry)
    return entry


def resolve_flags(actor: User, target_type: str, target_id: int, resolution: str) -> int:
    """Mark the open flags on one item resolved by `actor` with `resolution` ("hidden",
    "dismissed", "closed", "locked", "suspended", ...); returns how many."""
    result = db.session.execute(
        update(Flag).where(Flag.target_type == target_type, Flag.target_id == target_id,
                           Flag.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=actor.id, resolution=resolution[:20]))
    return result.rowcount or 0

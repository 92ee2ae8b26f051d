"""a chat room for every group: groups now get theirs when they are created

Before this, group rooms were created on first use, which made the chat page write on a GET.
This gives the groups that existed before their room, so pages only read.

Revision ID: 9c2b7d4e1a30
Revises: 1b4f56c6fda1
Create Date: 2026-11-27 00:45:00.000000

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '9c2b7d4e1a30'
down_revision = '1b4f56c6fda1'
branch_labels = None
depends_on = None


def upgrade():
    groups = sa.table("groups", sa.column("id", sa.Integer))
    rooms = sa.table("chat_rooms", sa.column("kind", sa.String), sa.column("group_id", sa.Integer),
                     sa.column("created_at", sa.DateTime(timezone=True)))
    bind = op.get_bind()
    have = sa.select(rooms.c.group_id).where(rooms.c.group_id.is_not(None))
    missing = [row[0] for row in bind.execute(
        sa.select(groups.c.id).where(groups.c.id.not_in(have)))]
    now = datetime.now(timezone.utc)
    if missing:
        bind.execute(rooms.insert(), [{"kind": "group", "group_id": gid, "created_at": now}
                                      for gid in missing])


def downgrade():
    pass  # the rooms stay: they hold the groups' messages

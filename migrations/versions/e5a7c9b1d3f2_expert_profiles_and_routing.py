"""expert profiles and routing: job titles, the verified-expert badge's note, directory and
routing switches, expertise from the tag vocabulary, languages by code, question routes

The `expert` site role is folded into the verified-expert badge: those accounts become
members with the badge. users.languages and users.expertise (free-text JSON lists) move to
user_languages (codes of the vocabulary in forum/models/experts.py, copied below as it is
on this date) and user_expertise (tags); items that match no language or no tag are
dropped, the first ten of each kept.

Revision ID: e5a7c9b1d3f2
Revises: d4e8f1a2b6c3
Create Date: 2026-12-03 15:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e5a7c9b1d3f2'
down_revision = 'd4e8f1a2b6c3'
branch_labels = None
depends_on = None

KEEP = 10
# code -> (English name, French name), as in forum/models/experts.py on 2026-12-03.
LANGUAGES = {
    "en": ("English", "anglais"), "fr": ("French", "français"), "ar": ("Arabic", "arabe"),
    "pt": ("Portuguese", "portugais"), "es": ("Spanish", "espagnol"),
    "sw": ("Swahili", "swahili"), "am": ("Amharic", "amharique"), "om": ("Oromo", "oromo"),
    "ti": ("Tigrinya", "tigrigna"), "so": ("Somali", "somali"), "lg": ("Luganda", "luganda"),
    "rw": ("Kinyarwanda", "kinyarwanda"), "rn": ("Kirundi", "kirundi"),
    "luo": ("Dholuo", "dholuo"), "ki": ("Kikuyu", "kikuyu"), "wo": ("Wolof", "wolof"),
    "ff": ("Fula", "peul"), "bm": ("Bambara", "bambara"), "mos": ("Mooré", "mooré"),
    "ha": ("Hausa", "haoussa"), "yo": ("Yoruba", "yoruba"), "ig": ("Igbo", "igbo"),
    "ak": ("Akan (Twi)", "akan (twi)"), "ee": ("Ewe", "éwé"), "dyu": ("Dioula", "dioula"),
    "sus": ("Susu", "soussou"), "ln": ("Lingala", "lingala"), "hi": ("Hindi", "hindi"),
    "bn": ("Bengali", "bengali"), "ur": ("Urdu", "ourdou"), "ne": ("Nepali", "népalais"),
    "ta": ("Tamil", "tamoul"), "te": ("Telugu", "télougou"), "mr": ("Marathi", "marathi"),
    "si": ("Sinhala", "cingalais"), "ps": ("Pashto", "pachto"),
    "id": ("Indonesian", "indonésien"), "ms": ("Malay", "malais"),
    "tl": ("Filipino (Tagalog)", "filipino (tagalog)"), "vi": ("Vietnamese", "vietnamien"),
    "th": ("Thai", "thaï"), "km": ("Khmer", "khmer"), "lo": ("Lao", "lao"),
    "my": ("Burmese", "birman"), "zh": ("Chinese", "chinois"),
}

users = sa.table("users", sa.column("id", sa.Integer), sa.column("role", sa.String),
                 sa.column("verified_expert", sa.Boolean), sa.column("languages", sa.JSON),
                 sa.column("expertise", sa.JSON))
tags = sa.table("tags", sa.column("id", sa.Integer), sa.column("name", sa.String))


def _language_code(item) -> str | None:
    key = str(item).strip().lower()
    if key in LANGUAGES:
        return key
    for code, names in LANGUAGES.items():
        if key in (names[0].lower(), names[1].lower()):
            return code
    return None


def upgrade():
    op.create_table('user_expertise',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_user_expertise_tag_id_tags'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_user_expertise_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'tag_id', name=op.f('pk_user_expertise'))
    )
    with op.batch_alter_table('user_expertise', schema=None) as batch_op:
        batch_op.create_index('ix_user_expertise_tag', ['tag_id', 'user_id'], unique=False)

    op.create_table('user_languages',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_user_languages_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'code', name=op.f('pk_user_languages'))
    )
    with op.batch_alter_table('user_languages', schema=None) as batch_op:
        batch_op.create_index('ix_user_languages_code', ['code', 'user_id'], unique=False)

    op.create_table('question_routes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('why', sa.JSON(), nullable=False),
    sa.Column('suggested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('suggested', 'asked')",
                       name=op.f('ck_question_routes_state_valid')),
    sa.ForeignKeyConstraint(['asked_by_id'], ['users.id'],
                            name=op.f('fk_question_routes_asked_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'],
                            name=op.f('fk_question_routes_question_id_questions'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_question_routes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_routes'))
    )
    with op.batch_alter_table('question_routes', schema=None) as batch_op:
        batch_op.create_index('ix_question_routes_user_asked', ['user_id', 'asked_at'],
                              unique=False)
        batch_op.create_index('uq_question_routes_question_user', ['question_id', 'user_id'],
                              unique=True)

    # The data: the expert role becomes the badge; the JSON lists become rows.
    bind = op.get_bind()
    bind.execute(users.update().where(users.c.role == "expert")
                 .values(role="member", verified_expert=True))
    tag_ids = {name.lower(): ident for ident, name in bind.execute(
        sa.select(tags.c.id, tags.c.name))}
    expertise_rows, language_rows = [], []
    for user_id, languages, expertise in bind.execute(
            sa.select(users.c.id, users.c.languages, users.c.expertise)):
        codes = []
        for item in languages or []:
            code = _language_code(item)
            if code and code not in codes:
                codes.append(code)
        language_rows.extend({"user_id": user_id, "code": code, "position": n}
                             for n, code in enumerate(codes[:KEEP]))
        chosen = []
        for item in expertise or []:
            ident = tag_ids.get(str(item).strip().lower())
            if ident is not None and ident not in chosen:
                chosen.append(ident)
        expertise_rows.extend({"user_id": user_id, "tag_id": ident} for ident in chosen[:KEEP])
    if language_rows:
        op.bulk_insert(sa.table("user_languages", sa.column("user_id", sa.Integer),
                                sa.column("code", sa.String), sa.column("position", sa.Integer)),
                       language_rows)
    if expertise_rows:
        op.bulk_insert(sa.table("user_expertise", sa.column("user_id", sa.Integer),
                                sa.column("tag_id", sa.Integer)), expertise_rows)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.String(length=120), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('verified_note', sa.String(length=500), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('verified_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('directory_hidden', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('routing_paused', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_users_verified_by_id_users'), 'users',
                                    ['verified_by_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_column('languages')
        batch_op.drop_column('expertise')
        batch_op.drop_constraint(op.f('ck_users_role_valid'), type_='check')
        batch_op.create_check_constraint('role_valid', "role IN ('member', 'moderator', 'admin')")


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role_valid'), type_='check')
        batch_op.create_check_constraint(
            'role_valid', "role IN ('member', 'expert', 'moderator', 'admin')")
        batch_op.add_column(sa.Column('expertise', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('languages', sa.JSON(), nullable=True))
        batch_op.drop_constraint(batch_op.f('fk_users_verified_by_id_users'), type_='foreignkey')
        batch_op.drop_column('routing_paused')
        batch_op.drop_column('directory_hidden')
        batch_op.drop_column('verified_at')
        batch_op.drop_column('verified_by_id')
        batch_op.drop_column('verified_note')
        batch_op.drop_column('title')
    bind = op.get_bind()
    languages, expertise = {}, {}
    for user_id, code in bind.execute(sa.text(
            "SELECT user_id, code FROM user_languages ORDER BY user_id, position")):
        languages.setdefault(user_id, []).append(code)
    for user_id, name in bind.execute(sa.text(
            "SELECT e.user_id, t.name FROM user_expertise e JOIN tags t ON t.id = e.tag_id"
            " ORDER BY e.user_id, t.name")):
        expertise.setdefault(user_id, []).append(name)
    for user_id, in bind.execute(sa.select(users.c.id)):
        bind.execute(users.update().where(users.c.id == user_id).values(
            languages=languages.get(user_id, []), expertise=expertise.get(user_id, [])))
    op.drop_table('question_routes')
    op.drop_table('user_languages')
    op.drop_table('user_expertise')

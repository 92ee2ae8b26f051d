"""How long a daily digest run takes for 1,000 members who follow 10 things each.

Builds a SQLite forum in a temporary folder (rows inserted directly, in bulk: 20 public
groups, 60 tags, 1,000 confirmed members each following 4 groups, 4 tags and 2 people, and
QUESTIONS questions asked in the last day), then runs the digest service once, mail written
to the outbox, and prints the time, the number of SQL statements and what was sent. The aim
(issue 11): at most 20 s on a 2-core machine, and no statement per item per member.

    .venv/bin/python bench/digests.py [MEMBERS] [QUESTIONS]
"""

import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert  # noqa: E402

from config import TestConfig  # noqa: E402
from forum import create_app  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.models import (  # noqa: E402
    Follow,
    Group,
    GroupMembership,
    Question,
    QuestionTag,
    Tag,
    User,
    UserExpertise,
)
from forum.models.base import utcnow  # noqa: E402
from forum.services.digests import send_digests  # noqa: E402
from forum.services.uow import unit_of_work  # noqa: E402


def build(members: int, questions: int) -> None:
    rng = random.Random(11)
    now = utcnow()
    db.session.execute(insert(User), [
        {"id": n, "username": f"member{n}", "username_key": f"member{n}",
         "email": f"member{n}@example.org", "email_key": f"member{n}@example.org",
         "password_hash": "x", "display_name": f"Member {n}", "locale": "fr" if n % 3 else "en",
         "email_confirmed_at": now, "created_at": now}
        for n in range(1, members + 1)])
    db.session.execute(insert(Group), [
        {"id": g, "slug": f"group-{g}", "name": f"Group {g}", "name_fr": f"Groupe {g}",
         "region": "Region", "created_at": now} for g in range(1, 21)])
    db.session.execute(insert(Tag), [{"id": t, "name": f"tag-{t}"} for t in range(1, 61)])
    # One member in seven has an area of expertise (tag-1): unanswered questions there.
    db.session.execute(insert(UserExpertise), [
        {"user_id": n, "tag_id": 1} for n in range(7, members + 1, 7)])
    db.session.execute(insert(GroupMembership), [
        {"group_id": g, "user_id": n, "created_at": now}
        for n in range(1, members + 1) for g in rng.sample(range(1, 21), 4)])
    follows = []
    for n in range(1, members + 1):
        follows += [{"user_id": n, "target_type": "group", "target_id": g, "level": "all"}
                    for g in rng.sample(range(1, 21), 4)]
        follows += [{"user_id": n, "target_type": "tag", "target_id": t, "level": "all"}
                    for t in rng.sample(range(1, 61), 4)]
        follows += [{"user_id": n, "target_type": "user", "target_id": u, "level": "all"}
                    for u in rng.sample([u for u in range(1, members + 1) if u != n], 2)]
    db.session.execute(insert(Follow), follows)
    db.session.execute(insert(Question), [
        {"id": q, "group_id": rng.randint(1, 20), "author_id": rng.randint(1, members),
         "title": f"Question {q} about stock and counselling", "body_source": "b",
         "body_html": "<p>b</p>", "body_text": "b", "markup_version": 3,
         "answer_count": q % 2, "created_at": now - timedelta(hours=rng.randint(1, 23)),
         "updated_at": now, "last_activity_at": now} for q in range(1, questions + 1)])
    db.session.execute(insert(QuestionTag), [
        {"question_id": q, "tag_id": t} for q in range(1, questions + 1)
        for t in rng.sample(range(1, 61), 2)])


def main(members: int, questions: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="tacit-digests-"))
    app = create_app(TestConfig, database_url=f"sqlite:///{folder / 'forum.db'}",
                     OUTBOX_DIR=str(folder / "outbox"), INSTANCE_DIR=str(folder))
    with app.app_context():
        db.create_all()
        with unit_of_work():
            build(members, questions)
        statements = []
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *args: statements.append(statement))
        started = time.perf_counter()
        report = send_digests("daily")
        seconds = time.perf_counter() - started
    mails = list((folder / "outbox").glob("*.eml"))
    kinds: dict[str, int] = {}
    for statement in statements:
        head = " ".join(statement.split()[:3])
        kinds[head] = kinds.get(head, 0) + 1
    print(f"daily digests: {members} members following 10 things each, {questions} new "
          f"questions")
    print(f"  {seconds:.2f} s, {len(statements)} SQL statements "
          f"({len(statements) / max(1, report.sent):.2f} per digest sent)")
    print(f"  sent {report.sent}, nothing new {report.empty}, mails in the outbox {len(mails)}")
    print("  statements by kind:", ", ".join(f"{k!r} x{v}" for k, v in
                                           sorted(kinds.items(), key=lambda kv: -kv[1])[:6]))
    print(f"  aim: at most 20 s -> {'met' if seconds <= 20 else 'MISSED'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000,
         int(sys.argv[2]) if len(sys.argv) > 2 else 300)

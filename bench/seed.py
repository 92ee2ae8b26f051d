"""Build a large benchmark forum once, into bench/data/ (reused while its marker matches).

    .venv/bin/python bench/seed.py                 # the large database (BENCH_QUESTIONS,
                                                   # BENCH_POSTS) and the small one
    BENCH_QUESTIONS=2000 BENCH_POSTS=20000 .venv/bin/python bench/seed.py

The schema is the real one (`flask db upgrade`, in-process). Rows go in with executemany
through SQLAlchemy Core, bypassing the services (which commit once per post and would take
hours), but with what the services would have written: Markdown rendered by
forum.markup.render_markdown, a first revision per question and post, votes behind every
score, reputation matching the votes, and the counters (answer_count, score, group and tag
question_count, member_count) consistent. The search index is rebuilt at the end with
forum.services.search.rebuild_index().

Bodies are made of 1 to 3 Markdown blocks drawn from a pool of a few thousand generated
and rendered blocks (English and French, family-planning vocabulary): rendering 200,000
bodies one by one costs more than a minute, and a block renders the same alone or among
others, so the stored HTML is exactly what render_markdown gives for the whole body.

One "hot" question (the newest) has 50 answers and 100 replies, nested up to 5 deep.
A database is built into a temporary file and renamed when complete; a JSON marker beside
it records its sizes, the seed version and the migrations it was built with.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import sys
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import bindparam, text

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
SEED_VERSION = 3

# Settings read when the forum's config is imported: never the checkout's instance/.
os.environ.setdefault("FORUM_INSTANCE_PATH", str(DATA / "instance"))
os.environ.setdefault("FORUM_SECRET_KEY", "bench-only-secret-key-not-for-production")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The forum after the environment above (config reads FORUM_INSTANCE_PATH when imported).
from config import Config  # noqa: E402
from forum import create_app  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.markup import MARKUP_VERSION, render_markdown  # noqa: E402
from forum.services import search  # noqa: E402
from forum.services.accounts import hash_password  # noqa: E402
from forum.services.reputation import expected_reputation  # noqa: E402

DEFAULT_QUESTIONS = 20_000
DEFAULT_POSTS = 200_000
DEFAULT_SMALL_POSTS = 2_000
HOT_ANSWERS, HOT_REPLIES = 50, 100
USERS = 400
BLOCK_POOL = 3_000  # rendered Markdown blocks per language
BATCH = 5_000

# -- generated text -----------------------------------------------------------------------

EN = {
    "place": ["rural dispensary", "district hospital", "health centre", "CHPS compound",
              "Puskesmas", "commune health station", "mobile outreach site", "urban clinic",
              "maternity ward", "youth corner", "pharmacy", "county store"],
    "topic": ["implant stock-outs", "DMPA-SC self-injection", "postpartum IUD uptake",
              "youth-friendly services", "side-effect counselling", "method mix",
              "last-mile distribution", "HMIS data quality", "task sharing",
              "emergency contraception access", "SMS client follow-up",
              "implant removal", "male involvement", "reinjection reminders",
              "adolescent counselling", "bleeding changes", "supportive supervision",
              "commodity forecasting", "bin card accuracy", "cold-chain-free products"],
    "people": ["community health workers", "midwives", "nurses", "adolescent clients",
               "postpartum women", "pharmacy staff", "VHTs", "district pharmacists",
               "peer educators", "new trainees"],
    "action": ["monthly stock reviews", "teach-back with every client",
               "a minimum stock level", "Saturday youth clinics", "group talks at ANC",
               "a reminder calendar", "supervised practice on models",
               "a one-page job aid", "phone reporting of stock",
               "removal days with a visiting provider"],
    "result": ["stock-outs fell by half", "continuation improved", "uptake doubled",
               "reporting errors dropped", "clients came back on time",
               "nothing changed until supervision started", "providers felt confident",
               "waiting times went down"],
}
FR = {
    "place": ["poste de santé", "CSPS", "CSCom", "district sanitaire", "maternité",
              "espace jeunes", "pharmacie", "dépôt répartiteur", "stratégie avancée"],
    "topic": ["ruptures d'implants", "auto-injection du DMPA-SC", "DIU du post-partum",
              "services adaptés aux jeunes", "counseling sur les effets secondaires",
              "gamme de méthodes", "logistique du dernier kilomètre",
              "qualité des données SNIS", "délégation des tâches",
              "contraception d'urgence", "relance des clientes par SMS",
              "retrait des implants", "implication des hommes", "saignements irréguliers",
              "supervision formative", "calcul de la CMM"],
    "people": ["relais communautaires", "sages-femmes", "infirmiers", "adolescentes",
               "accoucheuses auxiliaires", "vendeurs en officine", "pairs éducateurs",
               "gestionnaires de données"],
    "action": ["une revue mensuelle des stocks", "la méthode teach-back",
               "un stock de sécurité", "des séances le samedi", "des causeries en CPN",
               "un calendrier de réinjection", "la pratique sur mannequin",
               "une fiche aide-mémoire", "la supervision formative"],
    "result": ["les ruptures ont diminué de moitié", "la continuité s'est améliorée",
               "l'adhésion a doublé", "les erreurs de rapport ont baissé",
               "les clientes reviennent à temps", "les prestataires sont plus à l'aise"],
}
SENTENCES = {
    "en": [
        "In our {place}, {topic} is the main problem for {people}.",
        "We tried {action} for {topic}, and {result}.",
        "How do you organise {topic} when {people} are few?",
        "After six months of {action}, {result}.",
        "The {place} reports {topic} almost every quarter.",
        "Ask {people} first: they know why {topic} happens.",
        "Budget for {action}; without it {topic} comes back.",
        "Has anyone measured {topic} at a {place}?",
    ],
    "fr": [
        "Dans notre {place}, {topic} reste le principal problème des {people}.",
        "Nous avons essayé {action} pour {topic}, et {result}.",
        "Comment organisez-vous {topic} quand les {people} sont peu nombreux ?",
        "Après six mois, {action} a donné des résultats : {result}.",
        "Le {place} signale {topic} presque chaque trimestre.",
        "Demandez d'abord aux {people} : ils savent pourquoi.",
    ],
}
TITLES = {
    "en": ["How do you handle {topic} at a {place}?", "{topic}: what worked for {people}?",
           "Lessons from {action} on {topic}", "Is {action} worth it for {topic}?",
           "{topic} in a {place}: forecasting and follow-up"],
    "fr": ["Comment gérez-vous {topic} au {place} ?", "{topic} : quelle expérience avec les "
           "{people} ?", "Leçons de {action} pour {topic}", "{topic} : que faire au {place} ?"],
}
TAGS = ["implants", "stock-outs", "supply-chain", "forecasting", "dmpa-sc", "self-injection",
        "community-health-workers", "training", "youth-friendly-services", "adolescents",
        "ppfp", "iud", "counselling", "postpartum", "side-effects", "continuation",
        "hmis", "data-quality", "dhis2", "registers", "male-involvement",
        "emergency-contraception", "pharmacies", "sms", "client-follow-up", "privacy",
        "task-sharing", "policy", "implant-removal", "access", "method-mix",
        "last-mile", "logistique", "ruptures-de-stock", "formation", "relais-communautaires",
        "auto-injection", "counseling", "qualité-des-données", "snis", "jeunes",
        "délégation-des-tâches", "diu", "sages-femmes", "supervision", "competency",
        "injectables", "sterilisation", "school-health", "pills", "lmis", "anc", "cpn",
        "dernier-kilomètre", "effets-secondaires", "implication-des-hommes", "chps",
        "asha", "incentives", "drones"]
GROUPS = [("east-africa", "East Africa", "East Africa"),
          ("west-africa", "West Africa", "West Africa"),
          ("south-asia", "South Asia", "Asia"),
          ("southeast-asia", "Southeast Asia", "Asia")]


def _fill(template: str, vocab: dict, rng: random.Random) -> str:
    return template.format(**{k: rng.choice(v) for k, v in vocab.items()})


def _sentence(lang: str, rng: random.Random) -> str:
    text = _fill(rng.choice(SENTENCES[lang]), EN if lang == "en" else FR, rng)
    return text[0].upper() + text[1:]


def _block_source(lang: str, rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.25:
        return "\n".join(f"- {_sentence(lang, rng)}" for _ in range(rng.randint(2, 4)))
    sentences = [_sentence(lang, rng) for _ in range(rng.randint(2, 4))]
    if kind < 0.55:
        word = rng.choice((EN if lang == "en" else FR)["topic"])
        tail = "matters most." if lang == "en" else "compte le plus."
        sentences.append(f"**{word[0].upper() + word[1:]}** {tail}")
    return " ".join(sentences)


def _title(lang: str, rng: random.Random) -> str:
    text = _fill(rng.choice(TITLES[lang]), EN if lang == "en" else FR, rng)
    return (text[0].upper() + text[1:])[:200]


def render_pool(rng: random.Random, size: int) -> dict[str, list[tuple[str, str, str]]]:
    """(source, html, text) of `size` rendered blocks per language."""
    pool: dict[str, list] = {}
    for lang in ("en", "fr"):
        blocks = []
        for _ in range(size):
            source = _block_source(lang, rng)
            rendered = render_markdown(source)
            blocks.append((source, rendered.html, rendered.text))
        pool[lang] = blocks
    return pool


def compose(pool, lang: str, rng: random.Random, low: int = 1, high: int = 3):
    """A body of `low`..`high` blocks: (source, html, text)."""
    picked = [rng.choice(pool[lang]) for _ in range(rng.randint(low, high))]
    return ("\n\n".join(b[0] for b in picked), "\n".join(b[1] for b in picked),
            " ".join(b[2] for b in picked))


# -- database files and markers ------------------------------------------------------------


def migrations_fingerprint() -> str:
    names = sorted(p.name for p in (ROOT / "migrations" / "versions").glob("*.py"))
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


def database_path(questions: int, posts: int) -> Path:
    return DATA / f"forum-{questions}q-{posts}p.db"


def marker_path(db_path: Path) -> Path:
    return db_path.with_suffix(".json")


def read_marker(db_path: Path) -> dict | None:
    try:
        marker = json.loads(marker_path(db_path).read_text())
    except (OSError, ValueError):
        return None
    if not db_path.exists():
        return None
    if (marker.get("seed_version"), marker.get("migrations")) != (
            SEED_VERSION, migrations_fingerprint()):
        return None
    return marker


def sizes_from_env() -> tuple[int, int, int]:
    """(questions, posts, small posts) from BENCH_QUESTIONS, BENCH_POSTS, BENCH_SMALL_POSTS."""
    questions = int(os.environ.get("BENCH_QUESTIONS", DEFAULT_QUESTIONS))
    posts = int(os.environ.get("BENCH_POSTS", DEFAULT_POSTS))
    small = int(os.environ.get("BENCH_SMALL_POSTS", DEFAULT_SMALL_POSTS))
    return questions, posts, small


def small_questions(questions: int, posts: int, small_posts: int) -> int:
    """Questions of the small variant: the same posts per question as the large one."""
    return max(10, round(small_posts * questions / posts))


def ensure(questions: int, posts: int, *, log=print) -> dict:
    """The marker of a database of this size, building it first when missing or stale."""
    if posts < HOT_ANSWERS + HOT_REPLIES or questions < 2:
        raise SystemExit(f"need at least 2 questions and {HOT_ANSWERS + HOT_REPLIES} posts")
    path = database_path(questions, posts)
    marker = read_marker(path)
    if marker is not None:
        log(f"reusing {path.relative_to(ROOT)} ({questions} questions, {posts} posts)")
        return marker
    DATA.mkdir(parents=True, exist_ok=True)
    log(f"building {path.relative_to(ROOT)} ({questions} questions, {posts} posts)...")
    marker = build(path, questions, posts, log=log)
    marker_path(path).write_text(json.dumps(marker, indent=2) + "\n")
    return marker


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


# -- building -------------------------------------------------------------------------------


def build(path: Path, questions: int, posts: int, *, log=print) -> dict:
    """Create the database at `path` (via a temporary file); returns its marker."""
    timings: dict[str, float] = {}
    tmp = path.with_name(path.name + ".tmp")
    _remove_db(tmp)
    _remove_db(path)
    marker_path(path).unlink(missing_ok=True)
    config = Config()
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp}"
    config.STARTUP_CHECKS = False  # the schema is made below (upgrade)
    app = create_app(config)
    started = time.perf_counter()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        timings["migrate"] = time.perf_counter() - started
        mark = time.perf_counter()
        rows = generate(questions, posts, random.Random(f"tacit-bench-{questions}-{posts}"))
        timings["generate"] = time.perf_counter() - mark
        mark = time.perf_counter()
        insert(db, rows)
        timings["insert"] = time.perf_counter() - mark
        mark = time.perf_counter()
        searchable = rebuild_search(db, log)
        timings["search_index"] = time.perf_counter() - mark
        verify(db, rows["hot_question_id"])
        db.session.remove()
        db.engine.dispose()
    # Outside SQLAlchemy: the app's engines open every transaction with BEGIN IMMEDIATE,
    # and a checkpoint cannot run inside a transaction.
    with closing(sqlite3.connect(tmp)) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _remove_db(path)
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(tmp) + suffix)
        if source.exists():
            source.rename(str(path) + suffix)
    timings["total"] = time.perf_counter() - started
    log("  " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    return {
        "seed_version": SEED_VERSION,
        "migrations": migrations_fingerprint(),
        "questions": questions,
        "posts": posts,
        "hot_question_id": rows["hot_question_id"],
        "search": searchable,
        "search_query": "implant stock-outs",
        "bytes": path.stat().st_size,
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def generate(n_questions: int, n_posts: int, rng: random.Random) -> dict:
    """Every row, as lists of dicts keyed by column name, with consistent counters."""
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=730)
    # The pool and the hot thread come from fixed seeds: the same text and the same thread
    # shape in every database size, so the scaling comparison compares like with like.
    pool = render_pool(random.Random("tacit-bench-pool"), BLOCK_POOL)
    hot_rng = random.Random("tacit-bench-hot")
    hot_id = n_questions
    password = hash_password("bench-password-1")

    users = []
    for i in range(1, USERS + 1):
        name = f"member{i:04d}"
        users.append({"id": i, "username": name, "username_key": name,
                      "email": f"{name}@bench.example", "email_key": f"{name}@bench.example",
                      "password_hash": password, "display_name": f"Bench Member {i}",
                      "role": "member", "locale": "fr" if i % 3 == 0 else "en",
                      "reputation": 0, "created_at": start - timedelta(days=30)})
    groups = [{"id": i, "slug": slug, "name": name, "region": region,
               "description_source": "", "description_html": "", "markup_version": MARKUP_VERSION,
               "private": False, "member_count": 0, "question_count": 0,
               "created_at": start - timedelta(days=60)}
              for i, (slug, name, region) in enumerate(GROUPS, 1)]
    memberships = []
    for user in users:
        group = groups[user["id"] % len(groups)]
        memberships.append({"group_id": group["id"], "user_id": user["id"],
                            "role": "member", "created_at": user["created_at"]})
        group["member_count"] += 1
    tags = [{"id": i, "name": name, "description": "", "question_count": 0}
            for i, name in enumerate(TAGS, 1)]
    tag_weights = [1 / (rank + 1) for rank in range(len(tags))]  # a few tags dominate

    # Questions, oldest first; the last one is the hot question, asked two days ago.
    span = (now - timedelta(days=3) - start).total_seconds()
    question_rows, question_tags, revisions = [], [], []
    for qid in range(1, n_questions + 1):
        r = hot_rng if qid == hot_id else rng
        lang = "fr" if r.random() < 0.3 else "en"
        if qid == hot_id:
            created = now - timedelta(days=2)
        else:
            created = start + timedelta(seconds=span * (qid - 1 + rng.random()) / n_questions)
        source, html, text = compose(pool, lang, r, 1, 3)
        group = groups[r.randrange(len(groups))]
        group["question_count"] += 1
        chosen, wanted = [], r.randint(1, 4)
        while len(chosen) < wanted:
            tag = r.choices(tags, weights=tag_weights)[0]
            if tag not in chosen:
                chosen.append(tag)
        for tag in chosen:
            tag["question_count"] += 1
            question_tags.append({"question_id": qid, "tag_id": tag["id"]})
        author = r.randint(1, USERS)
        title = _title(lang, r)
        question_rows.append({
            "id": qid, "group_id": group["id"], "author_id": author, "title": title,
            "body_source": source, "body_html": html, "body_text": text,
            "markup_version": MARKUP_VERSION,
            "lang": lang, "score": 0, "answer_count": 0, "accepted_answer_id": None,
            "in_faq": False, "created_at": created, "updated_at": created,
            "last_activity_at": created})
        revisions.append({"question_id": qid, "post_id": None, "number": 1,
                          "editor_id": author, "title": title,
                          "tags": sorted(t["name"] for t in chosen), "body_source": source,
                          "created_at": created})

    # Posts per question: the hot one gets 150, the others share the rest (1 in 8 none).
    rest = n_posts - HOT_ANSWERS - HOT_REPLIES
    others = list(range(1, n_questions))
    answered = [q for q in others if rng.random() >= 0.125] or others
    counts = dict.fromkeys(others, 0)
    if answered:
        for qid in answered:  # at least one answer each, as far as the posts go
            if rest <= 0:
                break
            counts[qid] += 1
            rest -= 1
        for qid in rng.choices(answered, k=max(0, rest)):
            counts[qid] += 1
    counts[hot_id] = HOT_ANSWERS + HOT_REPLIES

    pending = []  # (created, temp key, question id, parent temp key, depth, is_answer)
    for qid, count in counts.items():
        if not count:
            continue
        q = question_rows[qid - 1]
        r = hot_rng if qid == hot_id else rng
        if qid == hot_id:
            kinds = [True] * HOT_ANSWERS + [False] * HOT_REPLIES
            r.shuffle(kinds)
            kinds.remove(True)
            kinds.insert(0, True)  # an answer comes first
            window = (now - q["created_at"]).total_seconds() * 0.98
        else:
            kinds = [True] + [rng.random() < 0.5 for _ in range(count - 1)]
            window = min((now - q["created_at"]).total_seconds(), 45 * 86400) * 0.98
        offsets = sorted(r.random() * window for _ in kinds)
        placed = []  # (temp key, depth) of this question's posts so far
        for is_answer, offset in zip(kinds, offsets, strict=True):
            key = len(pending)
            if is_answer or not placed:
                parent, depth = None, 0
            else:
                candidates = [p for p in placed[-12:] if p[1] < 5]
                parent, parent_depth = r.choice(candidates or placed[:1])
                depth = parent_depth + 1
            pending.append((q["created_at"] + timedelta(seconds=offset), key, qid, parent,
                            depth))
            placed.append((key, depth))
    # Ids in time order, as a live forum would have them.
    pending.sort()
    new_id = {item[1]: i for i, item in enumerate(pending, 1)}
    post_rows = []
    answers_of: dict[int, list[int]] = {}
    for pid, (created, _key, qid, parent, depth) in enumerate(pending, 1):
        q = question_rows[qid - 1]
        r = hot_rng if qid == hot_id else rng
        lang = q["lang"] if r.random() < 0.9 else ("fr" if q["lang"] == "en" else "en")
        source, html, text = compose(pool, lang, r, 1, 2 if parent is not None else 3)
        author = r.randint(1, USERS)
        post_rows.append({
            "id": pid, "question_id": qid,
            "parent_id": new_id[parent] if parent is not None else None,
            "author_id": author, "depth": depth, "body_source": source, "body_html": html,
            "body_text": text, "markup_version": MARKUP_VERSION, "lang": lang, "score": 0,
            "created_at": created})
        revisions.append({"question_id": None, "post_id": pid, "number": 1,
                          "editor_id": author, "title": None, "tags": None,
                          "body_source": source, "created_at": created})
        if parent is None:
            q["answer_count"] += 1
            answers_of.setdefault(qid, []).append(pid)
        q["last_activity_at"] = max(q["last_activity_at"], created)

    # Votes (up only: +5 a question, +10 an answer) and accepted answers (+15).
    reputation = dict.fromkeys(range(1, USERS + 1), 0)
    question_votes, post_votes = [], []

    def voters(author: int, k: int) -> list[int]:
        return [u for u in rng.sample(range(1, USERS + 1), k + 1) if u != author][:k]

    for q in question_rows:
        k = rng.choices((0, 1, 2, 3, 5, 8), weights=(30, 25, 20, 12, 9, 4))[0]
        for user_id in voters(q["author_id"], k):
            question_votes.append({"user_id": user_id, "question_id": q["id"], "value": 1,
                                   "created_at": q["last_activity_at"]})
        q["score"] = k
        reputation[q["author_id"]] += 5 * k
    for post in post_rows:
        if post["parent_id"] is not None:
            continue
        k = rng.choices((0, 1, 2, 4), weights=(45, 30, 15, 10))[0]
        for user_id in voters(post["author_id"], k):
            post_votes.append({"user_id": user_id, "post_id": post["id"], "value": 1,
                               "created_at": post["created_at"]})
        post["score"] = k
        reputation[post["author_id"]] += 10 * k
    by_id = {p["id"]: p for p in post_rows}
    for qid, answer_ids in answers_of.items():
        if qid == hot_id or rng.random() < 0.4:
            q = question_rows[qid - 1]
            accepted = by_id[rng.choice(answer_ids)]
            q["accepted_answer_id"] = accepted["id"]
            if accepted["author_id"] != q["author_id"]:
                reputation[accepted["author_id"]] += 15
    for user in users:
        user["reputation"] = reputation[user["id"]]

    return {"users": users, "groups": groups, "group_memberships": memberships,
            "tags": tags, "questions": question_rows, "question_tags": question_tags,
            "posts": post_rows, "question_votes": question_votes, "post_votes": post_votes,
            "revisions": revisions, "hot_question_id": hot_id}


def insert(db, rows: dict) -> None:
    """executemany into the real tables, parents before children, in one transaction."""
    tables = db.metadata.tables
    order = ["users", "groups", "group_memberships", "tags", "questions", "question_tags",
             "posts", "question_votes", "post_votes", "revisions"]
    with db.engine.begin() as conn:
        # accepted_answer_id points at posts inserted after the questions: set it last.
        accepted = [{"qid": q["id"], "aid": q["accepted_answer_id"]}
                    for q in rows["questions"] if q["accepted_answer_id"]]
        for q in rows["questions"]:
            q["accepted_answer_id"] = None
        for name in order:
            data = rows[name]
            table = tables[name]
            for i in range(0, len(data), BATCH):
                conn.execute(table.insert(), data[i:i + BATCH])
        questions = tables["questions"]
        conn.execute(questions.update().where(questions.c.id == bindparam("qid"))
                     .values(accepted_answer_id=bindparam("aid")), accepted)


def verify(db, hot_id: int) -> None:
    """Raise AssertionError when a counter disagrees with the rows it counts."""
    def one(sql: str) -> int:
        return db.session.execute(text(sql)).scalar_one()

    checks = {
        "answer_count": "SELECT count(*) FROM questions q WHERE answer_count != (SELECT "
                        "count(*) FROM posts p WHERE p.question_id = q.id AND p.parent_id "
                        "IS NULL)",
        "question score": "SELECT count(*) FROM questions q WHERE score != (SELECT "
                          "coalesce(sum(value), 0) FROM question_votes v WHERE "
                          "v.question_id = q.id)",
        "post score": "SELECT count(*) FROM posts p WHERE score != (SELECT "
                      "coalesce(sum(value), 0) FROM post_votes v WHERE v.post_id = p.id)",
        "tag count": "SELECT count(*) FROM tags t WHERE question_count != (SELECT count(*) "
                     "FROM question_tags qt WHERE qt.tag_id = t.id)",
        "group count": "SELECT count(*) FROM groups g WHERE question_count != (SELECT "
                       "count(*) FROM questions q WHERE q.group_id = g.id) OR member_count "
                       "!= (SELECT count(*) FROM group_memberships m WHERE m.group_id = g.id)",
        "depth": "SELECT count(*) FROM posts c JOIN posts p ON p.id = c.parent_id WHERE "
                 "c.depth != p.depth + 1 OR c.question_id != p.question_id OR "
                 "c.created_at < p.created_at",
        "activity": "SELECT count(*) FROM questions q WHERE last_activity_at < (SELECT "
                    "max(created_at) FROM posts p WHERE p.question_id = q.id)",
        "accepted": "SELECT count(*) FROM questions q JOIN posts p ON p.id = "
                    "q.accepted_answer_id WHERE p.question_id != q.id OR p.parent_id IS "
                    "NOT NULL",
    }
    wrong = {name: n for name, sql in checks.items() if (n := one(sql))}
    assert not wrong, f"inconsistent rows: {wrong}"
    expected = expected_reputation()
    for user_id, reputation in db.session.execute(text("SELECT id, reputation FROM users")):
        assert reputation == expected.get(user_id, 0), f"reputation of user {user_id}"
    hot = one(f"SELECT count(*) FROM posts WHERE question_id = {int(hot_id)} AND "
              "parent_id IS NULL"), one(f"SELECT count(*) FROM posts WHERE question_id = "
                                        f"{int(hot_id)} AND parent_id IS NOT NULL")
    assert hot == (HOT_ANSWERS, HOT_REPLIES), f"hot question has {hot}"
    db.session.rollback()


def rebuild_search(db, log) -> bool:
    """Fill the search index with the service's own rebuild."""
    search.install(db.engine)
    count = search.rebuild_index()
    log(f"  search index: {count} questions")
    return True


def main() -> None:
    questions, posts, small_posts = sizes_from_env()
    started = time.perf_counter()
    ensure(questions, posts)
    ensure(small_questions(questions, posts, small_posts), small_posts)
    print(f"databases ready in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()

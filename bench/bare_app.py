"""The framework's ceiling: bare Flask + Flask-SQLAlchemy + Jinja on the benchmark database.

Two pages render as many rows as Tacit's pages do, from the same SQLite file, with minimal
models and a minimal template and nothing else (no sessions, CSRF, i18n, permissions,
Socket.IO):

- /list: the 20 newest questions with author, group and tags (Tacit: /questions)
- /hot: the hot question and its 150 posts with their authors (Tacit: /questions/<id>)

Served like Tacit: gunicorn -k gevent -w 1 --no-control-socket --access-logfile -
Environment: BENCH_DB (path of the SQLite file), BENCH_HOT_ID (the hot question's id).
"""

import os
from datetime import datetime

from flask import Flask, abort, render_template
from flask_sqlalchemy import SQLAlchemy
from jinja2 import DictLoader
from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship, selectinload

LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{% endblock %}</title></head>
<body><main>{% block content %}{% endblock %}</main></body></html>"""

LIST = """{% extends "layout.html" %}{% block title %}Questions{% endblock %}
{% block content %}<h1>Questions</h1>
<ol>{% for q in questions %}
<li><span>{{ q.score }} votes</span> <span>{{ q.answer_count }} answers</span>
<a href="/questions/{{ q.id }}" lang="{{ q.lang }}">{{ q.title }}</a>
<ul>{% for t in q.tags %}<li><a href="/tags/{{ t.name }}">{{ t.name }}</a></li>{% endfor %}</ul>
<p>{{ q.group.name }} · {{ q.author.display_name }} ·
<time datetime="{{ q.created_at }}">{{ q.created_at }}</time></p></li>
{% endfor %}</ol>{% endblock %}"""

HOT = """{% extends "layout.html" %}{% block title %}{{ q.title }}{% endblock %}
{% block content %}<article><h1>{{ q.title }}</h1>{{ q.body_html|safe }}
<p>{{ q.author.display_name }} · {{ q.created_at }}</p></article>
{% for p in posts %}
<article id="post-{{ p.id }}" class="depth-{{ p.depth }}">{{ p.body_html|safe }}
<p>{{ p.score }} · {{ p.author.display_name }} ·
<time datetime="{{ p.created_at }}">{{ p.created_at }}</time></p></article>
{% endfor %}{% endblock %}"""

db = SQLAlchemy()


class User(db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(80))


class Group(db.Model):
    __tablename__ = "groups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class Tag(db.Model):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(30))


question_tags = db.Table(
    "question_tags",
    db.Column("question_id", ForeignKey("questions.id"), primary_key=True),
    db.Column("tag_id", ForeignKey("tags.id"), primary_key=True),
)


class Question(db.Model):
    __tablename__ = "questions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    body_html: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(5))
    score: Mapped[int] = mapped_column(Integer)
    answer_count: Mapped[int] = mapped_column(Integer)
    # Stored by SQLite as text; the bare page prints it as stored.
    created_at: Mapped[str] = mapped_column(String)

    author: Mapped[User] = relationship()
    group: Mapped[Group] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=question_tags, order_by=Tag.name)


class Post(db.Model):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    depth: Mapped[int] = mapped_column(Integer)
    body_html: Mapped[str] = mapped_column(Text)
    score: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[str] = mapped_column(String)

    author: Mapped[User] = relationship()


def create_app(database: str | None = None, hot_id: int | None = None) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database or os.environ['BENCH_DB']}"
    app.config["HOT_ID"] = hot_id or int(os.environ.get("BENCH_HOT_ID", "1"))
    app.jinja_loader = DictLoader({"layout.html": LAYOUT, "list.html": LIST, "hot.html": HOT})
    db.init_app(app)

    @app.get("/list")
    def question_list():
        questions = db.session.scalars(
            select(Question).options(joinedload(Question.author), joinedload(Question.group),
                                     selectinload(Question.tags))
            .order_by(Question.created_at.desc(), Question.id.desc()).limit(20)).all()
        return render_template("list.html", questions=questions)

    @app.get("/hot")
    def hot():
        question = db.session.scalar(select(Question).where(Question.id == app.config["HOT_ID"])
                                     .options(joinedload(Question.author)))
        if question is None:
            abort(404)
        posts = db.session.scalars(
            select(Post).where(Post.question_id == question.id)
            .options(joinedload(Post.author)).order_by(Post.created_at, Post.id)).all()
        return render_template("hot.html", q=question, posts=posts)

    @app.get("/health")
    def health():
        return {"status": "ok", "time": datetime.now().isoformat()}

    return app


app = create_app() if os.environ.get("BENCH_DB") else None

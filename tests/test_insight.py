"""The knowledge-gap view: exact numbers on a small fixture, the anonymised search log and
its purge, who sees which groups (a private group's canary never reaches a moderator of
another group), the SVG charts and their table fallback, and a fixed number of queries.
Runs on SQLite and PostgreSQL alike (the suite runs both).

Budget: about 5 s on SQLite, 10 s on PostgreSQL.
"""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import inspect, select, update

from forum.errors import NotFound, PermissionDenied, Unauthorized
from forum.extensions import db
from forum.models import FaqEntry, Post, Question, SearchLog, User, utcnow
from forum.moderation.charts import line_chart
from forum.services import faq, insight
from forum.services.groups import set_group_moderator
from forum.services.qa import ask_question
from forum.services.search import normalise
from forum.services.uow import unit_of_work
from tests.helpers import PageClient
from tests.test_query_counts import counting

PASSWORD = "correct horse battery"
CANARY = "Zanzibarcanary"
HOUR = timedelta(hours=1)
NOTHING = normalise("nothingwhatsoever")


def _login(app, username) -> PageClient:
    page = PageClient(app.test_client())
    page.login(username, PASSWORD)
    return page


@pytest.fixture
def world(app, make_user, make_group, join, make_question, make_post):
    """Three groups (west-africa and east-africa public, `secret` private with a canary),
    five questions in the last 30 days and one older, answers at known delays, an FAQ entry
    due for review; an admin, a site moderator, west-africa's moderator and members."""
    ids = {name: make_user(name, role=role) for name, role in (
        ("boss", "admin"), ("sitemod", "moderator"), ("gmod", "member"), ("ada", "member"),
        ("expert", "member"), ("insider", "member"))}
    make_group("west-africa", region="West Africa")
    make_group("east-africa", region="East Africa")
    make_group("secret", region="West Africa", private=True)
    join(ids["insider"], "secret", private=True)
    ask = {
        "a": make_question(ids["ada"], "west-africa", title="How to store implants safely?",
                           tags=("implants",)),
        "b": make_question(ids["ada"], "west-africa", title="Quand vacciner les enfants ?",
                           body="Le calendrier change-t-il cette année ?", tags=("vaccins",),
                           lang="fr"),
        "c": make_question(ids["ada"], "west-africa", title="Which malaria test in the rainy "
                           "season?", tags=("malaria",)),
        "d": make_question(ids["ada"], "east-africa", title="Malaria nets for newborns?",
                           tags=("malaria",)),
        "e": make_question(ids["insider"], "secret", title=f"The {CANARY} clinic question",
                           tags=("canarytag",)),
        "old": make_question(ids["ada"], "west-africa", title="An old unanswered question",
                             tags=("archive",)),
    }
    answers = {
        "a": make_post(ids["expert"], question_id=ask["a"]),
        "c1": make_post(ids["gmod"], question_id=ask["c"], body="Use a rapid test."),
        "c2": make_post(ids["expert"], question_id=ask["c"], body="A rapid test, then a "
                        "slide if it is negative."),
    }
    t0 = utcnow() - timedelta(days=10)
    with app.app_context():
        with unit_of_work():
            for key in "abcde":
                db.session.execute(update(Question).where(Question.id == ask[key])
                                   .values(created_at=t0))
            db.session.execute(update(Question).where(Question.id == ask["old"])
                               .values(created_at=utcnow() - timedelta(days=100)))
            for key, delay in (("a", 2), ("c1", 4), ("c2", 6)):
                db.session.execute(update(Post).where(Post.id == answers[key])
                                   .values(created_at=t0 + delay * HOUR))
            db.session.execute(update(Question).where(Question.id == ask["a"])
                               .values(accepted_answer_id=answers["a"]))
        boss = db.session.get(User, ids["boss"])
        set_group_moderator(boss, "west-africa", "gmod")
        entry = faq.promote(boss, ask["a"], answer_id=answers["a"])
        with unit_of_work():
            # Verified now: an answer counts as an expert's by who wrote it.
            db.session.get(User, ids["expert"]).verified_expert = True
            db.session.execute(update(FaqEntry).where(FaqEntry.id == entry.id)
                               .values(review_by=date.today() - timedelta(days=1)))
    return {"users": ids, "questions": ask, "t0": t0}


def _report(app, username, **kwargs):
    with app.app_context():
        actor = db.session.scalar(select(User).where(User.username == username))
        now = utcnow()
        kwargs.setdefault("since", now - timedelta(days=30))
        kwargs.setdefault("until", now)
        return insight.knowledge_gaps(actor, **kwargs)


def _counts(rows):
    return {getattr(row.key, "slug", row.key): (row.asked, row.unanswered, row.unaccepted)
            for row in rows}


def test_admin_sees_exact_numbers_site_wide(app, world):
    report = _report(app, "boss")
    assert (report.total.asked, report.total.unanswered, report.total.unaccepted) == (5, 3, 4)
    assert _counts(report.by_group) == {"east-africa": (1, 1, 1), "secret": (1, 1, 1),
                                        "west-africa": (3, 1, 2)}
    assert _counts(report.by_region) == {"East Africa": (1, 1, 1), "West Africa": (4, 2, 3)}
    assert _counts(report.by_lang) == {"en": (4, 2, 3), "fr": (1, 1, 1)}
    # First answers at 2 h (a) and 4 h (c): median 3 h; experts at 2 h (a) and 6 h (c): 4 h.
    assert report.answered_count == 2
    assert report.median_first_answer == pytest.approx(3 * 3600, abs=1)
    assert report.expert_answered_count == 2
    assert report.median_first_expert_answer == pytest.approx(4 * 3600, abs=1)
    assert report.faq_due == 1
    assert [r.faq_due for r in report.by_group if r.key.slug == "west-africa"] == [1]
    # "implants" has an FAQ entry; "archive" was asked before the period.
    assert report.tags_without_faq == [("malaria", 2), ("canarytag", 1), ("vaccins", 1)]
    # Weekly series: every question of the period in the same week; two answered.
    week = (world["t0"] - report.since) // timedelta(days=7)
    assert len(report.weeks) == 5
    assert report.asked_by_region == {"East Africa": [1 if n == week else 0 for n in range(5)],
                                      "West Africa": [4 if n == week else 0 for n in range(5)]}
    assert report.answered_by_region["West Africa"][week] == 2
    assert report.answered_by_region["East Africa"][week] == 0
    assert report.weekly_median_hours[week] == pytest.approx(3, abs=0.01)
    assert report.weekly_median_hours[week - 1] is None


def test_a_longer_period_takes_in_the_older_question(app, world):
    report = _report(app, "boss", since=utcnow() - timedelta(days=365))
    assert report.total.asked == 6
    assert ("archive", 1) in report.tags_without_faq


def test_group_moderator_sees_only_their_group(app, world):
    report = _report(app, "gmod")
    assert [g.slug for g in report.groups] == ["west-africa"]
    assert not report.site_wide
    assert (report.total.asked, report.total.unanswered, report.total.unaccepted) == (3, 1, 2)
    assert report.tags_without_faq == [("malaria", 1), ("vaccins", 1)]
    with pytest.raises(PermissionDenied):
        _report(app, "gmod", group="east-africa")
    with pytest.raises(NotFound):  # a private group they are not in stays unknown
        _report(app, "gmod", group="secret")


def test_site_moderator_sees_the_groups_they_can_see(app, world):
    report = _report(app, "sitemod")
    assert {g.slug for g in report.groups} == {"west-africa", "east-africa"}
    assert report.site_wide
    assert report.total.asked == 4
    one = _report(app, "sitemod", group="east-africa")
    assert _counts(one.by_group) == {"east-africa": (1, 1, 1)}


def test_members_and_anonymous_are_refused(app, world):
    with pytest.raises(PermissionDenied):
        _report(app, "ada")
    with app.app_context(), pytest.raises(Unauthorized):
        insight.knowledge_gaps(None, since=utcnow() - timedelta(days=1), until=utcnow())
    assert _login(app, "ada").get("/moderation/insight").status_code == 403
    response = PageClient(app.test_client()).get("/moderation/insight")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_searches_are_logged_normalised_and_anonymous(app, world, api):
    page = _login(app, "insider")
    assert page.get("/search?q=Chameaux+du+D%C3%89SERT&lang=fr").status_code == 200
    assert page.get("/search?q=nothingwhatsoever&group=west-africa").status_code == 200
    assert page.get("/search?q=canaryword&group=secret").status_code == 200
    assert page.get("/search?q=implants&page=2").status_code == 200  # paging: not logged
    assert page.get("/search?q=").status_code == 200  # empty: not logged
    assert page.get("/search?q=" + "x" * 201).status_code == 422  # refused: not logged
    assert api.get("/api/v1/search?q=implants").status_code == 200
    assert api.get("/api/v1/search?q=").status_code == 422
    with app.app_context():
        rows = db.session.scalars(select(SearchLog).order_by(SearchLog.id)).all()
        logged = [(r.query, r.result_count > 0, r.group_id is not None, r.lang) for r in rows]
        columns = {c["name"] for c in inspect(db.engine).get_columns("search_log")}
    assert logged == [(normalise("Chameaux du DÉSERT"), False, False, "fr"),
                      (NOTHING, False, True, ""),
                      ("canaryword", False, True, ""),
                      ("implant", True, False, "")]
    # Nothing that says who searched.
    assert columns == {"id", "query", "result_count", "group_id", "lang", "created_at"}

    site = _report(app, "boss")
    assert (site.searches, site.searches_empty) == (4, 3)
    assert dict(site.empty_searches) == {normalise("Chameaux du DÉSERT"): 1,
                                         NOTHING: 1, "canaryword": 1}
    mine = _report(app, "gmod")  # only the searches filtered on west-africa
    assert (mine.searches, mine.searches_empty, mine.empty_searches) == \
        (1, 1, [(NOTHING, 1)])
    assert "canaryword" not in dict(_report(app, "sitemod").empty_searches)


def test_purge_removes_rows_older_than_90_days(app):
    now = utcnow()
    with app.app_context():
        with unit_of_work():
            for days in (91, 89, 1):
                db.session.add(SearchLog(query=f"q{days}", result_count=0, lang="",
                                         created_at=now - timedelta(days=days)))
        assert insight.purge_search_log(now) == 1
        assert sorted(db.session.scalars(select(SearchLog.query))) == ["q1", "q89"]
    result = app.test_cli_runner().invoke(args=["search", "purge-log"])
    assert result.exit_code == 0 and "0 search log row(s) deleted" in result.output


def test_page_shows_the_numbers_with_links_and_charts(app, world):
    html = _login(app, "boss").get("/moderation/insight").get_data(as_text=True)
    assert 'href="/groups/west-africa?status=unanswered"' in html
    assert 'href="/questions?status=unanswered&amp;lang=fr"' in html
    assert 'href="/tags/malaria"' in html and 'href="/faq/review"' in html
    assert CANARY not in html  # titles are never shown, only numbers
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 3
    for svg in svgs:
        assert "<script" not in svg and "style=" not in svg and "<title" in svg
    assert "style=" not in html
    assert html.count('class="chart-table"') == 3
    assert "<th scope=\"col\">West Africa</th>" in html


def test_page_in_french_and_with_dates(app, world):
    page = _login(app, "gmod")
    html = page.get("/moderation/insight?lang=fr&from=2020-01-01&to=2020-12-31") \
        .get_data(as_text=True)
    assert "2020-01-01" in html
    bad = page.get("/moderation/insight?from=2020-13-01")
    assert bad.status_code == 422
    assert page.get("/moderation/insight?from=2019-01-01&to=2023-01-01").status_code == 422


def test_private_group_canary_never_reaches_another_groups_moderator(app, world):
    page = _login(app, "insider")
    page.get(f"/search?q={CANARY.lower()}zz&group=secret")
    for who in ("gmod", "sitemod"):
        html = _login(app, who).get("/moderation/insight?period=365").get_data(as_text=True)
        for word in (CANARY, CANARY.lower(), "canarytag", "secret", "Secret"):
            assert word not in html, (who, word)
        assert _login(app, who).get("/moderation/insight?group=secret").status_code == 404
    admin_html = _login(app, "boss").get("/moderation/insight").get_data(as_text=True)
    assert "canarytag" in admin_html and "Secret" in admin_html


def test_chart_escapes_text_and_marks_gaps():
    svg = line_chart("x", "<b>t</b>", "d & e", ["a<", "b", "c"],
                     [("s<script>", [1, None, 3]), ("two", [0, 2, 1])])
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "d &amp; e" in svg
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert svg.count("<circle") == 2  # the first line is cut by its gap into two points
    assert svg.count("<polyline") == 1


def test_page_loads_in_a_fixed_number_of_queries(app, world):
    page = _login(app, "boss")
    page.get("/moderation/insight")
    with counting(app) as few:
        assert page.get("/moderation/insight").status_code == 200
    with app.app_context():
        ada = db.session.scalar(select(User).where(User.username == "ada"))
        with unit_of_work():
            for n in range(27):
                ask_question(ada, title=f"Extra question number {n} on cold chains",
                             body="Details follow.", group="east-africa" if n % 2 else
                             "west-africa", tags=[f"extra{n}"], lang="fr" if n % 3 else "en",
                             system=True)
    with counting(app) as many:
        html = page.get("/moderation/insight").get_data(as_text=True)
    assert "extra0" in html
    assert len(many) == len(few), many
    # The report's eight queries, plus the session and user lookups.
    assert len(few) <= 12, few

"""The page shortcuts of forum/qa/presenters.py and forum/web.py give what the slow paths give.

The question page computes "3 hours ago" and its links once per wording and per endpoint
instead of asking Babel and url_for per post; these tests pin the shortcuts to the originals.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask import url_for
from flask_babel import force_locale, format_timedelta

from forum.models import utcnow
from forum.qa import render
from forum.qa.presenters import ago
from forum.web import id_link

pytestmark = pytest.mark.dbless  # the same on every database: SQLite pass only

# Around every unit boundary Babel uses (0.9 of a unit switches up), and far out.
SECONDS = sorted({
    *range(45, 200, 7), 3000, 3239, 3240, 3241, 5400, 3600 * 20, 3600 * 21.6, 3600 * 22,
    86400 * 3, 86400 * 6.3, 86400 * 6.4, 86400 * 10.5, 86400 * 26.9, 86400 * 27,
    86400 * 27.1, 86400 * 40, 86400 * 328.4, 86400 * 328.6, 86400 * 400, 86400 * 365 * 7.5,
})


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_ago_words_every_delta_as_babel_does(app, locale):
    now = utcnow()
    with app.test_request_context("/"), force_locale(locale):
        for seconds in SECONDS:
            for sign in (-1, 1):
                moment = now + timedelta(seconds=sign * seconds)
                expected = format_timedelta(moment - now, add_direction=True, threshold=0.9)
                assert ago(moment, now) == expected, (locale, sign * seconds)
        assert ago(now - timedelta(seconds=10), now) == ("just now" if locale == "en"
                                                         else "à l'instant")
        assert ago(None) == ""


def test_id_link_builds_what_url_for_builds(app):
    for root in ("", "/forum"):
        with app.test_request_context("/", base_url=f"http://localhost{root}"):
            for endpoint, argument in [("qa.question", "question_id"),
                                       ("qa.post_reply", "post_id"),
                                       ("qa.vote_post", "post_id")]:
                for value in (1, 42, 2**31 - 1):
                    assert id_link(endpoint, value) == url_for(endpoint, **{argument: value})
            # An endpoint with two rules needs its argument named.
            assert id_link("qa.revisions", 7, "post_id") == url_for("qa.revisions", post_id=7)
            assert id_link("qa.revisions", 7, "question_id") == url_for("qa.revisions",
                                                                         question_id=7)
            with pytest.raises(ValueError):
                id_link("qa.revisions", 7)


def test_posts_written_in_python_escape_names_and_keep_the_cleaned_body(
        app, anon_client, make_user, group, make_question, make_post):
    """forum/qa/render.py writes the posts without Jinja's autoescape: every name, label and
    link must still be escaped, and the body is the HTML forum/markup.py cleaned."""
    asker = make_user("asker")
    sly = make_user("sly", display_name='<img src=x onerror="alert(1)">Sly & "Co"')
    question = make_question(asker, group, title="How do we avoid implant stock-outs?")
    answer = make_post(sly, question_id=question,
                       body="Use <script>alert(2)</script> **stock cards**.")
    reply = make_post(asker, parent_id=answer, body="Thanks, @sly.")
    for path in (f"/questions/{question}", f"/posts/{answer}/fragment"):
        html = anon_client.get(path).get_data(as_text=True)
        assert "<img src=x" not in html and "<script>alert(2)" not in html
        assert '&lt;img src=x onerror=&#34;alert(1)&#34;&gt;Sly &amp; &#34;Co&#34;' in html
        assert "<strong>stock cards</strong>" in html
        assert f'id="post-{answer}" data-post-id="{answer}" data-parent-id=""' in html
    page = anon_client.get(f"/questions/{question}").get_data(as_text=True)
    assert f'id="post-{reply}" data-post-id="{reply}" data-parent-id="{answer}"' in page
    assert page.index(f'id="replies-{answer}"') < page.index(f'id="post-{reply}"')


def test_the_post_writer_gives_every_template_its_pieces_escaped_and_translated(app):
    """forum/qa/render.py is the one copy of the post markup: templates (the chat's too)
    print its author, time, vote box, tags and language badge as globals."""
    expert = SimpleNamespace(name='<b>Ada</b> & "Co"', username="ada", is_deleted=False,
                             verified_expert=True, reputation=42)
    gone = SimpleNamespace(name="Old", is_deleted=True, verified_expert=False)
    tag = SimpleNamespace(name="implants")
    moment = utcnow() - timedelta(hours=3)
    with app.test_request_context("/"), force_locale("fr"):
        env = app.jinja_env
        assert env.globals["author_html"] is render.author_html
        assert env.from_string("{{ author_html(u) }}").render(u=expert) == (
            '<a class="author" href="/u/ada">&lt;b&gt;Ada&lt;/b&gt; &amp; &#34;Co&#34;</a>'
            ' <span class="badge expert">expert vérifié</span>'
            ' <span class="rep" title="réputation">42</span>')
        assert env.from_string("{{ author_html(u) }}|{{ author_html(none) }}").render(
            u=gone) == ('<span class="author gone">utilisateur supprimé</span>|'
                        '<span class="author gone">utilisateur supprimé</span>')
        assert env.from_string("{{ time_html(t) }}").render(t=moment) == (
            f'<time datetime="{moment.isoformat(timespec="seconds")}">il y a 3 heures</time>')
        box = env.from_string("{{ vote_box_html(4, 1, true, 'question') }}").render()
        assert 'value="0" aria-pressed="true"' in box
        assert '<span class="score" data-score-for="question">4</span>' in box
        assert env.from_string("{{ vote_box_html(-2, 0, false) }}").render() == (
            '<div class="vote"><span class="score">-2</span></div>')
        assert env.from_string("{{ tags_html(t) }}").render(t=[tag]) == (
            f'<ul class="tags"><li><a class="tag" href="{url_for("qa.tag", name="implants")}">'
            'implants</a></li></ul>')
        assert env.from_string("{{ tags_html([]) }}{{ lang_badge_html('en') }}").render() == (
            '<abbr class="lang" title="Rédigé en anglais">EN</abbr>')

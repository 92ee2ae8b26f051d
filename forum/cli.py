"""Command-line tools: `flask --app wsgi users ...`, `flask --app wsgi demo seed`, the
operator's `backup PATH`, `restore PATH` and `check`, and `mail receive` (an MTA's pipe)."""

import logging
import sys

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from forum.demo import print_logins, seed_demo
from forum.errors import ServiceError
from forum.services import backup as backup_service
from forum.services import preflight
from forum.services.accounts import register_user
from forum.services.accounts import set_role as set_role_service
from forum.services.digests import send_digests
from forum.services.faq import invite_reviews
from forum.services.groups import add_member as add_member_service
from forum.services.groups import create_group as create_group_service
from forum.services.insight import purge_search_log
from forum.services.mail_in import receive as receive_mail
from forum.services.maintenance import rerender_markup
from forum.services.notifications import remind_to_accept
from forum.services.reply_tokens import EX_TEMPFAIL
from forum.services.reputation import recompute_all
from forum.services.search import rebuild_index

users_cli = AppGroup("users", help="Manage accounts.")
demo_cli = AppGroup("demo", help="Demo content.")
groups_cli = AppGroup("groups", help="Manage regional groups.")
reputation_cli = AppGroup("reputation", help="Reputation points.")
markup_cli = AppGroup("markup", help="Stored Markdown.")
search_cli = AppGroup("search", help="The full-text search index.")
notifications_cli = AppGroup("notifications", help="Notifications in the app.")
digests_cli = AppGroup("digests", help="Email digests.")
faq_cli = AppGroup("faq", help="The curated FAQ.")
mail_cli = AppGroup("mail", help="Reply by email.")


def _fail(error: ServiceError) -> None:
    details = "; ".join(f"{k}: {v}" for k, v in (error.fields or {}).items())
    raise click.ClickException(f"{error.message} {details}".strip())


@users_cli.command("create")
@click.argument("username")
@click.option("--email", required=True)
@click.option("--password", required=True, help="8 to 128 characters, not a common password.")
@click.option(
    "--role", default="member", type=click.Choice(["member", "moderator", "admin"])
)
@click.option("--display-name", default=None)
@click.option("--email-confirmed", is_flag=True,
              help="The address is known to be theirs (else they confirm it from their "
                   "account page, or by a password reset).")
def create_user(username, email, password, role, display_name, email_confirmed):
    """Create an account with a role (system work: no rate limit)."""
    try:
        user = register_user(username, email, password, display_name, role=role, system=True,
                             email_confirmed=email_confirmed)
    except ServiceError as error:
        _fail(error)
    click.echo(f"created {user.username} ({user.role})")


@users_cli.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(["member", "moderator", "admin"]))
def set_role(username, role):
    """Grant a role to an existing account."""
    try:
        user = set_role_service(None, username, role)
    except ServiceError as error:
        _fail(error)
    click.echo(f"{user.username} is now {user.role}")


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Only seed a database without users.")
def seed(if_empty):
    """Create the demo community through the same services real users go through."""
    created = seed_demo(only_if_empty=if_empty)
    click.echo("demo content created" if created else "the database has content; seed skipped")
    print_logins()


@groups_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--region", required=True)
@click.option("--description", default="", help="Markdown.")
@click.option("--private", is_flag=True, help="Only members see its questions.")
def create_group(slug, name, region, description, private):
    """Create a regional group (system work)."""
    try:
        group = create_group_service(None, slug, name, region, description, private=private,
                                     system=True)
    except ServiceError as error:
        _fail(error)
    click.echo(f"created group {group.slug}{' (private)' if group.private else ''}")


@groups_cli.command("add-member")
@click.argument("slug")
@click.argument("username")
def add_member(slug, username):
    """Add a member to a group (private groups take members this way)."""
    try:
        add_member_service(None, slug, username, system=True)
    except ServiceError as error:
        _fail(error)
    click.echo(f"{username} is a member of {slug}")


@reputation_cli.command("recompute")
def recompute_reputation():
    """Recompute every user's public and private-group reputation from the votes (fixes
    any drift, and points counted on the wrong side)."""
    changed = recompute_all()
    click.echo(f"reputation recomputed; {changed} account(s) changed")


@markup_cli.command("rerender")
@click.option("--all", "force", is_flag=True, help="Re-render every row, not only old ones.")
def rerender(force):
    """Re-render stored Markdown after the allow-list or extensions changed."""
    click.echo(f"re-rendered {rerender_markup(force=force)} row(s)")


@search_cli.command("rebuild")
def rebuild_search():
    """Rebuild the full-text search index of every question and current FAQ entry."""
    click.echo(f"indexed {rebuild_index()} question(s) and the current FAQ entries")


@search_cli.command("purge-log")
def purge_search_log_command():
    """Delete the search log's rows older than 90 days (meant for cron, once a day)."""
    click.echo(f"{purge_search_log()} search log row(s) deleted")


@notifications_cli.command("remind")
def remind():
    """Remind askers of week-old questions with answers but none accepted (once per
    question; meant for cron)."""
    total = 0
    while written := remind_to_accept():  # a unit of work per batch of 1,000
        total += written
    click.echo(f"{total} reminder(s) written")


@digests_cli.command("send")
@click.option("--period", required=True, type=click.Choice(["daily", "weekly"]))
def send_digest_mail(period):
    """Send this period's digests to every member who gets one (meant for cron: once a day
    for daily, once a week for weekly; running it again in the same period sends nothing
    twice)."""
    report = send_digests(period)
    click.echo(f"{period} digests for {report.period_start:%Y-%m-%d}: {report.sent} sent, "
               f"{report.empty} with nothing new, {report.already} sent earlier, "
               f"{report.failed} refused, {len(report.stuck)} left unsent by an earlier run")
    if report.failed:
        raise SystemExit(1)


@faq_cli.command("invite-reviews")
def invite_faq_reviews():
    """Invite the answerer and matching experts to check the FAQ entries falling due
    (on the day after their review-by date and every 30 days after; meant for cron, once a
    day)."""
    click.echo(f"{invite_reviews()} FAQ entr(y/ies) with invitations")


@mail_cli.command("receive")
@click.option("--recipient", "recipients", multiple=True,
              help="The envelope recipient (Postfix pipe: ${recipient}); else the reply "
                   "address is looked for in Delivered-To, X-Original-To, To and Cc.")
def receive_mail_command(recipients):
    """Read one mail on standard input and post it as the reply it answers (docs/mail-in.md).
    Exit status 0 when posted (or posted before: an MTA's retry), 67 for an unknown, forged
    or expired reply address, 77 for a sender or member not allowed to post there, 65 when
    refused otherwise (an automatic reply, an empty reply, the forum's limits), 75 for a
    failure of ours (the MTA retries later); one line says why."""
    try:
        result = receive_mail(sys.stdin.buffer.read(), recipients=list(recipients))
    except Exception as error:  # the database down, say: the MTA keeps the mail and retries
        logging.getLogger("tacit.mail_in").exception("mail receive failed")
        click.echo(f"temporary failure: {type(error).__name__}", err=True)
        raise SystemExit(EX_TEMPFAIL) from None
    click.echo(result.line, err=result.status != 0)
    if result.status:
        raise SystemExit(result.status)


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
def backup_command(path):
    """Write a consistent backup (database, secret key, mail outbox, manifest) to PATH, a
    tar file, while the forum keeps serving (docs/operations.md)."""
    try:
        report = backup_service.backup(path)
    except ServiceError as error:
        _fail(error)
    manifest = report.manifest
    size = report.path.stat().st_size
    click.echo(f"backup of the {manifest['database']} database at revision "
               f"{manifest['schema_revision']} written to {report.path} ({size:,} bytes, "
               f"{len(manifest['files'])} file(s))")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def restore_command(path):
    """Restore a backup made by `backup` into the configured database, which must be empty
    (stop the forum first), and put its secret key and outbox back."""
    try:
        report = backup_service.restore(path)
    except ServiceError as error:
        _fail(error)
    manifest = report.manifest
    click.echo(f"restored the {manifest['database']} backup of {manifest['created_at']} "
               f"(forum {manifest['forum_version']}, revision {manifest['schema_revision']}) "
               f"and {len(report.restored_files)} instance file(s)")
    revision, head = manifest["schema_revision"], preflight.code_head()
    if revision and revision not in preflight.known_revisions():
        click.echo(f"the backup is at migration {revision}, which this code does not know: "
                   f"check out the release that made it (forum {manifest['forum_version']})")
    elif revision != head:
        click.echo(f"the code's migrations are at {head}: run `flask --app wsgi db upgrade` "
                   "before starting the forum")


@click.command("check")
@with_appcontext
def check_command():
    """Check what a server needs at startup (the database and Redis answer, migrations are
    at the code's head); exits 1 with one line per problem."""
    problems = preflight.problems()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo("ok: database, Redis and migrations are ready")


def register_cli(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(check_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(groups_cli)
    app.cli.add_command(reputation_cli)
    app.cli.add_command(markup_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(digests_cli)
    app.cli.add_command(faq_cli)
    app.cli.add_command(mail_cli)

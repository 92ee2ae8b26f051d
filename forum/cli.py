"""Command-line tools: `flask --app wsgi users ...` and `flask --app wsgi demo seed`."""

import click
from flask import Flask
from flask.cli import AppGroup

from forum.errors import ServiceError

users_cli = AppGroup("users", help="Manage accounts.")
demo_cli = AppGroup("demo", help="Demo content.")


def _fail(error: ServiceError) -> None:
    details = "; ".join(f"{k}: {v}" for k, v in (error.fields or {}).items())
    raise click.ClickException(f"{error.message} {details}".strip())


@users_cli.command("create")
@click.argument("username")
@click.option("--email", required=True)
@click.option("--password", required=True, help="8 to 128 characters, not a common password.")
@click.option(
    "--role", default="member", type=click.Choice(["member", "expert", "moderator", "admin"])
)
@click.option("--display-name", default=None)
def create_user(username, email, password, role, display_name):
    """Create an account with a role (system work: no rate limit)."""
    from forum.services.accounts import register_user

    try:
        user = register_user(username, email, password, display_name, role=role, system=True)
    except ServiceError as error:
        _fail(error)
    click.echo(f"created {user.username} ({user.role})")


@users_cli.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(["member", "expert", "moderator", "admin"]))
def set_role(username, role):
    """Grant a role to an existing account."""
    from forum.services.accounts import set_role as set_role_service

    try:
        user = set_role_service(None, username, role)
    except ServiceError as error:
        _fail(error)
    click.echo(f"{user.username} is now {user.role}")


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Only seed a database without users.")
def seed(if_empty):
    """Create the demo community through the same services real users go through."""
    from forum.demo import print_logins, seed_demo

    created = seed_demo(only_if_empty=if_empty)
    click.echo("demo content created" if created else "the database has content; seed skipped")
    print_logins()


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)

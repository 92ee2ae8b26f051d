"""Demo content: a small regional community, written through the services."""

import click
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import User
from forum.services.accounts import register_user, update_profile

DEMO_PASSWORD = "tacit-demo-2026"

# (username, display name, email, role, locale, region, country, organization)
DEMO_USERS = [
    ("admin", "Tacit Admin", "admin@demo.tacit", "admin", "en", "", "", "Tacit"),
    ("moderator", "Grace Wanjiru", "grace@demo.tacit", "moderator", "en", "East Africa",
     "Kenya", "Nairobi County Health"),
    ("amina", "Dr Amina Diallo", "amina@demo.tacit", "expert", "fr", "West Africa", "Senegal",
     "Direction de la Santé de la Reproduction"),
    ("rahul", "Rahul Mehta", "rahul@demo.tacit", "expert", "en", "Asia", "India",
     "State Family Welfare Training Centre"),
    ("achieng", "Achieng Odhiambo", "achieng@demo.tacit", "expert", "en", "East Africa",
     "Uganda", "Reproductive Health Uganda"),
    ("kofi", "Kofi Mensah", "kofi@demo.tacit", "member", "en", "West Africa", "Ghana",
     "Ghana Health Service"),
    ("awa", "Awa Traoré", "awa@demo.tacit", "member", "fr", "West Africa", "Mali",
     "ASDAP Bamako"),
    ("mariam", "Mariam Ouédraogo", "mariam@demo.tacit", "member", "fr", "West Africa",
     "Burkina Faso", "District sanitaire de Koudougou"),
    ("siti", "Siti Rahmawati", "siti@demo.tacit", "member", "en", "Asia", "Indonesia",
     "Puskesmas Sleman"),
    ("nguyen", "Nguyễn Thị Lan", "lan@demo.tacit", "member", "en", "Asia", "Vietnam",
     "Hanoi Provincial Health Department"),
    ("joseph", "Joseph Mwangi", "joseph@demo.tacit", "member", "en", "East Africa", "Tanzania",
     "Mwanza Regional Hospital"),
    ("fatou", "Fatou Ndiaye", "fatou@demo.tacit", "member", "fr", "West Africa", "Senegal",
     "Poste de santé de Thiès"),
]


def seed_demo(*, only_if_empty: bool = False) -> bool:
    """Create the demo users (idempotent); returns False when skipped."""
    if only_if_empty and db.session.scalar(select(func.count(User.id))):
        return False
    for username, name, email, role, locale, region, country, org in DEMO_USERS:
        if db.session.scalar(select(User.id).where(User.username_key == username)):
            continue
        user = register_user(username, email, DEMO_PASSWORD, name, role=role, locale=locale,
                             system=True)
        update_profile(user, user, locale=locale, region=region, country=country,
                       organization=org)
    return True


def print_logins() -> None:
    """Print the demo logins for the README's `make run`."""
    click.echo("")
    click.echo(f"Demo logins (password for every account: {DEMO_PASSWORD}):")
    for username, name, _email, role, locale, *_rest in DEMO_USERS:
        click.echo(f"  {username:<10} {role:<9} {locale}  {name}")
    click.echo("")

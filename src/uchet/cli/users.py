"""``uchet users``: manage the users of a database."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import click

from uchet.cli.common import opened, platform_options
from uchet.platform.model.config import Configuration


def resolve_roles(config: Configuration, roles: Sequence[str]) -> list[str]:
    """Role ids from ids or names; unknown ones are left for the user store to refuse."""
    result = []
    for r in roles:
        try:
            result.append(config.role(r).id)
        except KeyError:
            result.append(r)
    return result


@click.group("users")
def users_group() -> None:
    """Manage the users of a database."""


@users_group.command("add")
@click.argument("login")
@click.option(
    "--role",
    "-r",
    "roles",
    multiple=True,
    required=True,
    help="A role id or name; repeat for more.",
)
@click.option("--password", default=None, help="The password (default: a random one, printed).")
@click.option("--name", default=None, help="The user's display name (default: the login).")
@platform_options
def users_add(
    login: str,
    roles: tuple[str, ...],
    password: str | None,
    name: str | None,
    config: str | None,
    database: str | None,
    overlays: tuple[str, ...],
) -> None:
    """Add the user LOGIN with one or more roles."""
    given = password
    password = password or secrets.token_urlsafe(12)
    with opened(config, database, overlays, migrated=True) as platform:
        role_ids = resolve_roles(platform.config, roles)
        user = platform.users.create(login, password, name=name, roles=role_ids)
    click.echo(f"Added user {user.login} (id {user.id}, roles {', '.join(user.roles)}).")
    if given is None:
        click.echo(f"Password: {password}  (generated: note it now, it is not shown again)")


@users_group.command("list")
@platform_options
def users_list(config: str | None, database: str | None, overlays: tuple[str, ...]) -> None:
    """List the users: login, name and roles."""
    with opened(config, database, overlays, migrated=True) as platform:
        found = platform.users.all()
    if not found:
        click.echo("No users.")
        return
    width = max(len(u.login) for u in found)
    for u in found:
        click.echo(f"{u.login:<{width}}  {', '.join(u.roles) or '-':<20}  {u.name}")

"""``uchet serve``: the web application for development."""

from __future__ import annotations

import click

from uchet.cli.common import EXIT_CODES_HELP, handle_errors, open_platform, platform_options
from uchet.cli.init import initialise


@click.command("serve", epilog=EXIT_CODES_HELP)
@platform_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--admin-password",
    default=None,
    help="Password of the administrator created on first start (default: a random one).",
)
def serve_command(
    config: str | None,
    database: str | None,
    overlays: tuple[str, ...],
    host: str,
    port: int,
    admin_password: str | None,
) -> None:
    """Start the web application for development (production: see docs/deploy.md).

    A new database is initialised first, with an administrator whose login and password
    are printed.
    """
    # Imported here, not at the top: the web layer (Flask, Flask-Admin) is the heaviest part
    # and only this command needs it; every other command starts without it.
    from uchet.web import create_app

    password = None
    with handle_errors(config):
        # Not opened(): the platform lives as long as the server, which owns it from here.
        platform = open_platform(config, database, overlays)
        if platform.current_version() is None or not platform.plan().is_empty:
            password = initialise(platform, "admin", admin_password)
        app = create_app(platform)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    click.echo(f"uchet is running at http://{shown}:{port}/  (Ctrl+C stops it)")
    if password is not None:
        click.echo(f"Log in as: admin  password: {password}")
    else:
        click.echo("Log in with an existing account (`uchet users list`, `uchet users add`).")
    app.run(host=host, port=port, threaded=True, use_reloader=False)

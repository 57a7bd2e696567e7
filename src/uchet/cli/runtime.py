"""``uchet`` commands that work with the data of an initialised database: the job worker,
reports, phone lookup, notifications and recomputing stored rollups. Registered on the main
group by :mod:`uchet.cli`.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import click

from uchet.cli.common import fail, opened, platform_options
from uchet.core import Platform
from uchet.platform.features.jobs import DEFAULT_LEASE
from uchet.platform.features.reports import export_xlsx
from uchet.platform.records.users import SYSTEM, User


def acting_user(platform: Platform, login: str | None) -> User:
    """The acting user: ``--as LOGIN``, or the system actor."""
    if not login:
        return SYSTEM
    user = platform.users.find(login)
    if user is None:
        fail(f"no user with login {login!r}")
    return user


as_option = click.option(
    "--as",
    "as_login",
    default=None,
    metavar="LOGIN",
    help="Act as this user (their rights and row rules apply); default: the system actor.",
)


@click.command()
@platform_options
@click.option("--once", is_flag=True, help="Run the jobs due now, then exit.")
@click.option(
    "--interval",
    default=5.0,
    show_default=True,
    type=float,
    help="Seconds between looks for due jobs.",
)
@click.option(
    "--lease",
    default=DEFAULT_LEASE,
    show_default=True,
    type=click.FloatRange(min=1.0),
    help="Seconds a claimed job stays this worker's; a job of a worker that died is run "
    "again by another one after this long. Longer than your slowest job.",
)
def worker(
    config: str | None,
    database: str | None,
    overlays: tuple[str, ...],
    once: bool,
    interval: float,
    lease: float,
) -> None:
    """Run background jobs: reminders, notifications, e-mail (SMTP: UCHET_SMTP_HOST…),
    scheduled backups and reports.

    Any number of workers may run at once, on any machines: each job runs once. A job
    held by a worker that died is run again when its lease expires.
    """
    with opened(config, database, overlays, migrated=True) as platform:
        from uchet.printeditor.printjob import register as register_print
        from uchet.web.export_jobs import register  # the export formats live in the web layer

        register(platform.jobs)
        register_print(platform.jobs, platform)  # mass print to one PDF (issue 21)
        w = platform.worker(lease=lease)
        if once:
            click.echo(f"Ran {w.run_once()} job(s).")
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        click.echo(f"Worker {w.worker_id} running every {interval:g} s (Ctrl+C stops it).")
        w.run(interval, stop)


@click.command()
@click.argument("report_id")
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A report parameter; repeat for more.",
)
@click.option(
    "--output",
    "output",
    default=None,
    type=click.Path(dir_okay=False),
    help="Write an .xlsx file instead of printing the rows.",
)
@as_option
@platform_options
def report(
    report_id: str,
    params: tuple[str, ...],
    output: str | None,
    as_login: str | None,
    config: str | None,
    database: str | None,
    overlays: tuple[str, ...],
) -> None:
    """Run the report REPORT_ID (its id or name) and print it or export it to xlsx."""
    values = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.UsageError(f"--param needs NAME=VALUE, not {item!r}")
        values[name.strip()] = value.strip()
    with opened(config, database, overlays) as platform:
        result = platform.report(report_id, acting_user(platform, as_login), values)
    if output:
        export_xlsx(result, output)
        click.echo(f"Wrote {len(result.rows)} row(s) of {result.label!r} to {output}")
        return
    table = [[_text(v) for v in row] for row in result.table()]
    widths = [min(40, max(len(row[i]) for row in table)) for i in range(len(table[0]))]
    click.echo(result.label)
    for n, row in enumerate(table):
        click.echo("  ".join(v[:40].ljust(w) for v, w in zip(row, widths)).rstrip())
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))
    click.echo(f"({len(result.rows)} row(s))")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    return str(value)


@click.command()
@click.argument("phone")
@click.option("--table", "-t", default="clients", show_default=True, help="Table to look in.")
@as_option
@platform_options
def phone(
    phone: str,
    table: str,
    as_login: str | None,
    config: str | None,
    database: str | None,
    overlays: tuple[str, ...],
) -> None:
    """Find records by a phone number typed in any format (also their child records' phones)."""
    with opened(config, database, overlays) as platform:
        found = platform.phone_lookup(table, phone, user=acting_user(platform, as_login))
        title = platform.runtime.config.find_table(table)
        title_field = title.field_by_id(title.title_field).name if title.title_field else "id"
    if not found:
        click.echo("Nothing found.")
        raise click.exceptions.Exit(1)
    for f in found:
        hidden = "" if f.visible else "  (not yours: details hidden)"
        click.echo(f"#{f.id}  {f.values.get(title_field, '')}  via {', '.join(f.matched)}{hidden}")


@click.command()
@click.argument("login")
@click.option("--mark-read", is_flag=True, help="Mark them all read.")
@platform_options
def notifications(
    login: str,
    mark_read: bool,
    config: str | None,
    database: str | None,
    overlays: tuple[str, ...],
) -> None:
    """List the in-app notifications of the user LOGIN, newest first."""
    with opened(config, database, overlays) as platform:
        inbox = platform.notifications(acting_user(platform, login))
        items = inbox.list()
        if mark_read:
            inbox.mark_read()
    for n in items:
        mark = " " if n.read_at else "*"
        click.echo(f"{mark} {n.created_at:%Y-%m-%d %H:%M}  {n.title}")
    click.echo(f"({len(items)} notification(s))")


@click.command()
@click.argument("target", required=False, metavar="[TABLE[.FIELD]]")
@platform_options
def recompute(
    target: str | None, config: str | None, database: str | None, overlays: tuple[str, ...]
) -> None:
    """Compute stored rollups again from the child rows: all, a TABLE's, or TABLE.FIELD
    (with the stored rollups that read them). Uchet keeps them up to date on every write;
    run this after data changed outside uchet (raw SQL, a restored backup of one table)."""
    with opened(config, database, overlays) as platform:
        try:
            fixed = platform.recompute(target)
        except KeyError as e:
            fail(str(e.args[0]))
    for fid, count in fixed.items():
        click.echo(f"{fid}: {count} row(s) fixed")
    if not fixed:
        click.echo("No stored rollups.")


COMMANDS = (worker, report, phone, notifications, recompute)

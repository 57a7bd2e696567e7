"""``uchet config pack`` and ``uchet config unpack``: bundles as single zip files (issue 16).

A zip is a bundle everywhere a directory is (``--config X.zip``, ``UCHET_CONFIG``,
``uchet config check X.zip``, ``Platform.open("X.zip")``), so an integrator ships one file
named after the manifest's version.
"""

from __future__ import annotations

import click

from uchet.cli.common import EXIT_CODES_HELP, handle_errors, plural
from uchet.configurations.loader import load
from uchet.configurations.packing import manifest_of, pack, unpack


@click.command("pack", epilog=EXIT_CODES_HELP)
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    default=None,
    help="The zip to write, or a folder for NAME-VERSION.zip (default: here).",
)
@click.option("--no-check", is_flag=True, help="Pack without checking the configuration.")
def pack_command(directory: str, output: str | None, no_check: bool) -> None:  # fmt: skip
    """Pack the bundle DIRECTORY into a zip named after its manifest (NAME-VERSION.zip).

    The configuration is checked first, like `uchet config check`, so a broken bundle is
    not shipped.
    """
    with handle_errors(directory):
        if not no_check:
            load(directory)
        path, bundle = pack(directory, output)
    m = manifest_of(bundle)
    click.echo(f"Packed {m['name']} {m['version']} ({plural(len(bundle.files), 'file')}) "
               f"into {path}")  # fmt: skip


@click.command("unpack", epilog=EXIT_CODES_HELP)
@click.argument("archive", type=click.Path(dir_okay=False))
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Write into a directory that is not empty.")
def unpack_command(archive: str, directory: str, force: bool) -> None:
    """Unpack the bundle ARCHIVE (.zip) into DIRECTORY.

    Archives with paths that leave the directory, or too big unpacked, are refused before
    anything is written.
    """
    with handle_errors(archive):
        bundle = unpack(archive, directory, force=force)
    m = manifest_of(bundle)
    click.echo(f"Unpacked {m['name']} {m['version']} ({plural(len(bundle.files), 'file')}) "
               f"into {directory}")  # fmt: skip

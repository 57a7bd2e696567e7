"""``uchet backup`` and ``uchet restore`` (issue 20): a consistent copy of a running database
and its restore. The work is :mod:`uchet.platform.features.backup`'s; this prints it.

Overlays do not matter to a backup (they live in the configuration files, or in the
database, which is copied whole), so these commands take ``--config`` and ``--database``
only, and ``-o`` is the output file.
"""

from __future__ import annotations

import click

from uchet.cli.common import config_option, database_label, database_option, fail, opened
from uchet.platform.features.backup import (
    BackupError,
    Manifest,
    create_backup,
    restore_backup,
    verify,
)


def _describe(manifest: Manifest) -> str:
    config = (
        f"{manifest.config_name} {manifest.bundle_version} (version {manifest.config_version})"
        if manifest.config_name
        else "no configuration applied"
    )
    return (
        f"  made        {manifest.created_at} by uchet {manifest.uchet_version} "
        f"(system schema {manifest.schema_version})\n"
        f"  database    {manifest.backend}\n"
        f"  config      {config}\n"
        f"  files       {manifest.files} stored in the database ({manifest.file_bytes} bytes)\n"
        f"  dump        {manifest.dump}, {manifest.dump_size} bytes, "
        f"SHA-256 {manifest.sha256}"
    )


@click.command("backup")
@click.option(
    "--output", "-o", "output", default=None, type=click.Path(),
    help="The archive to write, or a folder to put it in (default: the working directory).",
)  # fmt: skip
@click.option(
    "--verify", "verify_file", default=None, type=click.Path(dir_okay=False),
    help="Check the backup FILE (checksum, format, version) instead of making one.",
)  # fmt: skip
@config_option
@database_option
def backup_command(
    output: str | None, verify_file: str | None, config: str | None, database: str | None
) -> None:
    """Make a consistent copy of the database while uchet runs (SQLite: its online backup;
    PostgreSQL: pg_dump), with the files stored in it, the configuration version and a
    checksum; or, with --verify FILE, check one."""
    if verify_file:
        try:
            manifest = verify(verify_file)
        except BackupError as e:
            fail(str(e))
        click.echo(f"OK: {verify_file} is intact.")
        click.echo(_describe(manifest))
        return
    with opened(config, database) as platform:
        try:
            path, manifest = create_backup(platform.engine, output or ".")
        except BackupError as e:
            fail(str(e))
        click.echo(f"Backed up {database_label(platform)} to {path}")
    click.echo(_describe(manifest))


@click.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option(
    "--force", is_flag=True,
    help="Replace the contents of a database that is not empty (a safety copy is made first).",
)  # fmt: skip
@click.option(
    "--safety-folder", default=None, type=click.Path(file_okay=False),
    help="Where the safety copy goes (default: the archive's folder).",
)  # fmt: skip
@config_option
@database_option
def restore_command(
    archive: str, force: bool, safety_folder: str | None, config: str | None,
    database: str | None,
) -> None:  # fmt: skip
    """Restore the backup ARCHIVE into the database: an empty one, or with --force the current
    one. A damaged backup, or one made by a newer configuration or uchet than this one, is
    refused and nothing is changed. Stop the web servers and workers first."""
    with opened(config, database) as platform:
        manifest_config = platform.loaded.config.manifest
        try:
            done = restore_backup(
                platform.engine, archive, force=force, safety_folder=safety_folder,
                config_name=manifest_config.name, bundle_version=manifest_config.version,
            )  # fmt: skip
        except BackupError as e:
            fail(f"{e}. Nothing was changed.")
        if done.safety_copy:
            click.echo(f"Safety copy of the previous contents: {done.safety_copy}")
        click.echo(f"Restored {archive} into {database_label(platform)}")
    click.echo(_describe(done.manifest))


COMMANDS = (backup_command, restore_command)

"""The ``uchet`` command: check configurations, plan and apply schema changes, manage users.

Every command takes its configuration from ``--config`` (default: ``UCHET_CONFIG``, else the
built-in ``sample_crm``) and its database from ``--database`` (default: ``UCHET_DATABASE_URL``,
else the SQLite file ``uchet.db`` in the working directory).

Exit codes are part of the interface, so scripts and CI can act on them:

====  ==========================================================================================
0     success, or nothing to do
1     the configuration is invalid (every problem is printed as ``FILE:POINTER: message``), or
      another refused request (unknown role, taken login, database not initialised...)
2     usage error (unknown option, missing argument: click's own)
3     a destructive change was refused: re-run with ``--allow-destructive`` after a backup
4     existing values will not convert to a new field type: choose what to do with them
5     the migration failed and was rolled back: the database is exactly as it was
====  ==========================================================================================

Expected errors (:class:`~uchet.platform.model.errors.UchetError`) are printed as messages,
never as tracebacks.

The package holds one module per command group; what they share (options, the error path,
:func:`~uchet.cli.common.opened`) is in :mod:`uchet.cli.common`. This module only puts the
groups together on :func:`main`:

- :mod:`~uchet.cli.config`: ``uchet config check``; :mod:`~uchet.cli.diff`: ``uchet config
  diff``; :mod:`~uchet.cli.upgrade`: ``uchet config upgrade``
- :mod:`~uchet.cli.migrate`: ``uchet migrate``
- :mod:`~uchet.cli.init`: ``uchet init``; :mod:`~uchet.cli.serve`: ``uchet serve``
- :mod:`~uchet.cli.users`: ``uchet users add|list``
- :mod:`~uchet.cli.runtime`: ``uchet worker|report|phone|notifications|recompute``
- :mod:`~uchet.cli.printing`: ``uchet print ...``
- :mod:`~uchet.cli.overlay`: ``uchet overlay export|import|history|revert``

- :mod:`~uchet.cli.imports`: ``uchet import``, ``uchet undo-import``
- :mod:`~uchet.cli.backup`: ``uchet backup``, ``uchet restore``
"""

from __future__ import annotations

import click

from uchet.cli.backup import COMMANDS as BACKUP_COMMANDS
from uchet.cli.common import EXIT_CODES_HELP
from uchet.cli.config import config_group
from uchet.cli.imports import COMMANDS as IMPORT_COMMANDS
from uchet.cli.init import init_command
from uchet.cli.migrate import migrate_command
from uchet.cli.overlay import overlay_group
from uchet.cli.printing import print_command
from uchet.cli.runtime import COMMANDS as RUNTIME_COMMANDS
from uchet.cli.serve import serve_command
from uchet.cli.users import users_group

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES_HELP)
@click.version_option(package_name="uchet")
def main() -> None:
    """uchet: a low-code data platform. Configurations are JSON; this checks and applies them."""


# In the order the commands were added before the package split (``--help`` sorts them anyway).
for _command in (
    config_group,
    migrate_command,
    init_command,
    users_group,
    serve_command,
    print_command,
    *RUNTIME_COMMANDS,
    overlay_group,
    *IMPORT_COMMANDS,
    *BACKUP_COMMANDS,
):
    main.add_command(_command)

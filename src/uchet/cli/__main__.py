"""``python -m uchet.cli``: the ``uchet`` command without an installed script."""

from uchet.cli import main

main()

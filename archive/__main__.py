"""``python -m archive``: the same command line as the ``archive`` command."""

from archive.cli import main

main(prog_name="archive")

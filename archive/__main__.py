from archive.cli import main

main(prog_name="archive")

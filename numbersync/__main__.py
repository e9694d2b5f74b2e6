"""Allows `python -m numbersync`."""

from numbersync.cli import main

main()

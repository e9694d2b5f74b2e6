"""numbersync: the settings of a Close organization's phone numbers, kept in Git."""

__version__ = "0.4.0"

"""quiz: a terminal study tool whose every answer cites its source."""

__version__ = "0.1.0"

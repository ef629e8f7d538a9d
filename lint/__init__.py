"""connlint: find HTTP connection-closing anti-patterns in Go and Python."""

__version__ = "0.1.0"

"""The error a source raises when a whole batch cannot be read."""


class SourceError(Exception):
    """A batch that cannot be read at all; the message names the file and what to do."""

"""Errors that the CLI turns into one-line messages and documented exit codes."""

EXIT_OK = 0
EXIT_DIFFERENT = 1  # differences or findings
EXIT_ERROR = 2  # usage, input or connection error


class TfdataError(Exception):
    """A failure the user can act on; str() is the one-line message."""

    exit_code = EXIT_ERROR


class InputError(TfdataError):
    """Malformed input file (dump, snapshot, config): names the file and place."""


class ConnectionFailed(TfdataError):
    """A service could not be reached or refused our credentials."""


class TargetNotEmpty(TfdataError):
    """A writing command would clobber data and --force was not given."""


class NotImplementedYet(TfdataError):
    """A command exists in the CLI but its issue has not landed."""


class VersionNotServed(TfdataError):
    """A Cassandra version, or an OLD/NEW pair of them, that tfdata does not copy between."""

"""The exceptions of the toolkit.

The library raises them; the CLI prints their message on one line and exits with status 1.
Each also inherits the built-in exception it refines, so callers may catch either.
"""


class RepairError(Exception):
    """Root of every error the toolkit reports to its user."""


class InputNotFoundError(RepairError, FileNotFoundError):
    """A file or folder the user named does not exist."""


class DataFormatError(RepairError, ValueError):
    """A data file exists but does not hold what the toolkit needs."""


class ModelError(RepairError, ValueError):
    """A model cannot be loaded, or does not fit the data it is used with."""


class PluginNotFoundError(RepairError, LookupError):
    """No plugin (dataset, model or repair method) is registered under a name."""


class ConfigError(RepairError, ValueError):
    """A setting has a value outside what it accepts."""


class OutputDirError(RepairError, OSError):
    """An output folder cannot be written: a file is in its place, or it is read-only."""

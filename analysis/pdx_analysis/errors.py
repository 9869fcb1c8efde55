"""The errors this package raises on purpose (layer 0: imports nothing of
the package). Every one derives from :class:`PdxError`, a
:class:`ValueError`, so the command line turns them into exit code 2."""

class PdxError(ValueError):
    """Base class of every error this package raises on purpose."""


class PdxFileError(PdxError):
    """The path is missing, unreadable, not HDF5, or not a pdx result file."""


class PdxFileNotFoundError(PdxFileError, FileNotFoundError):
    """The path does not exist (also a :class:`FileNotFoundError`)."""

    def __init__(self, path):
        super().__init__(f"{path}: no such file")
        self.filename = path

    def __str__(self):
        return self.args[0]


class PdxNameError(PdxError, LookupError):
    """An axis or variable name that the file does not have (or that is
    ambiguous); the message lists the candidates."""


class PdxValueError(PdxError):
    """A bad value: a time or coordinate selection, a reduction, etc."""


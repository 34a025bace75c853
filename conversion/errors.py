"""The project's exceptions: each message names the file, line or value, and what to do."""

import importlib


class Lens2LogitError(Exception):
    """Base class of every error raised by lens2logit."""


class InvalidArgumentError(Lens2LogitError, ValueError):
    """An argument has a value the function does not take: an unknown name, an option out of range."""


class ArgumentTypeError(Lens2LogitError, TypeError):
    """An argument is not of a type the function takes."""


class ArchiveNotFoundError(Lens2LogitError, FileNotFoundError):
    """The archive, or a part of it that the dataset needs, is not there."""


class UnsafeArchiveError(Lens2LogitError, ValueError):
    """An archive member has an absolute path, a `..` part or is a link."""


class ArchiveLayoutError(Lens2LogitError, ValueError):
    """Folders or files do not match the layout of the Lens2Logit archive."""


class LabelFileError(Lens2LogitError, ValueError):
    """A line of a label file is malformed, duplicated or names an unknown image or class."""


class ImageFormatError(Lens2LogitError, ValueError):
    """An image cannot be decoded, or has the wrong shape or dtype."""


class PackageExistsError(Lens2LogitError, FileExistsError):
    """The output folder exists and overwriting was not asked for."""


class DownloadError(Lens2LogitError, ConnectionError):
    """A file of the Zenodo record could not be listed or downloaded."""


class ChecksumError(Lens2LogitError, ValueError):
    """A downloaded file does not have the size or md5 checksum its record lists."""


class CorruptArchiveError(Lens2LogitError, ValueError):
    """A zip of the archive, or one of its members, is truncated or damaged."""


class OutputError(Lens2LogitError, OSError):
    """The output folder cannot be written safely: it overlaps the input, holds other files, or is being written."""


class PackageError(Lens2LogitError, ValueError):
    """A file of a converted package is missing, unreadable or disagrees with the package's infos."""


class PackageCheckError(Lens2LogitError, ValueError):
    """The package fails `lens2logit check`, so it is not pushed."""


class PushError(Lens2LogitError, ConnectionError):
    """The Hub could not be reached, or refused the repository or the upload."""


class MissingExtraError(Lens2LogitError, ImportError):
    """An optional package that a use needs is not installed; the message names the extra that installs it."""


def import_optional(module: str, extra: str, use: str):
    """`importlib.import_module(module)`, or a MissingExtraError naming the extra: optional packages are imported
    where they are used, and a missing one is one line that says what to install."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = module.split(".")[0]
        raise MissingExtraError(f'{use}: {package} is not installed; pip install "lens2logit[{extra}]"') from error

"""Errors of release signing: one root, so the CLI reports each with exit status 2."""


class SigningError(Exception):
    """A key, repository or release that cannot be used as asked (message says which and why)."""


class KeyFileError(SigningError):
    """A key file that is missing, unreadable, of the wrong role or wrongly protected."""


class RepositoryError(SigningError):
    """Repository metadata that is missing, inconsistent, or a change the roles do not allow."""

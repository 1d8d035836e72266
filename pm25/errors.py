"""The error types of the shared core. Few roots, so callers can catch exactly what they handle."""


class Pm25Error(Exception):
    """Root of every error raised by the shared core."""


class WireError(Pm25Error, ValueError):
    """A payload or topic that does not follow the wire contract.

    Raised for anything a peer sent that we cannot accept: not JSON, not UTF-8, oversized,
    wrong types, missing fields, unknown or wrong schema version, a topic outside the contract.
    The message says what is wrong in words an operator can act on.
    """


class ManifestError(Pm25Error, ValueError):
    """A model manifest that is malformed, inconsistent, or does not match its artifacts."""


class PreprocessError(Pm25Error, ValueError):
    """A frame or region of interest that cannot be turned into model input."""

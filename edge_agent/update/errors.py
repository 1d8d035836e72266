"""Errors of the device updater: three kinds the update loop handles differently."""

from edge_agent.errors import EdgeAgentError


class UpdateError(EdgeAgentError):
    """Root of every update failure; the active model is never touched by one."""


class VerificationError(UpdateError):
    """Verification failed (signature, hash, length, version, expiry): never retried as-is."""


class TransferError(UpdateError):
    """The repository could not be reached or the transfer broke: retried within the budget."""


class SelfTestError(UpdateError):
    """A verified release that does not load, fails its goldens or its latency budget."""

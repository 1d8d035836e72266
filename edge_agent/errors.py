"""The error types of the edge agent: few roots, so each stage catches exactly what it handles."""


class EdgeAgentError(Exception):
    """Root of every error the edge agent raises on purpose."""


class CameraError(EdgeAgentError):
    """A camera that cannot be opened or stopped delivering frames (the supervisor reopens it)."""


class ModelLoadError(EdgeAgentError):
    """A model that cannot be used: missing, corrupt, unlike its manifest, failing self-test."""


class ConfigError(EdgeAgentError, ValueError):
    """A configuration that is invalid or asks for something this unit does not have."""


class InferenceError(EdgeAgentError):
    """The runtime failed on one frame: that frame is lost, the agent carries on."""


class ConfigFieldError(ConfigError):
    """A configuration that fails validation; ``problems`` names each bad field and why."""

    def __init__(self, source: str, problems: str) -> None:
        super().__init__(f"invalid configuration in {source}: {problems}")
        self.problems = problems

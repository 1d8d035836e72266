"""`RepositoryStore`: the repository directory as TUF metadata objects (layout in `pm25.ota`)."""

from __future__ import annotations

from typing import Any

from tuf.api.metadata import Metadata, TargetFile
from tuf.api.serialization.json import JSONSerializer

from pm25.ota import RepositoryFiles
from training.signing.errors import RepositoryError


class RepositoryStore(RepositoryFiles):
    """Loads and stores signed metadata and target files of one repository directory."""

    def exists(self) -> bool:
        """Whether the repository has root metadata."""
        return (self.metadata_dir / "root.json").exists()

    def load(self, role: str, version: int | None = None) -> Metadata[Any]:
        """Metadata of a role: a given version or the latest; RepositoryError if absent."""
        try:
            return Metadata.from_bytes(self.read(role, version))
        except OSError as e:
            raise RepositoryError(f"no {role} metadata in {self.metadata_dir}: {e.strerror}") from e

    def store(self, md: Metadata[Any]) -> None:
        """Write signed metadata under its versioned name."""
        try:
            self.write(md.signed.type, md.signed.version, md.to_bytes(JSONSerializer(False)))
        except FileExistsError as e:
            raise RepositoryError(str(e)) from e

    def add_target(
        self, target_path: str, data: bytes, custom: dict[str, Any] | None = None
    ) -> TargetFile:
        """Store a target file; its TargetFile entry for targets metadata."""
        info = TargetFile.from_data(target_path, data, ["sha256"])
        if custom is not None:
            info.unrecognized_fields["custom"] = custom
        self.write_target(target_path, info.hashes["sha256"], data)
        return info

"""Ed25519 keys of the four TUF roles, as files: private PEM (mode 0600, optionally encrypted).

A key file is ``<role>-<keyid prefix>.pem``; the role is part of the name so a loader can refuse
a key of the wrong role before it signs anything. Private key bytes are never printed or logged.
The public half is derived from the private key; ``<same>.pub.json`` holds it for people who
must build root metadata without holding the private key.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, get_args

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner, Key, SSlibKey

from training.signing.errors import KeyFileError

Role = Literal["root", "targets", "snapshot", "timestamp"]
ROLES: Final[tuple[Role, ...]] = get_args(Role)
PASSPHRASE_ENV: Final = "PM25_KEY_PASSPHRASE"


@dataclass(frozen=True)
class KeyFile:
    """A generated key: its role, id and private-key file."""

    role: Role
    keyid: str
    path: Path


def generate_key(keys_dir: Path, role: Role, passphrase: bytes | None = None) -> KeyFile:
    """Create a new ed25519 key for `role` in `keys_dir` (0600; encrypted if a passphrase given)."""
    if role not in ROLES:
        raise KeyFileError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = Ed25519PrivateKey.generate()
    signer = CryptoSigner(private)
    keyid = signer.public_key.keyid
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    path = keys_dir / f"{role}-{keyid[:16]}.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    public = {"role": role, "keyid": keyid, "key": signer.public_key.to_dict()}
    path.with_suffix(".pub.json").write_text(json.dumps(public, indent=2) + "\n")
    return KeyFile(role, keyid, path)


def role_of(path: Path) -> str:
    """The role a key file names (``targets-ab12….pem`` → ``targets``)."""
    return path.name.split("-", 1)[0]


def load_signer(path: Path, role: Role, passphrase: bytes | None = None) -> CryptoSigner:
    """Load a private key of `role`; KeyFileError if absent, of another role or group-readable."""
    if role_of(path) != role:
        raise KeyFileError(f"{path.name}: not a {role} key (file names role {role_of(path)!r})")
    try:
        mode = path.stat().st_mode & 0o077
        data = path.read_bytes()
    except OSError as e:
        raise KeyFileError(f"{path}: cannot read key: {e.strerror}") from e
    if mode and passphrase is None:
        raise KeyFileError(f"{path}: unencrypted private key readable by others; chmod 600")
    try:
        private = serialization.load_pem_private_key(data, password=passphrase)
    except (ValueError, TypeError) as e:
        raise KeyFileError(f"{path}: not a usable private key (wrong passphrase?)") from e
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an ed25519 key")
    return CryptoSigner(private)


def load_public(path: Path) -> Key:
    """The public key of a ``.pub.json`` file (or of the ``.pem`` next to it)."""
    pub = path if path.name.endswith(".pub.json") else path.with_suffix(".pub.json")
    try:
        data = json.loads(pub.read_text())
        return SSlibKey.from_dict(data["keyid"], dict(data["key"]))
    except (OSError, ValueError, KeyError) as e:
        raise KeyFileError(f"{pub}: not a public key file") from e


def passphrase_from_env() -> bytes | None:
    """The key passphrase from ``PM25_KEY_PASSPHRASE``, if set."""
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode() if value else None

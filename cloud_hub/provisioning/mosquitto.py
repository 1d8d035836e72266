"""Mosquitto's password file and reload signal: the only code that touches broker files.

Hashes use Mosquitto 2's ``$7$`` format: PBKDF2-HMAC-SHA512, 101 iterations (Mosquitto's own
default), a 12-byte random salt, standard base64: ``$7$101$<salt>$<hash>``. The file is rewritten
whole to a temporary file and moved into place, so the broker never reads half a file; then the
broker gets SIGHUP and reloads it together with the ACL.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import signal
import tempfile
from pathlib import Path

from cloud_hub.errors import StoreUnavailable, ValidationFailed

ITERATIONS = 101
SALT_BYTES = 12


def hash_password(password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """A Mosquitto ``$7$`` password hash."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    b64 = base64.b64encode
    return f"$7${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def read_entries(path: Path) -> dict[str, str]:
    """``username -> hash`` from a password file; a missing file is empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise StoreUnavailable(f"cannot read broker password file {path}: {e}") from e
    entries: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            user, sep, hashed = line.partition(":")
            if sep:
                entries[user] = hashed
    return entries


def set_user(path: Path, username: str, password: str | None) -> None:
    """Add or replace ``username`` (``password`` None removes it), atomically."""
    if not username or ":" in username or "\n" in username:
        raise ValidationFailed(f"invalid MQTT username {username!r}")
    entries = read_entries(path)
    if password is None:
        entries.pop(username, None)
    else:
        entries[username] = hash_password(password)
    body = "".join(f"{user}:{hashed}\n" for user, hashed in sorted(entries.items()))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".passwd-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as e:
        raise StoreUnavailable(f"cannot write broker password file {path}: {e}") from e


def reload_broker(pid_file: Path | None) -> bool:
    """Send SIGHUP to the broker named by ``pid_file``; False when there is none to signal."""
    if pid_file is None:
        return False
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError) as e:
        raise StoreUnavailable(f"cannot signal the broker via {pid_file}: {e}") from e
    return True

"""API keys: created once, shown once, stored only as SHA-256 hashes (``keys.json``).

Keys are 32 random bytes, so a fast hash is enough: nobody can guess the preimage.  A key reads
``ig_<id>_<secret>``; its id is public and names the editor in provenance records.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from intimacy_graph.errors import IntimacyGraphError


class Role(StrEnum):
    READER = "reader"
    EDITOR = "editor"


class AuthError(IntimacyGraphError):
    """No key, or a key that is not valid (HTTP 401)."""

    code = "unauthorized"


class ForbiddenError(IntimacyGraphError):
    """A valid key without the role the request needs (HTTP 403)."""

    code = "forbidden"


@dataclass(frozen=True)
class ApiKey:
    id: str
    role: Role
    name: str
    created: str
    sha256: str
    revoked: bool = False


class KeyRing:
    """The keys of one deployment, in ``<data_dir>/keys.json`` (mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._cache: tuple[float, dict[str, ApiKey]] | None = None

    def _load(self) -> dict[str, ApiKey]:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return {}
        if self._cache and self._cache[0] == mtime:
            return self._cache[1]
        raw = json.loads(self.path.read_text(encoding="utf-8"))
        keys = {k["id"]: ApiKey(**{**k, "role": Role(k["role"])}) for k in raw.get("keys", [])}
        self._cache = (mtime, keys)
        return keys

    def _save(self, keys: dict[str, ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        data = {"keys": [{**asdict(k), "role": str(k.role)} for k in keys.values()]}
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self.path)
        self._cache = None

    def create(self, role: Role, name: str = "") -> tuple[str, ApiKey]:
        """Create a key; returns the secret (shown once) and its stored record."""
        with self._lock:
            keys = self._load()
            key_id = secrets.token_hex(4)
            while key_id in keys:
                key_id = secrets.token_hex(4)
            secret = f"ig_{key_id}_{secrets.token_urlsafe(32)}"
            record = ApiKey(
                key_id,
                role,
                name,
                datetime.now(UTC).isoformat(timespec="seconds"),
                hashlib.sha256(secret.encode()).hexdigest(),
            )
            keys = {**keys, key_id: record}
            self._save(keys)
            return secret, record

    def list(self) -> list[ApiKey]:
        return sorted(self._load().values(), key=lambda k: k.created)

    def revoke(self, key_id: str) -> bool:
        with self._lock:
            keys = dict(self._load())
            if key_id not in keys:
                return False
            keys[key_id] = ApiKey(**{**asdict(keys[key_id]), "revoked": True})
            self._save(keys)
            return True

    def verify(self, secret: str) -> ApiKey:
        """The key record for a presented secret; raises :class:`AuthError` if invalid."""
        parts = secret.split("_", 2)
        if len(parts) != 3 or parts[0] != "ig":
            raise AuthError("The API key is not valid.")
        record = self._load().get(parts[1])
        digest = hashlib.sha256(secret.encode()).hexdigest()
        if record is None or record.revoked or not hmac.compare_digest(digest, record.sha256):
            raise AuthError("The API key is not valid.")
        return record

    def require(self, authorization: str | None, role: Role) -> ApiKey:
        """Check an ``Authorization: Bearer`` header for ``role``."""
        if not authorization:
            raise AuthError("This request needs an API key: send 'Authorization: Bearer <key>'.")
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthError("Send the API key as 'Authorization: Bearer <key>'.")
        record = self.verify(secret.strip())
        if role is Role.EDITOR and record.role is not Role.EDITOR:
            raise ForbiddenError("This request needs an editor key; this key may only read.")
        return record

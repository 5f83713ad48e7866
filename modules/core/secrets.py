"""How the portal keeps the secrets it hands out (API tokens, programs' secrets, readers' keys, calendar
addresses): only their SHA-256, looked up by it. They are random and long (32 bytes or more from `secrets`),
so a plain hash suffices: there is no dictionary to try, and no salt or slow hash is needed (a password is
another matter: Django's hashers keep those)."""

from __future__ import annotations

import hashlib


def secret_hash(secret: str) -> str:
    """The hex SHA-256 a handed-out secret is stored and found by."""
    return hashlib.sha256(secret.encode()).hexdigest()

"""Adviser accounts of the console: hashed passwords in a YAML file, read at call time.

The file (``config.console_accounts_file()``, ``SPRO_CONSOLE_ACCOUNTS``) looks like::

    advisers:
      - username: cmartin
        name: Claire Martin
        password_hash: "scrypt$16384$8$1$<salt>$<hash>"
        role: pilotage        # optional: "conseiller" (default) or "pilotage"

The console admits advisers only; the steering dashboard (channels/dashboard) admits
"pilotage" accounts only. Hashes come from ``python -m channels.console hash-password``.
The file is re-read when it changes, so adding or removing an adviser needs no restart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot import config

# scrypt cost: ~50 ms and 16 MiB per check on a small server.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 12
ROLES = {
    "conseiller": "Conseiller ou conseillère",
    "pilotage": "Pilotage (tableau de bord)",
}


class AccountsError(ValueError):
    """The accounts file cannot be used; the message says why, in French."""


@dataclass(frozen=True)
class Adviser:
    """A tele-adviser who may use the console."""

    username: str
    name: str
    password_hash: str
    role: str = "conseiller"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password``, as one self-describing string."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountsError(
            f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères."
        )
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the ``stored`` hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# A hash to check against when the username is unknown, so that timing does not tell
# which usernames exist.
_DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$" + _b64(bytes(32))


def parse_accounts(text: str, source: str = "accounts") -> dict[str, Adviser]:
    """Advisers described by a YAML text.

    Raise ``AccountsError`` in French when invalid.
    """
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise AccountsError(f"{source} : YAML illisible ({error}).") from None
    entries = data.get("advisers") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise AccountsError(f"{source} : une liste « advisers » est attendue.")
    advisers: dict[str, Adviser] = {}
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise AccountsError(f"{source}, compte n° {index} : un objet est attendu.")
        username = str(entry.get("username", "")).strip().lower()
        password_hash = str(entry.get("password_hash", ""))
        if not _USERNAME.match(username):
            raise AccountsError(
                f"{source}, compte n° {index} : identifiant invalide (2 à 64 "
                "caractères, "
                "minuscules, chiffres, « . », « _ », « - »)."
            )
        if not password_hash.startswith("scrypt$") or password_hash.count("$") != 5:
            raise AccountsError(
                f"{source}, compte « {username} » : « password_hash » doit venir de "
                "`python -m channels.console hash-password` (jamais un mot de "
                "passe en clair)."
            )
        if username in advisers:
            raise AccountsError(
                f"{source} : l'identifiant « {username} » est en double."
            )
        name = str(entry.get("name") or username).strip()
        role = str(entry.get("role") or "conseiller").strip()
        if role not in ROLES:
            raise AccountsError(
                f"{source}, compte « {username} » : rôle inconnu « {role} » "
                f"(valeurs : {', '.join(ROLES)})."
            )
        advisers[username] = Adviser(username, name, password_hash, role)
    return advisers


class AccountBook:
    """The accounts file, re-read when its modification time changes."""

    def __init__(self, path: Path | None = None, role: str = "conseiller") -> None:
        """``path`` overrides the configured file (tests).

        Only accounts of ``role`` count.
        """
        self._path = path
        self.role = role
        self._stamp: tuple[Path, float] | None = None
        self._advisers: dict[str, Adviser] = {}

    @property
    def path(self) -> Path:
        """The accounts file in use."""
        return self._path or config.console_accounts_file()

    def advisers(self) -> dict[str, Adviser]:
        """All accounts of this book's role; an absent file means nobody can sign in."""
        path = self.path
        try:
            stamp = (path, path.stat().st_mtime)
        except FileNotFoundError:
            return {}
        if stamp != self._stamp:
            accounts = parse_accounts(path.read_text(encoding="utf-8"), str(path))
            self._advisers = {u: a for u, a in accounts.items() if a.role == self.role}
            self._stamp = stamp
        return self._advisers

    def authenticate(self, username: str, password: str) -> Adviser | None:
        """The adviser when the password is right, else None (same cost either way)."""
        adviser = self.advisers().get(username.strip().lower())
        ok = verify_password(
            password, adviser.password_hash if adviser else _DUMMY_HASH
        )
        return adviser if adviser and ok else None

    def get(self, username: str) -> Adviser | None:
        """The adviser still listed under ``username``.

        Removed accounts lose access.
        """
        return self.advisers().get(username)

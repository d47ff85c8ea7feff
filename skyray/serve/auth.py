"""Who may use a ``skyray serve`` endpoint: an optional API key and the exposure rule.

- ``api_key_env`` names an environment variable holding the key; clients send it as
  ``Authorization: Bearer <key>`` (as with ``vllm serve --api-key``), anything else gets 401.
  Only the key's SHA-256 reaches the app (Ray Serve deployment arguments, a child's argv), so
  the key itself is never stored by Ray or visible in ``ps``.
- A host other than loopback is refused without a key, unless ``allow_unauthenticated`` says
  so on purpose; either way a warning is logged.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os

logger = logging.getLogger(__name__)
PUBLIC_ROUTES = ("health",)  # answered without a key (liveness probes)


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a hostname: assume it resolves beyond this machine


def api_key(api_key_env: str) -> str | None:
    """The key from ``$api_key_env`` (None when no variable is named); a named but unset or
    empty variable is an error, not a silently open server."""
    if not api_key_env:
        return None
    key = os.environ.get(api_key_env, "")
    if not key:
        raise ValueError(f"serve.api_key_env: ${api_key_env} is not set or empty")
    return key


def key_digest(key: str | None) -> str | None:
    return hashlib.sha256(key.encode()).hexdigest() if key else None


def check_exposure(host: str, port: int, key: str | None, allow_unauthenticated: bool) -> None:
    """Refuse a non-loopback host without a key (unless allowed); warn whenever it is exposed."""
    if is_loopback(host):
        return
    where = f"{host}:{port or '<free port>'}"
    if key:
        logger.warning("serve: listening on %s, beyond this machine; API key required", where)
        return
    if not allow_unauthenticated:
        raise ValueError(
            f"serve: host={host} exposes the server beyond this machine without authentication; "
            "set api_key_env=VAR (clients send $VAR as a Bearer token), or pass "
            "allow_unauthenticated=true (--insecure) to serve anyone who can reach it"
        )
    logger.warning(
        "serve: listening on %s WITHOUT authentication (allow_unauthenticated): anyone who can "
        "reach it can use the model",
        where,
    )


def authorized(header: str | None, digest: str | None) -> bool:
    """True when no key is set, or ``header`` is ``Bearer <the key>``."""
    if digest is None:
        return True
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    return hmac.compare_digest(hashlib.sha256(token.strip().encode()).hexdigest(), digest)

"""What a test does when a service or artefact it needs is missing.

On a developer's machine the test is skipped and says why. In CI (`CI=true`), where
`.ci/run` (= `make test`) is meant to provide PostgreSQL, Redis, Chromium, nginx and the
trained model, it fails: a skip there would hide that a part of the product went untested.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def unavailable(reason: str, fix: str = "") -> NoReturn:
    """Skip (locally) or fail (CI=true) the running test; `fix` says what provides the service."""
    if in_ci():
        pytest.fail(
            f"{reason}. CI must provide it{': ' + fix if fix else ''} (a local run skips this test).", pytrace=False
        )
    pytest.skip(reason)


def redis_unavailable(host: str = "127.0.0.1", port: int = 6379) -> str | None:
    """None if Redis answers, else why the tests that need it cannot run."""
    import redis

    try:
        redis.Redis(host=host, port=port, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis not reachable at {host}:{port} ({error.__class__.__name__})"
    return None

"""Unit-test settings: cheap password hashes so tests that create many members stay fast."""

import functools

import pytest
from werkzeug.security import generate_password_hash

from community import accounts


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):
    # check_password_hash reads the method from the stored hash, so checks still run for real.
    monkeypatch.setattr(
        accounts, "generate_password_hash", functools.partial(generate_password_hash, method="pbkdf2:sha256:1000")
    )

from __future__ import annotations

import pytest


@pytest.fixture
def office(as_user, admin, school):
    """The test client signed in as the office administrator, with the small school in place."""
    return as_user(admin)

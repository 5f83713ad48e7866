"""Who may use the privacy pages."""

from __future__ import annotations

from modules.accounts.rules import is_administrator, is_guardian


def may_see_data_requests(user) -> bool:
    """The office (every request) and guardians (their own, and asking for their children's data)."""
    return is_administrator(user) or is_guardian(user)

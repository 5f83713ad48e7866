"""Who may open the office's fee pages: the bursar and the office."""

from __future__ import annotations

from modules.core.access import role_required
from modules.fees.models import fee_staff

# Fee pages of the office: the bursar and administrators (403 for anyone else signed in; visitors go to log
# in). Kept as a name because some thirty views carry it; the family's pages use
# `@role_required(accounts.rules.is_guardian)`.
fee_staff_required = role_required(fee_staff)

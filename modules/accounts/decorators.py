from __future__ import annotations

from modules.accounts import rules
from modules.core.access import role_required

# Office pages: signed in, and holding the administrator position (403 otherwise). Kept as a name because
# some eighty views carry it; any other role check is `@role_required(<rule>)` at the view.
administrator_required = role_required(rules.is_administrator)

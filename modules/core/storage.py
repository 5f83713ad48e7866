"""Static files as production serves them: hashed names (cached for ever), compressed, and JavaScript
modules' `import ... from "./x.js"` rewritten to the hashed name, so a browser never pairs a new register.js
with a cached old live_grid.js after a deploy."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True

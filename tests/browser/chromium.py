"""How the browser tests and the browser benchmark (bench/measures/browser_register.py) start Chromium.

Debian's Chromium, not Playwright's own download (it cannot work on a school's closed network nor here):
CHROMIUM_PATH points at it (default: `chromium` on the PATH, else /usr/bin/chromium).

Headless Chromium is the whole browser without a screen, and it keeps working on its own window's UI that
nobody sees: Debian's Chromium 156 preloads the omnibox's suggestion popup ("top chrome" WebUI, a Lit page
in a renderer of its own) and rebuilds it as tabs come and go. Traced during the benchmark's register flow,
that renderer's main thread was busy 0.5–0.95 s of the flow's 1.1 s, on a two-core machine where the page's
own renderer, the portal and the driver need the same cores. `FEATURES_OFF` switches that preloading off:
the pages, their scripts and their timings are the page's own again (a desktop browser builds its popup
once, at start, in a window the user sees). Tried one by one: the renderer is gone only with both
PreloadTopChromeWebUI and WebUIOmniboxAimPopup off; WebUIOmniboxPopup is the popup's older switch.
"""

from __future__ import annotations

import os
import shutil

FEATURES_OFF = ["PreloadTopChromeWebUI", "WebUIOmniboxPopup", "WebUIOmniboxAimPopup"]

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    f"--disable-features={','.join(FEATURES_OFF)}",
]


def chromium_path() -> str:
    """Where Chromium is (it may not exist: the caller says what to do then)."""
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"

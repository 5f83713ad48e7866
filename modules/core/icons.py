"""The icons the portal uses, cut out of Bootstrap Icons (issue 15: page weight).

The vendored font holds 2,078 icons (134 KB as WOFF2, and 87 KB of CSS with a rule each); a page uses a
handful and the portal about 150. `manage.py icons_subset` (`make icons`) writes
`static/vendor/bootstrap-icons/subset/`: the CSS rules and the font glyphs of the icons named anywhere in
the code, and nothing else, which `templates/base.html` loads. An icon is "named" when its name follows
`bi-` (`<i class="bi bi-people">`) or stands alone in quotes (`icon="people"`, `NotificationKind(icon=
"bell")`, `{% include ... with icon="receipt" %}`): a few quoted words that are also icon names ("table",
"key") come along, which costs a few bytes and never loses an icon. `tests/core/test_icons.py` fails when
the code names an icon the subset lacks.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

SOURCE = "static/vendor/bootstrap-icons"
SUBSET = f"{SOURCE}/subset"
SCANNED = {"templates": (".html", ".txt"), "modules": (".py",), "tasks": (".py",), "static/js": (".js",)}
_RULE = re.compile(r'\.bi-([a-z0-9-]+)::?before\{content:"\\([0-9a-f]+)"\}')
_AFTER_PREFIX = re.compile(r"bi-([a-z0-9]+(?:-[a-z0-9]+)*)")
_QUOTED = re.compile(r"[\"']([a-z0-9]+(?:-[a-z0-9]+)*)[\"']")


def _root() -> Path:
    return Path(settings.BASE_DIR)


def icon_codepoints(css: str) -> dict[str, int]:
    """Every icon of a Bootstrap Icons stylesheet: its name and the code point of its glyph."""
    return {name: int(code, 16) for name, code in _RULE.findall(css)}


def icons_named_in_code(known: set[str], root: Path | None = None) -> set[str]:
    """The icons of `known` that the templates, the Python modules, the tasks or the scripts name."""
    root = root or _root()
    named: set[str] = set()
    for folder, suffixes in SCANNED.items():
        for path in (root / folder).rglob("*"):
            if path.suffix in suffixes and path.is_file():
                text = path.read_text(encoding="utf-8", errors="ignore")
                named.update(_AFTER_PREFIX.findall(text))
                named.update(_QUOTED.findall(text))
    return named & known


def icons_subset(root: Path | None = None) -> list[str]:
    """Write the subset's CSS, WOFF2 and WOFF; return the icons it holds."""
    import logging

    from fontTools import subset

    logging.getLogger("fontTools").setLevel(logging.ERROR)  # it logs every glyph list at INFO
    root = root or _root()
    source, target = root / SOURCE, root / SUBSET
    css = (source / "bootstrap-icons.min.css").read_text(encoding="utf-8")
    codepoints = icon_codepoints(css)
    names = sorted(icons_named_in_code(set(codepoints), root))
    target.mkdir(parents=True, exist_ok=True)
    for flavor in ("woff2", "woff"):
        options = subset.Options()
        options.flavor = flavor
        options.layout_features = []
        options.name_IDs = ["*"]  # the font's names and licence notice stay
        options.recalc_timestamp = False
        font = subset.load_font(str(source / "fonts" / "bootstrap-icons.woff2"), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[codepoints[name] for name in names])
        subsetter.subset(font)
        subset.save_font(font, str(target / f"bootstrap-icons.{flavor}"), options)
    base = re.search(r"\.bi::before,\[class\*=\" bi-\"\]::before,\[class\^=bi-\]::before\{[^}]*\}", css)
    if base is None:
        raise RuntimeError("The Bootstrap Icons stylesheet no longer has its base rule: update icons.py.")
    rules = "".join(f'.bi-{name}::before{{content:"\\{codepoints[name]:x}"}}' for name in names)
    (target / "bootstrap-icons.css").write_text(
        "/* Bootstrap Icons v1.13.1 (MIT, https://github.com/twbs/icons/blob/main/LICENSE):\n"
        "   the icons the portal uses, written by `make icons` (modules/core/icons.py). Do not edit. */\n"
        '@font-face{font-display:block;font-family:bootstrap-icons;src:url("bootstrap-icons.woff2") '
        'format("woff2"),url("bootstrap-icons.woff") format("woff")}'
        f"{base.group(0)}{rules}\n",
        encoding="utf-8",
    )
    return names

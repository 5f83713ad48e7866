"""The pages load only the icons the code names (modules/core/icons.py): the subset must hold every one of
them, in its CSS and in its fonts, or an icon would silently print nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from fontTools.ttLib import TTFont

from modules.core.icons import SOURCE, SUBSET, icon_codepoints, icons_named_in_code, icons_subset

ROOT = Path(settings.BASE_DIR)


def _full() -> dict[str, int]:
    return icon_codepoints((ROOT / SOURCE / "bootstrap-icons.min.css").read_text(encoding="utf-8"))


def _subset() -> dict[str, int]:
    return icon_codepoints((ROOT / SUBSET / "bootstrap-icons.css").read_text(encoding="utf-8"))


def test_every_icon_the_code_names_is_in_the_subset():
    missing = sorted(icons_named_in_code(set(_full())) - set(_subset()))
    assert not missing, (
        f"Icons used but not in the subset: {missing}. Run `make icons` and commit the result."
    )


def test_the_subset_holds_only_icons_with_their_own_code_points():
    full, subset = _full(), _subset()
    assert subset
    assert all(full[name] == code for name, code in subset.items())


@pytest.mark.parametrize("flavor", ["woff2", "woff"])
def test_each_font_draws_every_icon_of_the_subset_css(flavor):
    font = TTFont(ROOT / SUBSET / f"bootstrap-icons.{flavor}")
    drawn = set(font.getBestCmap())
    assert set(_subset().values()) <= drawn
    # A subset, not the whole font.
    assert len(drawn) < len(_full()) / 5


def test_an_icon_named_only_in_quotes_is_found(tmp_path):
    """`icon="receipt"` in a template or `NotificationKind(icon="bell")` in Python names an icon too."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "x.html").write_text(
        '{% include "c.html" with icon="receipt" %} <i class="bi bi-bell">'
    )
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "k.py").write_text('KIND = Kind(icon="alarm", label="not-an-icon-name")')
    assert icons_named_in_code({"receipt", "bell", "alarm", "trash"}, root=tmp_path) == {
        "receipt",
        "bell",
        "alarm",
    }


def test_the_generator_writes_a_subset_the_pages_can_load(tmp_path):
    """`make icons` on a copy of the vendored files and one template: CSS, WOFF2 and WOFF of that icon."""
    source = tmp_path / SOURCE
    (source / "fonts").mkdir(parents=True)
    for name in ("bootstrap-icons.min.css", "fonts/bootstrap-icons.woff2"):
        (source / name).write_bytes((ROOT / SOURCE / name).read_bytes())
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text('<i class="bi bi-printer"></i>')
    assert icons_subset(root=tmp_path) == ["printer"]
    css = (tmp_path / SUBSET / "bootstrap-icons.css").read_text()
    assert '.bi-printer::before{content:"\\' in css
    assert 'url("bootstrap-icons.woff2")' in css
    assert set(TTFont(tmp_path / SUBSET / "bootstrap-icons.woff2").getBestCmap()) == {_full()["printer"]}


@pytest.mark.django_db
def test_pages_link_the_subset_not_the_whole_set(client: Client):
    page = client.get("/accounts/login/").content.decode()
    assert "vendor/bootstrap-icons/subset/bootstrap-icons.css" in page
    assert "bootstrap-icons.min.css" not in page

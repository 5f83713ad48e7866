"""Spanish and French are complete: every string in the code and templates has a real translation."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ["es", "fr"]
# Words that are spelled the same in the target language (names, codes, loanwords).
SAME_IN = {
    "es": {
        "studentflow",
        "email",
        "total",
        "error",
        "no",
        "admin",
        "excel",
        "xlsx",
        "csv",
        "cheque",
        "pdf",
        "id",
        "ok",
        "normal",
        "sms",
        "--database-url: %(error)s",
        # Single sign-on's providers, by their own names.
        "google",
        "microsoft",
    },
    "fr": {
        "studentflow",
        "email",
        "total",
        "message",
        "messages",
        "notes",
        "date",
        "section",
        "sections",
        "excel",
        "xlsx",
        "csv",
        "pdf",
        "id",
        "ok",
        "position",
        "type",
        "description",
        "code",
        "import",
        "statut",
        "global",
        "note",
        "absence",
        "absent",
        "notification",
        "notifications",
        "sms",
        "conversation",
        "conversations",
        "section %(section)s",
        "sections %(sections)s",
        "%(count)s sections",
        "page",
        # Single sign-on's providers, by their own names.
        "google",
        "microsoft",
    },
}


def catalogue(language: str, root: Path = ROOT / "locale") -> polib.POFile:
    return polib.pofile(str(root / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_translates_every_entry(language):
    po = catalogue(language)
    assert len(po) > 100
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not untranslated, f"{language}: untranslated: {untranslated[:20]}"
    assert not fuzzy, f"{language}: fuzzy (needs review): {fuzzy[:20]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_has_no_english_copies(language):
    copies = [
        entry.msgid
        for entry in catalogue(language).translated_entries()
        if entry.msgstr.strip() == entry.msgid.strip()
        and entry.msgid.strip().lower() not in SAME_IN[language]
        and any(char.isalpha() for char in entry.msgid)
        and re.sub(r"%\([^)]*\)[sd]|\{[^}]*\}|[^A-Za-z]", "", entry.msgid) != ""
    ]
    assert not copies, f"{language}: English left as the translation: {copies[:20]}"


def test_it_has_a_translation_for_every_string_in_the_source(tmp_path):
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext (xgettext) is needed to extract strings; `make test` installs it.")
    # Extract in a copy of the project: makemessages writes next to the sources it reads, and the
    # catalogues in the working tree must stay as they are.
    project = tmp_path / "project"
    shutil.copytree(
        ROOT,
        project,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "var", "staticfiles", "tests", "bench", "__pycache__", "*.egg-info", "*.mo"
        ),
    )
    locale = project / "locale"
    env = {
        **os.environ,
        "STUDENTFLOW_LOCALE_DIR": str(locale),
        "STUDENTFLOW_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "portal.settings.testing",
    }
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "es",
            "-l",
            "fr",
            "--no-obsolete",
            "--ignore=.venv/*",
            "--ignore=static/vendor/*",
            "--ignore=staticfiles/*",
            "--ignore=tests/*",
            "--ignore=bench/*",
        ],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    for language in LANGUAGES:
        po = catalogue(language, locale)
        missing = [entry.msgid for entry in po.untranslated_entries() + po.fuzzy_entries()]
        assert not missing, f"{language}: strings in the source without a translation: {missing[:30]}"

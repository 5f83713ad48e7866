"""Strings that Django or a vendored app puts on our pages but that its own Spanish or French catalogue leaves
untranslated. Naming them here puts them in our catalogue (makemessages reads this file); ours is read after
Django's, in the same "django" domain, so its translation is the one shown. Nothing imports this module.

- "- Select an option -": the empty choice of every optional select built from a model field with choices
  (django.db.models.fields.BLANK_CHOICE_LABEL, new in Django 6, empty in Django's Spanish catalogue).
"""

from django.utils.translation import gettext_noop

VENDOR_STRINGS = (gettext_noop("- Select an option -"),)

"""The house date and number formats, one module per language (FORMAT_MODULE_PATH).

Each language has one long date (with the weekday, for running text and headings) and one short date (for
tables and SMS), and every template and message uses these names (DATE_FORMAT, SHORT_DATE_FORMAT,
MONTH_DAY_FORMAT, YEAR_MONTH_FORMAT, DATETIME_FORMAT, SHORT_DATETIME_FORMAT, TIME_FORMAT) instead of literal
patterns. Whatever a module leaves out falls back to Django's own locale formats (decimal separator and the
like). tests/core/test_formats.py holds the templates to this.

The first DATE_INPUT_FORMATS entry is ISO in every language on purpose: Django renders a date widget's value
with that entry, and <input type="date"> drops any value that is not YYYY-MM-DD.
"""

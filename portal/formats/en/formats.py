"""English: schools may be in the US or the UK, so the short date spells the month ("4 Dec 2026"): 04/12/2026
means a different day on each side of the Atlantic. Typed numeric dates are read day first, as the student
import reads them (YYYY-MM-DD or DD/MM/YYYY)."""

DATE_FORMAT = "l j F Y"  # Friday 4 December 2026
SHORT_DATE_FORMAT = "j M Y"  # 4 Dec 2026
DATETIME_FORMAT = "l j F Y, H:i"  # Friday 4 December 2026, 14:30
SHORT_DATETIME_FORMAT = "j M Y, H:i"  # 4 Dec 2026, 14:30
MONTH_DAY_FORMAT = "j F"  # 4 December
YEAR_MONTH_FORMAT = "F Y"  # December 2026
TIME_FORMAT = "H:i"  # 14:30
FIRST_DAY_OF_WEEK = 1  # Monday

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-12-04, what <input type="date"> sends
    "%d/%m/%Y",  # 04/12/2026
    "%d %b %Y",  # 4 Dec 2026, the short form as shown
    "%d %B %Y",  # 4 December 2026
    "%b %d %Y",  # Dec 4 2026
    "%b %d, %Y",  # Dec 4, 2026
    "%B %d %Y",  # December 4 2026
    "%B %d, %Y",  # December 4, 2026
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
]

"""French: day, month, year everywhere, so the short date can be numeric. Weekday and month names are
lowercase in running text ("du vendredi 4 décembre 2026")."""

DATE_FORMAT = "l j F Y"  # vendredi 4 décembre 2026
SHORT_DATE_FORMAT = "d/m/Y"  # 04/12/2026
DATETIME_FORMAT = r"l j F Y \à H:i"  # vendredi 4 décembre 2026 à 14:30
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 04/12/2026 14:30
MONTH_DAY_FORMAT = "j F"  # 4 décembre
YEAR_MONTH_FORMAT = "F Y"  # décembre 2026
TIME_FORMAT = "H:i"  # 14:30
FIRST_DAY_OF_WEEK = 1  # lundi

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-12-04, what <input type="date"> sends
    "%d/%m/%Y",  # 04/12/2026
    "%d/%m/%y",  # 04/12/26
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%y %H:%M",
]

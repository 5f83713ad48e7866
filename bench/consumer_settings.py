"""Settings of the real Huey consumers that bench/measures/exams_report_cards.py starts: the bench settings
(its database, DATABASE_URL or not), the portal's consumer settings, and a queue of their own (a SQLite file,
or Redis with blocking reads) that the measuring process enqueues into."""

import os

from portal.settings.bench import *  # noqa: F403
from portal.settings.bench import DATABASES, HUEY_CONSUMER, REDIS_URL

DATABASES = {"default": {**DATABASES["default"], "NAME": os.environ["BENCH_DATABASE_NAME"]}}
if os.environ["BENCH_HUEY_STORAGE"] == "redis":
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": os.environ["BENCH_HUEY_NAME"],
        "url": REDIS_URL,
        "blocking": True,
        "read_timeout": 1,
        "immediate": False,
        "consumer": HUEY_CONSUMER,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": os.environ["BENCH_HUEY_NAME"],
        "filename": os.environ["BENCH_HUEY_FILE"],
        "immediate": False,
        "consumer": HUEY_CONSUMER,
    }

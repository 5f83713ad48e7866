"""OneRoster 1.2 rostering (1EdTech): the school's roster in the form learning platforms import (Google
Classroom, Canvas, Teams, Schoology…), as a bulk CSV package the office downloads or has made every night
(`package.py`, `views.py`) and as the read-only rostering REST service under
`/ims/oneroster/rostering/v1p2/` for programs the office registered (`rest.py`).

Both are written from one reading of the school (`records.py`), so a record has the same `sourcedId` and the
same values in the package and in the service, export after export."""

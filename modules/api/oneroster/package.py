"""The OneRoster 1.2 bulk CSV package: a zip holding `manifest.csv` and the roster's files (orgs,
academicSessions, courses, classes, users, roles, enrollments, and demographics when the office includes
them), as the CSV binding (1.2.1) lays them out.

The files' rules, each kept here: the headers and their order as the binding gives them; UTF-8 without a
byte-order mark, RFC 4180 quoting, no line breaks inside a value; dates `YYYY-MM-DD`; booleans `true`/`false`;
lists in one cell, comma-separated; in a bulk file `status` and `dateLastModified` are left empty (the file is
the whole set: what is not in it is gone); a file with no rows is not sent and the manifest says `absent`.

Made on the queue at the office's request (a core Job, `tasks/oneroster.py`) or every night when the office
asks for it; each package is kept as a `RosterPackage` for a week (the newest `KEEP` at least)."""

from __future__ import annotations

import csv
import datetime
import io
import logging
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.academics.models import AcademicYear
from modules.api.models import RosterPackage, RosterSettings
from modules.api.oneroster.records import Options, Record, Ref, Roster, roster_read
from modules.core.audit import audit_log
from modules.core.clock import SchoolTime
from modules.core.jobs import job_enqueue, job_finish
from modules.core.models import Job, JobStatus

logger = logging.getLogger(__name__)

JOB_KIND = "oneroster_package"
NIGHTLY = SchoolTime(hour=2, minute=40)  # school time; tasks/oneroster.py catches up on the hours after
KEEP = 7  # packages kept at least, whatever their age
KEEP_FOR = datetime.timedelta(days=7)
SYSTEM_NAME = "StudentFlow"
SYSTEM_CODE = "studentflow"

# Every file the binding's manifest names, in its order (the rostering ones this portal writes among them).
MANIFEST_FILES = [
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItemLearningObjectiveIds",
    "lineItems",
    "lineItemScoreScales",
    "orgs",
    "resources",
    "resultLearningObjectiveIds",
    "results",
    "resultScoreScales",
    "roles",
    "scoreScales",
    "userProfiles",
    "userResources",
    "users",
]


def _text(value) -> str:
    """A value as the CSV binding writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Ref):
        return value.sourced_id
    if isinstance(value, datetime.datetime):
        return (
            value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{value.microsecond // 1000:03d}Z"
        )
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    # No person types a line break into a name, but an address book may hold one: the binding forbids it.
    return " ".join(str(value).split()) if ("\n" in str(value) or "\r" in str(value)) else str(value)


Column = tuple[str, Callable[[Record], object]]


def _field(name: str, key: str | None = None) -> Column:
    key = key or name
    return name, lambda record: record.get(key)


def _bulk(name: str) -> Column:
    return name, lambda record: None  # status, dateLastModified: empty in a bulk file


_HEAD: list[Column] = [_field("sourcedId"), _bulk("status"), _bulk("dateLastModified")]

COLUMNS: dict[str, list[Column]] = {
    "orgs": [
        *_HEAD,
        _field("name"),
        _field("type"),
        _field("identifier"),
        _field("parentSourcedId", "parent"),
    ],
    "academicSessions": [
        *_HEAD,
        _field("title"),
        _field("type"),
        _field("startDate"),
        _field("endDate"),
        _field("parentSourcedId", "parent"),
        _field("schoolYear"),
    ],
    "courses": [
        *_HEAD,
        _field("schoolYearSourcedId", "schoolYear"),
        _field("title"),
        _field("courseCode"),
        _field("grades"),
        _field("orgSourcedId", "org"),
        _field("subjects"),
        _field("subjectCodes"),
    ],
    "classes": [
        *_HEAD,
        _field("title"),
        _field("grades"),
        _field("courseSourcedId", "course"),
        _field("classCode"),
        _field("classType"),
        _field("location"),
        _field("schoolSourcedId", "school"),
        _field("termSourcedIds", "terms"),
        _field("subjects"),
        _field("subjectCodes"),
        _field("periods"),
    ],
    "users": [
        *_HEAD,
        _field("enabledUser"),
        _field("username"),
        ("userIds", lambda record: ",".join(f"{{{i['type']}:{i['identifier']}}}" for i in record["userIds"])),
        _field("givenName"),
        _field("familyName"),
        _field("middleName"),
        _field("identifier"),
        _field("email"),
        _field("sms"),
        _field("phone"),
        _field("agentSourcedIds", "agents"),
        _field("grades"),
        _field("password"),
        _field("userMasterIdentifier"),
        _field("preferredGivenName", "preferredFirstName"),
        _field("preferredMiddleName"),
        _field("preferredFamilyName", "preferredLastName"),
        _field("primaryOrgSourcedId", "primaryOrg"),
        _field("pronouns"),
    ],
    "roles": [
        *_HEAD,
        _field("userSourcedId", "user"),
        _field("roleType"),
        _field("role"),
        _field("beginDate"),
        _field("endDate"),
        _field("orgSourcedId", "org"),
        _field("userProfileSourcedId", "userProfile"),
    ],
    "enrollments": [
        *_HEAD,
        _field("classSourcedId", "class"),
        _field("schoolSourcedId", "school"),
        _field("userSourcedId", "user"),
        _field("role"),
        _field("primary"),
        _field("beginDate"),
        _field("endDate"),
    ],
    "demographics": [
        *_HEAD,
        _field("birthDate"),
        _field("sex"),
        _field("americanIndianOrAlaskaNative"),
        _field("asian"),
        _field("blackOrAfricanAmerican"),
        _field("nativeHawaiianOrOtherPacificIslander"),
        _field("white"),
        _field("demographicRaceTwoOrMoreRaces"),
        _field("hispanicOrLatinoEthnicity"),
        _field("countryOfBirthCode"),
        _field("stateOfBirthAbbreviation"),
        _field("cityOfBirth"),
        _field("publicSchoolResidenceStatus"),
    ],
}


def _roles(users: list[Record]) -> Iterable[Record]:
    """roles.csv: one row per role of each user, `<user>-<role>` (a user holds a role once in the school)."""
    for user in users:
        for role in user["roles"]:
            yield {
                "sourcedId": f"{user['sourcedId']}-{role['role']}",
                "user": Ref("user", user["sourcedId"]),
                **role,
            }


def _rows(roster: Roster) -> dict[str, Iterable[Record]]:
    return {
        "orgs": roster.orgs,
        "academicSessions": roster.academic_sessions,
        "courses": roster.courses,
        "classes": roster.classes,
        "users": roster.users,
        "roles": list(_roles(roster.users)),
        "enrollments": roster.enrollments,
        "demographics": roster.demographics,
    }


def csv_file(name: str, records: Iterable[Record]) -> bytes:
    columns = COLUMNS[name]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column for column, _get in columns])
    writer.writerows([_text(get(record)) for _column, get in columns] for record in records)
    return out.getvalue().encode("utf-8")


def manifest(present: Iterable[str]) -> bytes:
    present = set(present)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["propertyName", "value"])
    writer.writerow(["manifest.version", "1.0"])
    writer.writerow(["oneroster.version", "1.2"])
    for name in MANIFEST_FILES:
        writer.writerow([f"file.{name}", "bulk" if name in present else "absent"])
    writer.writerow(["source.systemName", SYSTEM_NAME])
    writer.writerow(["source.systemCode", SYSTEM_CODE])
    return out.getvalue().encode("utf-8")


@dataclass(frozen=True)
class Package:
    content: bytes
    counts: dict[str, int]
    year_name: str


def options_current(settings_row: RosterSettings | None = None) -> Options:
    """The office's choices, with the year they name (else the current one)."""
    row = settings_row or RosterSettings.load()
    year = row.year if row.year_id else AcademicYear.objects.current()
    return Options(year=year, guardians=row.guardians, demographics=row.demographics)


def package_build(options: Options) -> Package:
    """The package's bytes: the roster's files with a row, and the manifest naming them."""
    files = {name: list(rows) for name, rows in _rows(roster_read(options)).items()}
    present = [name for name, rows in files.items() if rows]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.csv", manifest(present))
        for name in present:
            archive.writestr(f"{name}.csv", csv_file(name, files[name]))
    counts = {name: len(rows) for name, rows in files.items()}
    return Package(buffer.getvalue(), counts, options.year.name if options.year else "")


def package_filename(made_at: datetime.datetime) -> str:
    return f"oneroster-{timezone.localtime(made_at):%Y-%m-%d-%H%M}.zip"


def package_make(*, by, scheduled: bool = False, job: Job | None = None) -> RosterPackage:
    """Make a package with the office's current choices, keep it, and prune the old ones. With a job, the
    job's page offers it when it finishes."""
    built = package_build(options_current())
    now = timezone.now()
    filename = package_filename(now)
    package = RosterPackage(
        made_by=by, year_name=built.year_name, size=len(built.content), scheduled=scheduled
    )
    package.counts = built.counts
    package.file.save(filename, ContentFile(built.content), save=False)
    package.save()
    audit_log(actor=by, action="oneroster.package", obj=package, after=built.counts)
    if job is not None:
        users, enrollments = built.counts["users"], built.counts["enrollments"]
        job_finish(
            job=job,
            status=JobStatus.SUCCEEDED,
            message=_("%(users)s users and %(enrollments)s enrolments.")
            % {"users": users, "enrollments": enrollments},
            result_file=package.file.name,
            result={**job.result, "filename": filename, "package": package.pk},
        )
    packages_prune(now=now)
    return package


def package_job_start(*, by) -> Job:
    """Queue a package made now, as the office asked (its page shows the progress and the download)."""
    job = Job.objects.create(kind=JOB_KIND, owner=by, result={"title": _("OneRoster package")})
    return job_enqueue(job=job)


def package_job_fail(*, job: Job, error: Exception) -> None:
    job_finish(
        job=job,
        status=JobStatus.FAILED,
        message=_("The package could not be made: %(error)s") % {"error": error},
    )


def packages_prune(*, now: datetime.datetime) -> int:
    """Delete packages older than a week beyond the newest KEEP (and their files; a job that pointed at one
    no longer offers it)."""
    keep = list(RosterPackage.objects.values_list("pk", flat=True)[:KEEP])
    old = list(RosterPackage.objects.exclude(pk__in=keep).filter(made_at__lt=now - KEEP_FOR))
    for package in old:
        name, storage = package.file.name, package.file.storage
        with transaction.atomic():
            Job.objects.filter(result_file=name).update(result_file="")
            package.delete()
            transaction.on_commit(lambda name=name, storage=storage: storage.delete(name))
    return len(old)


def nightly_due(*, today: datetime.date) -> bool:
    """A nightly package is due when the office asked for one and none was made at night today."""
    if not RosterSettings.load().nightly:
        return False
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    return not RosterPackage.objects.filter(scheduled=True, made_at__gte=start).exists()

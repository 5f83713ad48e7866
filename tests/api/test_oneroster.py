"""OneRoster 1.2 through HTTP: the office's page (settings, a package made now on the queue and downloaded,
the packages kept), the CSV package checked against the CSV binding's files, headers, required values,
enumerations, formats and references (the spec's tables are written out here, apart from the code that writes
the files), ids stable from one package to the next, the nightly package, and the rostering REST service
with a program's token: envelopes, references, filters, sorting, field selection, pages and their headers,
nested endpoints, scopes, and the standard's error answers."""

from __future__ import annotations

import base64
import csv
import datetime
import io
import re
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.academics.models import EnrollmentStatus
from modules.api.clients import client_register
from modules.api.models import RosterPackage, RosterSettings
from modules.api.oneroster.package import KEEP, nightly_due, options_current, package_build, package_make
from modules.api.oneroster.rest import ENDPOINTS
from modules.api.scopes import ONEROSTER_CORE, ONEROSTER_DEMOGRAPHICS, ONEROSTER_ROSTER
from modules.api.tokens import token_create
from modules.core.models import Job, JobStatus, SchoolProfile
from tests import factories as f

pytestmark = pytest.mark.django_db

SERVICE = "/ims/oneroster/rostering/v1p2"

# --- the CSV binding (1.2.1), written out apart from modules/api/oneroster/package.py -----------------------

HEADERS = {
    "orgs": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
    "academicSessions": "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,"
    "schoolYear",
    "courses": "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,"
    "subjects,subjectCodes",
    "classes": "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,"
    "schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods",
    "users": "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,"
    "identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,preferredGivenName,"
    "preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns",
    "roles": "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,"
    "userProfileSourcedId",
    "enrollments": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
    "primary,beginDate,endDate",
    "demographics": "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,"
    "blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,"
    "hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,"
    "publicSchoolResidenceStatus",
}
REQUIRED = {
    "orgs": ["sourcedId", "name", "type"],
    "academicSessions": ["sourcedId", "title", "type", "startDate", "endDate", "schoolYear"],
    "courses": ["sourcedId", "title", "orgSourcedId"],
    "classes": ["sourcedId", "title", "courseSourcedId", "classType", "schoolSourcedId", "termSourcedIds"],
    "users": ["sourcedId", "enabledUser", "username", "givenName", "familyName"],
    "roles": ["sourcedId", "userSourcedId", "roleType", "role", "orgSourcedId"],
    "enrollments": ["sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"],
    "demographics": ["sourcedId"],
}
ENUMS = {
    ("orgs", "type"): {"department", "school", "district", "local", "state", "national"},
    ("academicSessions", "type"): {"gradingPeriod", "semester", "schoolYear", "term"},
    ("classes", "classType"): {"homeroom", "scheduled"},
    ("users", "enabledUser"): {"true", "false"},
    ("roles", "roleType"): {"primary", "secondary"},
    ("roles", "role"): {
        "aide",
        "counselor",
        "districtAdministrator",
        "guardian",
        "parent",
        "principal",
        "proctor",
        "relative",
        "siteAdministrator",
        "student",
        "systemAdministrator",
        "teacher",
    },
    ("enrollments", "role"): {"administrator", "proctor", "student", "teacher"},
    ("enrollments", "primary"): {"true", "false", ""},
    ("demographics", "sex"): {"male", "female", "unspecified", "other", ""},
}
GRADES = {"IT", "PR", "PK", "TK", "KG", *(f"{n:02d}" for n in range(1, 14)), "PS", "UG", "Other"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATES = {
    "academicSessions": ["startDate", "endDate"],
    "enrollments": ["beginDate", "endDate"],
    "roles": ["beginDate", "endDate"],
    "demographics": ["birthDate"],
}
# Which file each reference column points into.
REFERENCES = {
    ("orgs", "parentSourcedId"): "orgs",
    ("academicSessions", "parentSourcedId"): "academicSessions",
    ("courses", "schoolYearSourcedId"): "academicSessions",
    ("courses", "orgSourcedId"): "orgs",
    ("classes", "courseSourcedId"): "courses",
    ("classes", "schoolSourcedId"): "orgs",
    ("classes", "termSourcedIds"): "academicSessions",
    ("users", "agentSourcedIds"): "users",
    ("users", "primaryOrgSourcedId"): "orgs",
    ("roles", "userSourcedId"): "users",
    ("roles", "orgSourcedId"): "orgs",
    ("enrollments", "classSourcedId"): "classes",
    ("enrollments", "schoolSourcedId"): "orgs",
    ("enrollments", "userSourcedId"): "users",
    ("demographics", "sourcedId"): "users",
}
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


def read_package(content: bytes) -> tuple[dict[str, str], dict[str, list[dict[str, str]]], dict[str, str]]:
    """The manifest, each file's rows, and each file's raw text."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    raw = {name: archive.read(name) for name in archive.namelist()}
    assert all("/" not in name for name in raw), "the files sit at the zip's root"
    texts = {}
    for name, data in raw.items():
        assert not data.startswith(b"\xef\xbb\xbf"), f"{name}: no byte-order mark"
        texts[name] = data.decode("utf-8")
    manifest = dict(list(csv.reader(io.StringIO(texts.pop("manifest.csv"))))[1:])
    files = {
        name.removesuffix(".csv"): list(csv.DictReader(io.StringIO(text))) for name, text in texts.items()
    }
    return manifest, files, {name.removesuffix(".csv"): text for name, text in texts.items()}


def check_package(content: bytes) -> dict[str, list[dict[str, str]]]:
    """Every rule of the binding this package must meet; the files' rows."""
    manifest, files, texts = read_package(content)
    assert manifest["manifest.version"] == "1.0"
    assert manifest["oneroster.version"] == "1.2"
    for name in MANIFEST_FILES:
        assert manifest[f"file.{name}"] == ("bulk" if name in files else "absent"), name
    assert manifest["source.systemName"] == "StudentFlow"
    ids = {name: {row["sourcedId"] for row in rows} for name, rows in files.items()}
    for name, rows in files.items():
        assert texts[name].split("\r\n", 1)[0] == HEADERS[name], f"{name}: the binding's header, in its order"
        assert rows, f"{name}: a file with no rows is absent instead"
        assert len(ids[name]) == len(rows), f"{name}: sourcedIds are unique"
        for row in rows:
            assert (row["status"], row["dateLastModified"]) == ("", ""), f"{name}: bulk leaves them empty"
            for column in REQUIRED[name]:
                assert row[column], f"{name}.{column} is required: {row}"
            for column in DATES.get(name, []):
                assert not row[column] or DATE.match(row[column]), f"{name}.{column}: {row[column]}"
            for (file, column), allowed in ENUMS.items():
                if file == name:
                    assert row[column] in allowed, f"{name}.{column}: {row[column]!r}"
            if "grades" in row and row["grades"]:
                assert set(row["grades"].split(",")) <= GRADES, row["grades"]
            if name == "academicSessions":
                assert re.fullmatch(r"\d{4}", row["schoolYear"])
        for (file, column), target in REFERENCES.items():
            if file != name:
                continue
            for row in rows:
                for ref in filter(None, row[column].split(",")):
                    assert ref in ids.get(target, set()), f"{name}.{column} → {ref} is not in {target}.csv"
    return files


def by_id(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["sourcedId"]: row for row in rows}


# --- the office's page and the package ----------------------------------------------------------------------


def test_the_office_makes_a_package_that_meets_the_binding(
    as_user, admin, school, teacher, guardian, django_capture_on_commit_callbacks
):
    school.section.grade_level.ceds_code = "07"
    school.section.grade_level.save()
    browser = as_user(admin)
    page = browser.get(reverse("api_oneroster:oneroster"))
    assert page.status_code == 200
    assert "No package has been made yet." in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        made = browser.post(reverse("api_oneroster:package_now"))
    job = Job.objects.get(kind="oneroster_package")
    assert made.url == reverse("job_progress", args=[job.pk])
    assert job.status == JobStatus.SUCCEEDED
    progress = browser.get(made.url).content.decode()
    # Two students, two guardians, two teachers, the administrator; each student in a class and a homeroom,
    # each teacher running one of each.
    assert "7 users and 8 enrolments." in progress
    assert reverse("job_download", args=[job.pk]) in progress
    download = browser.get(reverse("job_download", args=[job.pk]))
    content = b"".join(download.streaming_content)
    assert download["Content-Disposition"].startswith('attachment; filename="oneroster-')

    files = check_package(content)
    assert set(files) == {"orgs", "academicSessions", "courses", "classes", "users", "roles", "enrollments"}
    users = by_id(files["users"])
    child = users[f"student-{school.child.pk}"]
    assert (child["givenName"], child["familyName"]) == (school.child.first_name, school.child.last_name)
    assert child["identifier"] == school.child.admission_number
    assert child["grades"] == "07"
    assert child["agentSourcedIds"] == f"guardian-{school.guardian_profile.pk}"
    assert child["password"] == ""
    mother = users[f"guardian-{school.guardian_profile.pk}"]
    assert mother["agentSourcedIds"] == f"student-{school.child.pk}"
    assert mother["username"] == guardian.email
    roles = {(row["userSourcedId"], row["role"], row["roleType"]) for row in files["roles"]}
    assert (f"student-{school.child.pk}", "student", "primary") in roles
    assert (f"staff-{school.teacher_staff.pk}", "teacher", "primary") in roles
    assert (f"staff-{admin.staff_profile.pk}", "siteAdministrator", "primary") in roles
    # The bursar runs no class: not in a learning platform's roster.
    assert not any(row["role"] == "bursar" for row in files["roles"])

    classes = by_id(files["classes"])
    maths = classes[f"class-{school.offering.pk}"]
    assert (maths["title"], maths["classType"], maths["grades"]) == ("Mathematics 7A", "scheduled", "07")
    assert maths["termSourcedIds"] == f"term-{school.term.pk}"
    assert classes[f"homeroom-{school.section.pk}"]["classType"] == "homeroom"
    courses = by_id(files["courses"])
    assert courses[maths["courseSourcedId"]]["title"] == "Mathematics · Grade 7"
    sessions = by_id(files["academicSessions"])
    assert sessions[f"term-{school.term.pk}"]["parentSourcedId"] == f"year-{school.year.pk}"
    assert sessions[f"year-{school.year.pk}"]["schoolYear"] == str(school.year.end_date.year)

    enrolments = {
        (row["userSourcedId"], row["classSourcedId"], row["role"], row["primary"])
        for row in files["enrollments"]
    }
    assert (f"student-{school.child.pk}", f"class-{school.offering.pk}", "student", "false") in enrolments
    assert (f"student-{school.child.pk}", f"homeroom-{school.section.pk}", "student", "false") in enrolments
    assert (
        f"staff-{school.teacher_staff.pk}",
        f"class-{school.offering.pk}",
        "teacher",
        "true",
    ) in enrolments
    # The other section's student is not in 7A's classes.
    assert (
        f"student-{school.other_child.pk}",
        f"class-{school.offering.pk}",
        "student",
        "false",
    ) not in enrolments

    page = browser.get(reverse("api_oneroster:oneroster")).content.decode()
    package = RosterPackage.objects.get()
    assert reverse("api_oneroster:package_download", args=[package.pk]) in page
    again = browser.get(reverse("api_oneroster:package_download", args=[package.pk]))
    assert b"".join(again.streaming_content) == content


def test_ids_stay_the_same_from_one_package_to_the_next(admin, school):
    first = check_package(package_make(by=admin).file.read())
    newcomer = f.StudentFactory(first_name="Nina", last_name="New", admission_number="A-0099")
    f.EnrollmentFactory(student=newcomer, section=school.section)
    school.child.first_name = "Renamed"
    school.child.save()
    second = check_package(package_make(by=admin).file.read())
    for name, rows in first.items():
        assert {row["sourcedId"] for row in rows} <= {row["sourcedId"] for row in second[name]}, name
    users = by_id(second["users"])
    assert users[f"student-{school.child.pk}"]["givenName"] == "Renamed"
    assert f"student-{newcomer.pk}" in users
    assert f"student-{newcomer.pk}" not in by_id(first["users"])


def test_a_student_who_left_is_no_longer_in_the_package(admin, school):
    enrolment = school.other_child.enrollments.get()
    enrolment.status = EnrollmentStatus.WITHDRAWN
    enrolment.ended_on = timezone.localdate()
    enrolment.save()
    files = check_package(package_make(by=admin).file.read())
    assert f"student-{school.other_child.pk}" not in by_id(files["users"])
    assert not any(row["userSourcedId"] == f"student-{school.other_child.pk}" for row in files["enrollments"])
    # Nor their guardian, who has no other child in the school.
    assert f"guardian-{school.other_guardian_profile.pk}" not in by_id(files["users"])


def test_the_settings_choose_guardians_demographics_and_the_year(as_user, admin, school):
    browser = as_user(admin)
    saved = browser.post(
        reverse("api_oneroster:oneroster"),
        {"year": school.year.pk, "demographics": "on", "nightly": "on"},
    )
    assert saved.status_code == 302
    row = RosterSettings.load()
    assert (row.year_id, row.guardians, row.demographics, row.nightly) == (school.year.pk, False, True, True)
    assert "The roster settings are saved" in browser.get(saved.url).content.decode()
    files = check_package(package_make(by=admin).file.read())
    assert not any(row["sourcedId"].startswith("guardian-") for row in files["users"])
    assert all(row["agentSourcedIds"] == "" for row in files["users"])
    demographics = by_id(files["demographics"])
    child = demographics[f"student-{school.child.pk}"]
    assert child["birthDate"] == school.child.date_of_birth.isoformat()
    assert child["sex"] in {"male", "female", "unspecified"}

    wrong = browser.post(reverse("api_oneroster:oneroster"), {"year": 999999})
    assert wrong.status_code == 400
    assert "Select a valid choice" in wrong.content.decode()
    assert RosterSettings.load().year_id == school.year.pk


def test_a_year_without_sections_gives_the_school_and_its_year_only(admin, db):
    year = f.AcademicYearFactory()
    files = check_package(package_make(by=admin).file.read())
    assert set(files) == {"orgs", "academicSessions", "users", "roles"}  # the administrator, who runs it
    assert by_id(files["academicSessions"])[f"year-{year.pk}"]["type"] == "schoolYear"


def test_the_nightly_package_is_made_once_a_night_when_asked_for(admin, school):
    from tasks.oneroster import prepare_nightly_roster_package

    today = timezone.localdate()
    assert not nightly_due(today=today)
    assert prepare_nightly_roster_package.call_local() == ""
    RosterSettings.objects.update(nightly=True)
    assert nightly_due(today=today)
    made = prepare_nightly_roster_package.call_local()
    package = RosterPackage.objects.get()
    assert (made, package.scheduled, package.made_by) == (package.file.name, True, None)
    # The catch-up hours after find it made.
    assert not nightly_due(today=today)
    assert prepare_nightly_roster_package.call_local() == ""


def test_old_packages_are_pruned_beyond_a_week(admin, school):
    for _ in range(KEEP + 2):
        package_make(by=admin)
    assert RosterPackage.objects.count() == KEEP + 2  # all younger than a week
    RosterPackage.objects.update(made_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    newest = package_make(by=admin)
    kept = list(RosterPackage.objects.values_list("pk", flat=True))
    assert len(kept) == KEEP
    assert newest.pk in kept


def test_only_the_office_sees_the_page_and_the_packages(as_user, admin, teacher, bursar, school):
    package = package_make(by=admin)
    for person in (teacher, bursar):
        browser = as_user(person)
        assert browser.get(reverse("api_oneroster:oneroster")).status_code == 403
        assert browser.get(reverse("api_oneroster:package_download", args=[package.pk])).status_code == 403
    assert as_user(admin).get(reverse("api_oneroster:package_download", args=[999999])).status_code == 404


# --- the rostering service ----------------------------------------------------------------------------------


def program_token(client, admin, scopes: list[str]) -> dict[str, str]:
    made = client_register(by=admin, name="Learning platform", scopes=scopes)
    credentials = base64.b64encode(f"{made.client.client_id}:{made.secret}".encode()).decode()
    answer = client.post(
        "/api/oauth/token",
        {"grant_type": "client_credentials", "scope": " ".join(scopes)},
        headers={"Authorization": f"Basic {credentials}"},
    )
    assert answer.status_code == 200, answer.content
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture
def platform(client, admin, school) -> dict[str, str]:
    return program_token(client, admin, [ONEROSTER_ROSTER])


def test_a_platform_reads_the_roster_with_a_program_token(client, platform, school):
    orgs = client.get(f"{SERVICE}/orgs", headers=platform)
    assert orgs.status_code == 200
    assert orgs["Content-Type"] == "application/json"
    (org,) = orgs.json()["orgs"]
    assert (org["type"], org["status"]) == ("school", "active")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", org["dateLastModified"])

    one = client.get(f"{SERVICE}/classes/class-{school.offering.pk}", headers=platform).json()["class"]
    assert one["title"] == "Mathematics 7A"
    assert one["school"] == {
        "href": f"http://testserver{SERVICE}/orgs/{org['sourcedId']}",
        "sourcedId": org["sourcedId"],
        "type": "org",
    }
    assert [term["sourcedId"] for term in one["terms"]] == [f"term-{school.term.pk}"]
    course = client.get(one["course"]["href"], headers=platform)
    assert course.status_code == 200
    assert course.json()["course"]["title"].startswith("Mathematics")

    child = client.get(f"{SERVICE}/users/student-{school.child.pk}", headers=platform).json()["user"]
    assert child["enabledUser"] == "true"
    assert child["roles"][0]["role"] == "student"
    assert child["roles"][0]["org"]["sourcedId"] == org["sourcedId"]
    assert "password" not in child
    assert [agent["sourcedId"] for agent in child["agents"]] == [f"guardian-{school.guardian_profile.pk}"]

    students = client.get(f"{SERVICE}/classes/class-{school.offering.pk}/students", headers=platform).json()
    assert [user["sourcedId"] for user in students["users"]] == [f"student-{school.child.pk}"]
    teachers = client.get(f"{SERVICE}/classes/class-{school.offering.pk}/teachers", headers=platform).json()
    assert [user["sourcedId"] for user in teachers["users"]] == [f"staff-{school.teacher_staff.pk}"]
    mine = client.get(f"{SERVICE}/students/student-{school.child.pk}/classes", headers=platform).json()
    assert {row["sourcedId"] for row in mine["classes"]} == {
        f"class-{school.offering.pk}",
        f"homeroom-{school.section.pk}",
    }


def test_every_endpoint_answers(client, platform, school):
    org = client.get(f"{SERVICE}/orgs", headers=platform).json()["orgs"][0]["sourcedId"]
    values = {
        "sourced_id": org,
        "parent": org,
        "school": org,
        "klass": f"class-{school.offering.pk}",
    }
    single_ids = {
        "academicSessions": f"year-{school.year.pk}",
        "classes": f"class-{school.offering.pk}",
        "courses": None,
        "enrollments": None,
        "orgs": org,
        "schools": org,
        "students": f"student-{school.child.pk}",
        "teachers": f"staff-{school.teacher_staff.pk}",
        "terms": f"term-{school.term.pk}",
        "users": f"student-{school.child.pk}",
    }
    parents = {
        "course_classes": None,
        "student_classes": f"student-{school.child.pk}",
        "teacher_classes": f"staff-{school.teacher_staff.pk}",
        "user_classes": f"student-{school.child.pk}",
        "term_classes": f"term-{school.term.pk}",
        "term_grading_periods": f"term-{school.term.pk}",
    }
    courses = client.get(f"{SERVICE}/courses", headers=platform).json()["courses"]
    enrolments = client.get(f"{SERVICE}/enrollments", headers=platform).json()["enrollments"]
    single_ids["courses"] = parents["course_classes"] = courses[0]["sourcedId"]
    single_ids["enrollments"] = enrolments[0]["sourcedId"]
    answered = 0
    for endpoint in ENDPOINTS:
        if endpoint.route.startswith("demographics"):
            continue
        kwargs = {}
        route = endpoint.route
        for name in re.findall(r"<str:(\w+)>", route):
            if name == "sourced_id":
                value = single_ids.get(route.split("/")[0])
            elif name == "parent":
                value = parents.get(endpoint.name, org)
            else:
                value = values[name]
            kwargs[name] = value
        if None in kwargs.values():
            continue  # gradingPeriods: the school keeps none
        answer = client.get(reverse(f"oneroster:{endpoint.name}", kwargs=kwargs), headers=platform)
        assert answer.status_code == 200, (endpoint.route, answer.content)
        assert list(answer.json()) == [endpoint.single or endpoint.listing.key], endpoint.route
        answered += 1
    assert answered == len(ENDPOINTS) - 2 - 1  # demographics (2) and one grading period (none exists)
    period = client.get(f"{SERVICE}/gradingPeriods/term-{school.term.pk}", headers=platform)
    assert period.status_code == 404  # a term is not a grading period


def test_filters_sorting_fields_and_pages(client, platform, school):
    students = client.get(f"{SERVICE}/users", {"filter": "roles.role='student'"}, headers=platform).json()
    assert {user["sourcedId"] for user in students["users"]} == {
        f"student-{school.child.pk}",
        f"student-{school.other_child.pk}",
    }
    either = client.get(
        f"{SERVICE}/users",
        {
            "filter": f"givenName='{school.other_child.first_name}' "
            f"OR familyName~'{school.child.last_name[:3]}'"
        },
        headers=platform,
    ).json()["users"]
    assert f"student-{school.other_child.pk}" in {user["sourcedId"] for user in either}
    both = client.get(
        f"{SERVICE}/enrollments",
        {"filter": f"role='teacher' AND class.sourcedId='class-{school.offering.pk}'"},
        headers=platform,
    ).json()["enrollments"]
    assert [(row["user"]["sourcedId"], row["primary"]) for row in both] == [
        (f"staff-{school.teacher_staff.pk}", "true")
    ]
    since = client.get(
        f"{SERVICE}/users", {"filter": "dateLastModified>'2100-01-01T00:00:00.000Z'"}, headers=platform
    )
    assert since.json() == {"users": []}
    assert since["X-Total-Count"] == "0"

    names = client.get(
        f"{SERVICE}/users",
        {"sort": "familyName", "orderBy": "desc", "fields": "sourcedId,familyName"},
        headers=platform,
    ).json()["users"]
    assert [row["familyName"] for row in names] == sorted((row["familyName"] for row in names), reverse=True)
    assert all(set(row) == {"sourcedId", "familyName"} for row in names)

    total = int(client.get(f"{SERVICE}/enrollments", headers=platform)["X-Total-Count"])
    assert total >= 6
    seen = []
    url, params = f"{SERVICE}/enrollments", {"limit": 2}
    while True:
        page = client.get(url, params, headers=platform)
        assert page["X-Total-Count"] == str(total)
        seen.extend(row["sourcedId"] for row in page.json()["enrollments"])
        following = re.search(r'<([^>]+)>; rel="next"', page["Link"])
        if following is None:
            break
        url, params = following.group(1).replace("http://testserver", ""), {}
    assert len(seen) == len(set(seen)) == total
    assert 'rel="last"' in page["Link"]
    assert 'rel="first"' in page["Link"]


@pytest.mark.parametrize(
    ("query", "minor"),
    [
        ({"filter": "shoeSize='9'"}, "invalid_filter_field"),
        ({"filter": "givenName='Ann' AND familyName='B' OR email='c'"}, "invalid_filter_field"),
        ({"filter": "givenName=Ann"}, "invalid_filter_field"),
        ({"fields": "sourcedId,shoeSize"}, "invalid_selection_field"),
        ({"fields": ""}, "invalid_selection_field"),
        ({"limit": "0"}, "invaliddata"),
        ({"offset": "-1"}, "invaliddata"),
    ],
)
def test_what_cannot_be_read_is_answered_400_in_the_standards_format(client, platform, query, minor):
    answer = client.get(f"{SERVICE}/users", query, headers=platform)
    assert answer.status_code == 400
    body = answer.json()
    assert (body["imsx_codeMajor"], body["imsx_severity"]) == ("failure", "error")
    assert body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == minor


def test_unknown_records_tokens_and_scopes(client, admin, teacher, platform, school):
    def minor(answer) -> str:
        return answer.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]

    unknown = client.get(f"{SERVICE}/users/student-999999", headers=platform)
    assert (unknown.status_code, minor(unknown)) == (404, "unknownobject")
    nested = client.get(f"{SERVICE}/classes/class-999999/students", headers=platform)
    assert (nested.status_code, minor(nested)) == (404, "unknownobject")
    anonymous = client.get(f"{SERVICE}/users")
    assert (anonymous.status_code, minor(anonymous)) == (401, "unauthorisedrequest")
    wrong = client.get(f"{SERVICE}/users", headers={"Authorization": "Bearer sf_wrong"})
    assert wrong.status_code == 401
    posted = client.post(f"{SERVICE}/users", headers=platform)
    assert posted.status_code == 405
    # Demographics need their own scope, and the office's settings.
    refused = client.get(f"{SERVICE}/demographics", headers=platform)
    assert (refused.status_code, minor(refused)) == (403, "forbidden")
    demographics = program_token(client, admin, [ONEROSTER_DEMOGRAPHICS])
    assert client.get(f"{SERVICE}/demographics", headers=demographics).json() == {"demographics": []}
    RosterSettings.objects.update(demographics=True)
    child = client.get(f"{SERVICE}/demographics/student-{school.child.pk}", headers=demographics)
    assert child.json()["demographics"]["birthDate"] == school.child.date_of_birth.isoformat()
    # The core scope reads the lists and records, not the nested lists.
    core = program_token(client, admin, [ONEROSTER_CORE])
    assert client.get(f"{SERVICE}/classes", headers=core).status_code == 200
    assert (
        client.get(f"{SERVICE}/classes/class-{school.offering.pk}/students", headers=core).status_code == 403
    )
    # The whole school is the office's: a teacher cannot hold the scope, nor use another token for it.
    made = token_create(user=teacher, name="Sync", scopes=["roster:read"], days=30)
    mine = client.get(f"{SERVICE}/users", headers={"Authorization": f"Bearer {made.secret}"})
    assert (mine.status_code, minor(mine)) == (403, "forbidden")


def test_the_package_and_a_page_are_read_in_a_fixed_number_of_queries(
    client, admin, school, queries_exactly, platform
):
    """Whatever the school's size: one query per kind of record (tests/api/test_oneroster.py pins them, the
    bench's large school measures them)."""
    RosterSettings.load()
    SchoolProfile.load()
    RosterSettings.objects.update(guardians=True, demographics=True)
    for _ in range(3):
        newcomer = f.StudentFactory()
        f.EnrollmentFactory(student=newcomer, section=school.other_section)
        f.GuardianLinkFactory(student=newcomer, guardian=f.GuardianFactory())
    with queries_exactly(12):
        package_build(options_current())
    # The token and its last use, the settings, the year, the school, the classes, sections and enrolments.
    with queries_exactly(8):
        page = client.get(f"{SERVICE}/enrollments", {"limit": 5}, headers=platform)
    assert len(page.json()["enrollments"]) == 5

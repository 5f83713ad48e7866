"""OneRoster 1.2's rostering service (REST/JSON binding), read-only, under `/ims/oneroster/rostering/v1p2/`.

Who may call it: a program the office registered (OAuth2 client credentials, /api/oauth/token) or an
administrator's personal token, holding one of the standard's scopes (`…/scope/roster.readonly` for every
endpoint but demographics, `roster-core.readonly` for the top-level lists and records only,
`roster-demographics.readonly` for demographics), checked against the owner's roles on every call, within the
API's throttle (api.auth.token_let_in: the same way in as /api/v1/). What it serves is the roster the office
configured on the OneRoster page (records.py: the year, guardians, demographics), the same records the CSV
package holds.

Every collection takes `limit` (default 100, at most MAX_LIMIT), `offset`, `sort` and `orderBy`, `filter`
(`field<op>'value'`, ops `= != > >= < <= ~`, joined by `AND` or by `OR`, not both) and `fields`; a record
takes `fields`. A collection answers `X-Total-Count` and a `Link` header (first, prev, next, last). Errors
are the standard's status object (`imsx_codeMajor` …): 400 `invalid_filter_field` or
`invalid_selection_field` (an unknown field, or a filter that cannot be read), 401 `unauthorisedrequest`,
403 `forbidden` (the token's scopes do not cover the endpoint), 404 `unknownobject` (also for the records
nested endpoints are about), 405 for anything but GET, 429 `server_busy` with `Retry-After`. An unknown
`sort` field keeps the default order (sourcedId's order of reading), as the standard says."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import pydantic_core
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from ninja.errors import AuthenticationError

from modules.api.auth import Refused, token_let_in
from modules.api.oneroster.package import options_current
from modules.api.oneroster.records import Reading, Record, Ref
from modules.api.scopes import ONEROSTER_CORE, ONEROSTER_DEMOGRAPHICS, ONEROSTER_ROSTER

BASE = "/ims/oneroster/rostering/v1p2"
DEFAULT_LIMIT = 100
MAX_LIMIT = 5000
COLLECTION_OF = {
    "academicSession": "academicSessions",
    "class": "classes",
    "course": "courses",
    "org": "orgs",
    "user": "users",
}

_BASE_FIELDS = {"sourcedId", "status", "dateLastModified", "metadata"}
FIELDS = {
    "academicSession": _BASE_FIELDS
    | {"title", "startDate", "endDate", "type", "parent", "children", "schoolYear"},
    "org": _BASE_FIELDS | {"name", "type", "identifier", "parent", "children"},
    "course": _BASE_FIELDS
    | {"title", "schoolYear", "courseCode", "grades", "subjects", "org", "subjectCodes", "resources"},
    "class": _BASE_FIELDS
    | {
        "title",
        "classCode",
        "classType",
        "location",
        "grades",
        "subjects",
        "course",
        "school",
        "terms",
        "subjectCodes",
        "periods",
        "resources",
    },
    "user": _BASE_FIELDS
    | {
        "userMasterIdentifier",
        "username",
        "userIds",
        "enabledUser",
        "givenName",
        "familyName",
        "middleName",
        "preferredFirstName",
        "preferredMiddleName",
        "preferredLastName",
        "pronouns",
        "roles",
        "userProfiles",
        "primaryOrg",
        "identifier",
        "email",
        "sms",
        "phone",
        "agents",
        "grades",
        "password",
        "resources",
    },
    "enrollment": _BASE_FIELDS | {"user", "class", "school", "role", "primary", "beginDate", "endDate"},
    "demographics": _BASE_FIELDS
    | {
        "birthDate",
        "sex",
        "americanIndianOrAlaskaNative",
        "asian",
        "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander",
        "white",
        "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity",
        "countryOfBirthCode",
        "stateOfBirthAbbreviation",
        "cityOfBirth",
        "publicSchoolResidenceStatus",
    },
}


class Failure(Exception):
    """An answer in the standard's error format."""

    def __init__(self, status: int, minor: str, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.status = status
        self.minor = minor
        self.description = description
        self.retry_after = retry_after


def _failure_response(failure: Failure) -> HttpResponse:
    body = {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": failure.description,
        "imsx_CodeMinor": {
            "imsx_codeMinorField": [
                {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": failure.minor}
            ]
        },
    }
    response = HttpResponse(
        pydantic_core.to_json(body), status=failure.status, content_type="application/json"
    )
    if failure.retry_after is not None:
        response["Retry-After"] = str(failure.retry_after)
    return response


# --- what a record looks like in JSON -----------------------------------------------------------------------


def _json(value, base: str):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Ref):
        return {
            "href": f"{base}/{COLLECTION_OF[value.type]}/{value.sourced_id}",
            "sourcedId": value.sourced_id,
            "type": value.type,
        }
    if isinstance(value, datetime.datetime):
        utc = value.astimezone(datetime.UTC)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_json(item, base) for item in value]
    if isinstance(value, dict):
        return {key: _json(item, base) for key, item in value.items() if item is not None}
    return value


# --- the query: filter, sort, fields, pages -----------------------------------------------------------------

_PREDICATE = re.compile(
    r"\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\s*(!=|>=|<=|=|>|<|~)\s*'([^']*)'\s*"
)
_LOGICAL = re.compile(r"(AND|OR)\s+")


def _texts(value) -> list[str]:
    """A rendered value as the texts a filter or a sort compares: a list's items, a reference's id."""
    if value is None:
        return []
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    if isinstance(value, dict):
        return _texts(value.get("sourcedId"))
    return [str(value)]


def _at(record: dict, dotted: str) -> list:
    values: list = [record]
    for part in dotted.split("."):
        found: list = []
        for value in values:
            items = value if isinstance(value, list) else [value]
            found.extend(item[part] for item in items if isinstance(item, dict) and part in item)
        values = found
    return values


_COMPARE: dict[str, Callable[[str, str], bool]] = {
    "=": lambda left, right: left == right,
    "!=": lambda left, right: left != right,
    ">": lambda left, right: left > right,
    ">=": lambda left, right: left >= right,
    "<": lambda left, right: left < right,
    "<=": lambda left, right: left <= right,
    "~": lambda left, right: right.casefold() in left.casefold(),
}


def filter_parse(text: str, known: set[str]) -> Callable[[dict], bool]:
    """A filter's test of a rendered record; Failure 400 for what cannot be read or names no field."""
    conditions: list[tuple[str, str, str]] = []
    joins: set[str] = set()
    position = 0
    while True:
        found = _PREDICATE.match(text, position)
        if found is None:
            raise Failure(400, "invalid_filter_field", f"The filter cannot be read from “{text[position:]}”.")
        field, operator, value = found.groups()
        if field.split(".", 1)[0] not in known:
            raise Failure(400, "invalid_filter_field", f"Unknown filter field: {field}")
        conditions.append((field, operator, value))
        position = found.end()
        if position == len(text):
            break
        logical = _LOGICAL.match(text, position)
        if logical is None:
            raise Failure(400, "invalid_filter_field", f"Expected AND or OR at “{text[position:]}”.")
        joins.add(logical.group(1))
        position = logical.end()
    if len(joins) > 1:
        raise Failure(400, "invalid_filter_field", "A filter joins its conditions by AND or by OR, not both.")

    def holds(record: dict, field: str, operator: str, value: str) -> bool:
        texts = _texts(_at(record, field))
        if operator == "!=":
            return all(text != value for text in texts)
        return any(_COMPARE[operator](text, value) for text in texts)

    combine = any if joins == {"OR"} else all
    return lambda record: combine(holds(record, *condition) for condition in conditions)


def _selection(request, known: set[str]) -> list[str] | None:
    raw = request.GET.get("fields")
    if raw is None:
        return None
    fields = [field.strip() for field in raw.split(",")]
    for field in fields:
        if field not in known:
            raise Failure(400, "invalid_selection_field", f"Unknown field: {field or '(blank)'}")
    return fields


def _number(request, name: str, default: int, minimum: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"\d{1,9}", raw) or int(raw) < minimum:
        raise Failure(400, "invaliddata", f"{name} must be a whole number from {minimum}.")
    return int(raw)


@dataclass(frozen=True)
class Listing:
    kind: str  # the records' kind (FIELDS)
    key: str  # the answer's key
    rows: Callable[[Reading, dict], list[Record]]


def _answer(body: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(pydantic_core.to_json(body), status=status, content_type="application/json")


def _collection(request, listing: Listing, records: list[Record], base: str) -> HttpResponse:
    known = FIELDS[listing.kind]
    fields = _selection(request, known)
    limit = min(_number(request, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT)
    offset = _number(request, "offset", 0, 0)
    rendered: list[dict] | None = None
    if "filter" in request.GET:
        test = filter_parse(request.GET["filter"], known)
        rendered = [row for row in (_json(record, base) for record in records) if test(row)]
    sort = request.GET.get("sort", "")
    if sort in known:
        rendered = rendered if rendered is not None else [_json(record, base) for record in records]
        rendered.sort(key=lambda row: _texts(_at(row, sort))[:1])
        if request.GET.get("orderBy") == "desc":
            rendered.reverse()
    elif request.GET.get("orderBy") == "desc":
        rendered = list(reversed(rendered)) if rendered is not None else None
        records = list(reversed(records))
    total = len(rendered) if rendered is not None else len(records)
    page = rendered[offset : offset + limit] if rendered is not None else None
    if page is None:
        page = [_json(record, base) for record in records[offset : offset + limit]]
    if fields is not None:
        page = [{field: row[field] for field in fields if field in row} for row in page]
    response = _answer({listing.key: page})
    response["X-Total-Count"] = str(total)
    response["Link"] = _links(request, total=total, limit=limit, offset=offset)
    return response


def _links(request, *, total: int, limit: int, offset: int) -> str:
    def link(at: int, relation: str) -> str:
        query = {**request.GET.dict(), "limit": limit, "offset": max(at, 0)}
        return f'<{request.build_absolute_uri(request.path)}?{urlencode(query)}>; rel="{relation}"'

    last = max((total - 1) // limit * limit, 0)
    links = [link(0, "first")]
    if offset > 0:
        links.append(link(offset - limit, "prev"))
    if offset + limit < total:
        links.append(link(offset + limit, "next"))
    links.append(link(last, "last"))
    return ", ".join(links)


def _record(request, kind: str, key: str, record: Record | None, base: str) -> HttpResponse:
    fields = _selection(request, FIELDS[kind])
    if record is None:
        raise Failure(404, "unknownobject", "Unknown object.")
    row = _json(record, base)
    if fields is not None:
        row = {field: row[field] for field in fields if field in row}
    return _answer({key: row})


# --- the records each endpoint serves -----------------------------------------------------------------------


def _sessions(kind: str | None):
    def rows(reading: Reading, _args: dict) -> list[Record]:
        return [row for row in reading.academic_sessions if kind is None or row["type"] == kind]

    return rows


def _users(role: str | None):
    def rows(reading: Reading, _args: dict) -> list[Record]:
        users = reading.people[0]
        return [user for user in users if role is None or _holds_role(user, role)]

    return rows


def _holds_role(user: Record, role: str) -> bool:
    return any(held["role"] == role for held in user["roles"])


def _by_id(rows: list[Record], sourced_id: str) -> Record | None:
    return next((row for row in rows if row["sourcedId"] == sourced_id), None)


def _parent(rows: list[Record], sourced_id: str) -> Record:
    found = _by_id(rows, sourced_id)
    if found is None:
        raise Failure(404, "unknownobject", f"Unknown object: {sourced_id}")
    return found


def _school(reading: Reading, args: dict) -> None:
    _parent(reading.orgs, args["school"])


def _class_members(role: str):
    def rows(reading: Reading, args: dict) -> list[Record]:
        if "school" in args:
            _school(reading, args)
        klass = _parent(reading.classes, args["klass"])["sourcedId"]
        members = {
            row["user"].sourced_id
            for row in reading.enrollments
            if row["class"].sourced_id == klass and row["role"] == role
        }
        return [user for user in reading.people[0] if user["sourcedId"] in members]

    return rows


def _class_enrollments(reading: Reading, args: dict) -> list[Record]:
    _school(reading, args)
    klass = _parent(reading.classes, args["klass"])["sourcedId"]
    return [row for row in reading.enrollments if row["class"].sourced_id == klass]


def _classes_of_user(role: str | None):
    def rows(reading: Reading, args: dict) -> list[Record]:
        user = _parent(_users(role)(reading, args), args["parent"])["sourcedId"]
        held = {row["class"].sourced_id for row in reading.enrollments if row["user"].sourced_id == user}
        return [row for row in reading.classes if row["sourcedId"] in held]

    return rows


def _classes_of_course(reading: Reading, args: dict) -> list[Record]:
    course = _parent(reading.courses, args["parent"])["sourcedId"]
    return [row for row in reading.classes if row["course"].sourced_id == course]


def _classes_of_term(reading: Reading, args: dict) -> list[Record]:
    term = _parent(_sessions("term")(reading, args), args["parent"])["sourcedId"]
    return [row for row in reading.classes if any(ref.sourced_id == term for ref in row["terms"])]


def _of_school(rows_of: Callable[[Reading, dict], list[Record]]):
    def rows(reading: Reading, args: dict) -> list[Record]:
        _school(reading, {"school": args["parent"]})
        return rows_of(reading, args)  # the roster is one school's

    return rows


def _grading_periods_of_term(reading: Reading, args: dict) -> list[Record]:
    term = _parent(_sessions("term")(reading, args), args["parent"])["sourcedId"]
    return [
        row
        for row in _sessions("gradingPeriod")(reading, args)
        if row.get("parent") and row["parent"].sourced_id == term
    ]


ALL = (ONEROSTER_ROSTER, ONEROSTER_CORE)
NESTED = (ONEROSTER_ROSTER,)
DEMOGRAPHICS = (ONEROSTER_DEMOGRAPHICS,)


@dataclass(frozen=True)
class Endpoint:
    route: str
    name: str
    listing: Listing
    scopes: tuple[str, ...]
    single: str | None = None  # the key of one record's answer: a record endpoint


def _endpoints() -> list[Endpoint]:
    sessions = Listing("academicSession", "academicSessions", _sessions(None))
    terms = Listing("academicSession", "academicSessions", _sessions("term"))
    grading = Listing("academicSession", "academicSessions", _sessions("gradingPeriod"))
    classes = Listing("class", "classes", lambda reading, _args: reading.classes)
    courses = Listing("course", "courses", lambda reading, _args: reading.courses)
    enrollments = Listing("enrollment", "enrollments", lambda reading, _args: reading.enrollments)
    orgs = Listing("org", "orgs", lambda reading, _args: reading.orgs)
    schools = Listing(
        "org", "orgs", lambda reading, _args: [o for o in reading.orgs if o["type"] == "school"]
    )
    users = Listing("user", "users", _users(None))
    students = Listing("user", "users", _users("student"))
    teachers = Listing("user", "users", _users("teacher"))
    demographics = Listing("demographics", "demographics", lambda reading, _args: reading.people[1])
    endpoints = []
    for route, listing, single in [
        ("academicSessions", sessions, "academicSession"),
        ("classes", classes, "class"),
        ("courses", courses, "course"),
        ("demographics", demographics, "demographics"),
        ("enrollments", enrollments, "enrollment"),
        ("gradingPeriods", grading, "academicSession"),
        ("orgs", orgs, "org"),
        ("schools", schools, "org"),
        ("students", students, "user"),
        ("teachers", teachers, "user"),
        ("terms", terms, "academicSession"),
        ("users", users, "user"),
    ]:
        scopes = DEMOGRAPHICS if route == "demographics" else ALL
        endpoints.append(Endpoint(route, route, listing, scopes))
        endpoints.append(Endpoint(f"{route}/<str:sourced_id>", f"{route}_one", listing, scopes, single))
    nested = [
        (
            "classes/<str:klass>/students",
            "class_students",
            Listing("user", "users", _class_members("student")),
        ),
        (
            "classes/<str:klass>/teachers",
            "class_teachers",
            Listing("user", "users", _class_members("teacher")),
        ),
        ("courses/<str:parent>/classes", "course_classes", Listing("class", "classes", _classes_of_course)),
        (
            "schools/<str:parent>/classes",
            "school_classes",
            Listing("class", "classes", _of_school(classes.rows)),
        ),
        (
            "schools/<str:parent>/courses",
            "school_courses",
            Listing("course", "courses", _of_school(courses.rows)),
        ),
        (
            "schools/<str:parent>/enrollments",
            "school_enrollments",
            Listing("enrollment", "enrollments", _of_school(enrollments.rows)),
        ),
        (
            "schools/<str:parent>/students",
            "school_students",
            Listing("user", "users", _of_school(students.rows)),
        ),
        (
            "schools/<str:parent>/teachers",
            "school_teachers",
            Listing("user", "users", _of_school(teachers.rows)),
        ),
        (
            "schools/<str:parent>/terms",
            "school_terms",
            Listing("academicSession", "academicSessions", _of_school(terms.rows)),
        ),
        (
            "schools/<str:school>/classes/<str:klass>/enrollments",
            "school_class_enrollments",
            Listing("enrollment", "enrollments", _class_enrollments),
        ),
        (
            "schools/<str:school>/classes/<str:klass>/students",
            "school_class_students",
            Listing("user", "users", _class_members("student")),
        ),
        (
            "schools/<str:school>/classes/<str:klass>/teachers",
            "school_class_teachers",
            Listing("user", "users", _class_members("teacher")),
        ),
        (
            "students/<str:parent>/classes",
            "student_classes",
            Listing("class", "classes", _classes_of_user("student")),
        ),
        (
            "teachers/<str:parent>/classes",
            "teacher_classes",
            Listing("class", "classes", _classes_of_user("teacher")),
        ),
        ("users/<str:parent>/classes", "user_classes", Listing("class", "classes", _classes_of_user(None))),
        ("terms/<str:parent>/classes", "term_classes", Listing("class", "classes", _classes_of_term)),
        (
            "terms/<str:parent>/gradingPeriods",
            "term_grading_periods",
            Listing("academicSession", "academicSessions", _grading_periods_of_term),
        ),
    ]
    endpoints.extend(Endpoint(route, name, listing, NESTED) for route, name, listing in nested)
    return endpoints


def _bearer(request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _space, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def _let_in(request, scopes: tuple[str, ...]) -> None:
    try:
        token_let_in(request, _bearer(request), scopes)
    except AuthenticationError as error:
        raise Failure(
            401, "unauthorisedrequest", "A valid access token is needed: Authorization: Bearer …"
        ) from error
    except Refused as refused:
        if refused.status_code == 429:
            raise Failure(429, "server_busy", str(refused.message), refused.retry_after) from refused
        raise Failure(403, "forbidden", str(refused.message)) from refused


def _view(endpoint: Endpoint):
    @csrf_exempt
    def view(request, **args):
        try:
            if request.method not in ("GET", "HEAD"):
                response = _failure_response(
                    Failure(405, "invaliddata", "This service is read-only: GET only.")
                )
                response["Allow"] = "GET, HEAD"
                return response
            _let_in(request, endpoint.scopes)
            reading = Reading(options_current())
            base = request.build_absolute_uri(BASE)
            rows = endpoint.listing.rows(reading, args)
            if endpoint.single is not None:
                kind = endpoint.listing.kind
                return _record(request, kind, endpoint.single, _by_id(rows, args["sourced_id"]), base)
            return _collection(request, endpoint.listing, rows, base)
        except Failure as failure:
            return _failure_response(failure)

    view.__name__ = endpoint.name
    return view


ENDPOINTS = _endpoints()
urlpatterns = [path(endpoint.route, _view(endpoint), name=endpoint.name) for endpoint in ENDPOINTS]

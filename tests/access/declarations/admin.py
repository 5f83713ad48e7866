"""Django admin: staff administrators only. Non-staff users are sent to the admin's login page (302)."""

from django.apps import apps

from tests import factories
from tests.access.matrix import Rule, expect

ADMIN_PAGE = expect(302, admin=200)


def _make(model, school):
    """An object for admin pages of models the school fixture does not create."""
    label = model._meta.label_lower
    if label == "account.emailaddress":
        return model.objects.create(user=school.child.user, email=school.child.user.email, primary=True)
    if label == "mfa.authenticator":
        return model.objects.create(user=school.child.user, type="recovery_codes", data={"seed": "x"})
    if label == "core.job":
        return model.objects.create(kind="student_import", owner=school.child.user)
    if label == "core.auditevent":
        return model.objects.create(action="test", object_type="people.student", object_id="1")
    if label == "academics.calendarevent":
        return factories.CalendarEventFactory()
    if label == "academics.period":
        return factories.PeriodFactory()
    if label == "timetable.timetable":
        return factories.TimetableFactory(year=school.year)
    if label == "timetable.lesson":
        return factories.LessonFactory(offering=school.offering)
    return _make_more(label, model, school)


def _make_more(label, model, school):
    """Attendance rows for their admin pages (grades and fees rows: their own functions)."""
    day = school.term.start_date
    if label == "attendance.register":
        return factories.RegisterFactory(section=school.section, date=day)
    if label == "attendance.attendancerecord":
        register = factories.RegisterFactory(section=school.section, date=day)
        return factories.AttendanceRecordFactory(register=register, student=school.child)
    if label == "attendance.absencenote":
        return model.objects.create(student=school.child, date_from=day, date_to=day, reason="Flu")
    if label == "attendance.graderegistermode":
        return model.objects.create(grade_level=school.section.grade_level, mode="lesson")
    if label == "attendance.flaggedpattern":
        return model.objects.create(
            student=school.child, kind="consecutive", key="k", first_seen=day, last_seen=day
        )
    if label.startswith("exams."):
        return _make_exams(label, model, school)
    if label.startswith("fees."):
        return _make_fees(label, model, school)
    return model.objects.create()


def _make_exams(label, model, school):
    """Grades rows for their admin pages."""
    day = school.term.start_date
    if label == "exams.gradingscale":
        return model.objects.create(name="Default")
    if label == "exams.gradeband":
        scale = apps.get_model("exams", "GradingScale").objects.create(name="Matrix scale")
        return model.objects.create(scale=scale, letter="A", min_percent=90)
    if label == "exams.assessmentcategory":
        return model.objects.create(offering=school.offering, name="Tests", weight=100)
    if label == "exams.assessment":
        return factories.AssessmentFactory(offering=school.offering, term=school.term)
    if label == "exams.mark":
        assessment = factories.AssessmentFactory(offering=school.offering, term=school.term)
        return factories.MarkFactory(assessment=assessment, student=school.child)
    if label == "exams.termstatus":
        return model.objects.create(term=school.term)
    if label == "exams.termcomment":
        return model.objects.create(
            student=school.child, term=school.term, kind="homeroom", text="Well done."
        )
    if label == "exams.examperiod":
        return model.objects.create(name="Finals", term=school.term, start_date=day, end_date=day)
    if label == "exams.examslot":
        period = apps.get_model("exams", "ExamPeriod").objects.create(
            name="Finals", term=school.term, start_date=day, end_date=day
        )
        return model.objects.create(
            period=period, subject=school.offering.subject, date=day, start_time="09:00", duration_minutes=60
        )
    return model.objects.create()


def _make_fees(label, model, school):
    """Fee rows for their admin pages (money documents are read-only there)."""
    if label == "fees.feeitem":
        return factories.FeeItemFactory()
    if label == "fees.feestructure":
        return factories.FeeStructureFactory(year=school.year, grade_level=school.section.grade_level)
    if label == "fees.instalment":
        return factories.InstalmentFactory(
            structure__year=school.year, structure__grade_level=school.section.grade_level
        )
    invoice = factories.InvoiceFactory(year=school.year, student=school.child)
    if label == "fees.invoice":
        return invoice
    payment = apps.get_model("fees", "Payment").objects.create(
        receipt_number="R-1",
        year=school.year,
        student=school.child,
        amount=10,
        method="cash",
        idempotency_key="k",
    )
    if label == "fees.payment":
        return payment
    if label == "fees.creditnote":
        return model.objects.create(number="CN-1", invoice=invoice, amount=1, reason="Matrix")
    if label == "fees.refund":
        return model.objects.create(number="RF-1", payment=payment, amount=1, method="cash", reason="Matrix")
    if label == "fees.discount":
        return model.objects.create(
            student=school.child, year=school.year, kind="fixed", value=5, reason="Matrix", approved_by="Head"
        )
    if label == "fees.checkoutsession":
        return model.objects.create(
            stripe_id="cs_test_1", guardian=school.guardian_profile, amount=10, currency="USD"
        )
    if label == "fees.stripeevent":
        return model.objects.create(event_id="evt_1", type="checkout.session.completed")
    return model.objects.create()


def _object(args):
    school, url_name = args
    app_label, _sep, rest = url_name.removeprefix("admin:").partition("_")
    model_name = rest.rsplit("_", 1)[0]
    model = apps.get_model(app_label, model_name)
    obj = model.objects.order_by("pk").first() or _make(model, school)
    return {"object_id": obj.pk}


RULES = [
    Rule("admin:index", expect=ADMIN_PAGE),
    # The admin's own login form is replaced: visitors go to allauth's sign-in (with MFA), staff on to the
    # admin, and a signed-in family member or teacher is refused (sending them back would loop).
    Rule("admin:login", expect=expect(403, anonymous=302, admin=302)),
    Rule("admin:logout", method="post", expect=expect(302, anonymous=302)),
    # The admin's own password form is replaced by allauth's (throttled, audited).
    Rule("admin:password_change", expect=expect(302)),
    Rule("admin:password_change_done", expect=ADMIN_PAGE),
    Rule("admin:autocomplete", expect=expect(302, admin=403)),
    Rule("admin:jsi18n", expect=ADMIN_PAGE),
    Rule(
        "admin:view_on_site",
        kwargs={"content_type_id": 1, "object_id": 1},
        expect=ADMIN_PAGE,
        check=False,
        why="Django's own redirect to an object's public URL; none of our models has one.",
    ),
    Rule(r"admin:app_list", kwargs={"app_label": "people"}, expect=ADMIN_PAGE),
    # Audit events are read-only: the add and delete pages refuse everyone.
    Rule("admin:core_auditevent_add", expect=expect(302, admin=403)),
    # Money documents change only through the fees ledger: the admin shows them, never adds or deletes.
    Rule(
        r"admin:fees_(invoice|payment|creditnote|refund|discount|checkoutsession|stripeevent)_(add|delete)",
        pattern=True,
        expect=expect(302, admin=403),
        kwargs=lambda args: {} if args[1].endswith("_add") else _object(args),
    ),
    Rule(r"admin:core_auditevent_delete", pattern=True, expect=expect(302, admin=403), kwargs=_object),
    # Logins, groups and authenticators are for superusers (none of the personas): office administrators'
    # groups carry no permission on them, so they cannot set a password or grant themselves anything.
    Rule(
        r"admin:(accounts_user|auth_group|mfa_authenticator)_(changelist|add)",
        pattern=True,
        expect=expect(302, admin=403),
        kwargs=lambda args: {},
    ),
    Rule(
        r"admin:(accounts_user|auth_group|mfa_authenticator)_(change|delete|history)",
        pattern=True,
        expect=expect(302, admin=403),
        kwargs=_object,
    ),
    Rule(r"admin:\w+_changelist", pattern=True, expect=ADMIN_PAGE, kwargs=lambda args: {}),
    Rule(r"admin:\w+_add", pattern=True, expect=ADMIN_PAGE, kwargs=lambda args: {}),
    Rule(r"admin:\w+_(change|delete|history)", pattern=True, expect=ADMIN_PAGE, kwargs=_object),
    Rule(
        r"route:admin/.*",
        pattern=True,
        expect=ADMIN_PAGE,
        check=False,
        why="Django admin's catch-all redirects for old object URLs; the named pages above are checked.",
    ),
]

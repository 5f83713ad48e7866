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
    if label == "academics.timetableentry":
        return factories.TimetableEntryFactory(offering=school.offering)
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
    Rule("admin:login", expect=expect(200, anonymous=200, admin=302)),
    Rule("admin:logout", method="post", expect=expect(302, anonymous=302)),
    Rule("admin:password_change", expect=ADMIN_PAGE),
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
    Rule(r"admin:core_auditevent_delete", pattern=True, expect=expect(302, admin=403), kwargs=_object),
    Rule(
        r"admin:(auth|accounts)_user_password_change",
        pattern=True,
        expect=ADMIN_PAGE,
        kwargs=lambda args: {"id": args[0].child.user_id},
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

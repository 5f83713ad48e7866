"""The timetable (scope `roster:read`): the bell schedule, and the lessons of a day in the published
timetable in effect that day, of the classes the caller sees (a teacher's also those they co-teach)."""

# No `from __future__ import annotations` here: django-ninja reads the endpoints' annotations as types.

import datetime

from django.db.models import Q
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from modules.academics.models import CourseOffering, Period
from modules.accounts.models import Role
from modules.api.auth import TokenAuth
from modules.api.lists import PAGE, Day, Id, Pages, narrowed
from modules.api.scopes import ROSTER_READ
from modules.timetable.models import Lesson

router = Router(auth=TokenAuth(ROSTER_READ), tags=["timetable"])


class PeriodOut(Schema):
    id: int
    name: str
    order: int
    start_time: datetime.time
    end_time: datetime.time


class LessonOut(Schema):
    id: int
    class_id: int
    teacher_id: int | None
    weekday: int
    period_id: int
    length: int
    room_id: int | None
    timetable_id: int

    @staticmethod
    def resolve_class_id(lesson: Lesson) -> int:
        return lesson.offering_id


class LessonFilter(Schema):
    date: Day | None = None
    class_: Id | None = Field(None, alias="class")
    teacher: Id | None = None
    room: Id | None = None


@router.get("/periods", response=list[PeriodOut], summary="The bell schedule")
@paginate(Pages, **PAGE)
def periods(request):
    return Period.objects.all()


@router.get("/lessons", response=list[LessonOut], summary="A day's lessons (today unless `date`)")
@paginate(Pages, **PAGE)
def lessons(request, filters: Query[LessonFilter]):
    """Weekday: 0 is Monday. A double lesson has length 2 from its period. A holiday still lists its
    weekday's lessons: the school calendar says which days are closed."""
    user = request.auth.user
    day = filters.date or timezone.localdate()
    seen = Q(offering__in=CourseOffering.objects.visible_to(user).values("pk"))
    if Role.TEACHER in user.roles and hasattr(user, "staff_profile"):
        seen |= Q(pk__in=Lesson.objects.taught_by(user.staff_profile).values("pk"))
    rows = Lesson.objects.in_effect_on(day).placed().filter(seen).order_by()
    return narrowed(rows, offering_id=filters.class_, teacher_id=filters.teacher, room_id=filters.room)

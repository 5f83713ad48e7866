from django.contrib import admin

from modules.academics.models import (
    AcademicYear,
    CalendarEvent,
    CourseOffering,
    Enrollment,
    GradeLevel,
    Period,
    Room,
    Section,
    Subject,
    Term,
)
from modules.academics.services import enrollment_save


class TermInline(admin.TabularInline):
    model = Term
    extra = 0


@admin.register(AcademicYear)
class AcademicYearAdmin(admin.ModelAdmin):
    list_display = ["name", "start_date", "end_date", "is_current"]
    inlines = [TermInline]


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "start_date", "end_date"]
    list_filter = ["year"]


@admin.register(GradeLevel)
class GradeLevelAdmin(admin.ModelAdmin):
    list_display = ["name", "order"]
    search_fields = ["name"]


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "capacity"]
    search_fields = ["name"]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "grade_level", "year", "homeroom_teacher", "room"]
    list_filter = ["year", "grade_level"]
    search_fields = ["name"]
    autocomplete_fields = ["homeroom_teacher", "room"]


@admin.register(CourseOffering)
class CourseOfferingAdmin(admin.ModelAdmin):
    list_display = ["subject", "section", "teacher"]
    list_filter = ["section__year", "subject"]
    search_fields = ["subject__name", "section__name", "teacher__last_name"]
    autocomplete_fields = ["subject", "section", "teacher"]


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["student", "section", "year", "status", "enrolled_on", "ended_on"]
    list_filter = ["year", "status", "section__grade_level"]
    search_fields = ["student__first_name", "student__last_name", "student__admission_number"]
    autocomplete_fields = ["student", "section"]

    def save_model(self, request, obj, form, change):
        # Through the service, as on the section page: audited, and announced (fees bills a late enrolment,
        # a withdrawal ends the student's login role). Enrollments are created here only: no other admin has
        # an inline for them.
        enrollment_save(enrollment=obj, by=request.user)


@admin.register(CalendarEvent)
class CalendarEventAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "start_date", "end_date"]
    list_filter = ["kind"]


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["order", "name", "start_time", "end_time"]

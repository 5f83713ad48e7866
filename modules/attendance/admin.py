from django.contrib import admin

from modules.attendance.models import (
    AbsenceNote,
    AttendancePolicy,
    AttendanceRecord,
    FlaggedPattern,
    GradeRegisterMode,
    Register,
)


@admin.register(AttendancePolicy)
class AttendancePolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "mode", "teacher_edit_days", "chronic_absence_percent", "notify_absences"]


@admin.register(GradeRegisterMode)
class GradeRegisterModeAdmin(admin.ModelAdmin):
    list_display = ["grade_level", "mode"]


class AttendanceRecordInline(admin.TabularInline):
    model = AttendanceRecord
    extra = 0
    raw_id_fields = ["student", "marked_by"]


@admin.register(Register)
class RegisterAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "section", "offering", "period", "state", "submitted_at"]
    list_filter = ["kind", "state", "date"]
    search_fields = ["section__name", "offering__subject__name"]
    raw_id_fields = ["section", "offering", "submitted_by"]
    date_hierarchy = "date"
    inlines = [AttendanceRecordInline]


@admin.register(AttendanceRecord)
class AttendanceRecordAdmin(admin.ModelAdmin):
    list_display = ["date", "student", "status", "late_minutes", "register"]
    list_filter = ["status", "date"]
    search_fields = ["student__first_name", "student__last_name", "student__admission_number"]
    raw_id_fields = ["register", "student", "marked_by"]
    date_hierarchy = "date"


@admin.register(AbsenceNote)
class AbsenceNoteAdmin(admin.ModelAdmin):
    list_display = ["student", "date_from", "date_to", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["student__first_name", "student__last_name"]
    raw_id_fields = ["student", "submitted_by", "decided_by"]


@admin.register(FlaggedPattern)
class FlaggedPatternAdmin(admin.ModelAdmin):
    list_display = ["student", "kind", "key", "first_seen"]
    list_filter = ["kind"]
    raw_id_fields = ["student"]

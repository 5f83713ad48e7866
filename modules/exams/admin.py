from django.contrib import admin

from modules.exams.models import (
    Assessment,
    AssessmentCategory,
    ExamPeriod,
    ExamSlot,
    GradeBand,
    GradingScale,
    Mark,
    TermComment,
    TermStatus,
)


class GradeBandInline(admin.TabularInline):
    model = GradeBand
    extra = 0


@admin.register(GradingScale)
class GradingScaleAdmin(admin.ModelAdmin):
    list_display = ["name", "grade_level", "pass_mark"]
    inlines = [GradeBandInline]


@admin.register(GradeBand)
class GradeBandAdmin(admin.ModelAdmin):
    list_display = ["scale", "letter", "min_percent", "gpa_points", "descriptor"]
    list_filter = ["scale"]


@admin.register(AssessmentCategory)
class AssessmentCategoryAdmin(admin.ModelAdmin):
    list_display = ["offering", "name", "weight"]
    raw_id_fields = ["offering"]


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["name", "offering", "term", "kind", "max_score", "date", "published_at"]
    list_filter = ["kind", "term"]
    search_fields = ["name", "offering__subject__name", "offering__section__name"]
    raw_id_fields = ["offering", "category", "created_by"]


@admin.register(Mark)
class MarkAdmin(admin.ModelAdmin):
    list_display = ["assessment", "student", "score", "code", "entered_at"]
    list_filter = ["code"]
    search_fields = ["student__first_name", "student__last_name", "assessment__name"]
    raw_id_fields = ["assessment", "student", "entered_by"]


@admin.register(TermStatus)
class TermStatusAdmin(admin.ModelAdmin):
    list_display = ["term", "results_published_at", "locked_at"]


@admin.register(TermComment)
class TermCommentAdmin(admin.ModelAdmin):
    list_display = ["student", "term", "kind", "offering", "updated_at"]
    list_filter = ["kind", "term"]
    raw_id_fields = ["student", "offering", "author"]


class ExamSlotInline(admin.TabularInline):
    model = ExamSlot
    extra = 0
    raw_id_fields = ["room", "invigilator"]


@admin.register(ExamPeriod)
class ExamPeriodAdmin(admin.ModelAdmin):
    list_display = ["name", "term", "start_date", "end_date", "is_published"]
    inlines = [ExamSlotInline]


@admin.register(ExamSlot)
class ExamSlotAdmin(admin.ModelAdmin):
    list_display = ["subject", "period", "date", "start_time", "duration_minutes", "room", "invigilator"]
    list_filter = ["period", "date"]
    filter_horizontal = ["sections"]

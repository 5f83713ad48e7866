"""The exams models in the admin site. Its pages write marks, assessments and categories around the services
(a mark changed here may keep its time of entry): each change counts the class's stored averages again at once
(exams.results)."""

from django.contrib import admin
from django.db import transaction

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
from modules.exams.results import offering_terms, results_refresh


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


class ResultsCountedAdmin(admin.ModelAdmin):
    """A model admin whose saves and deletions change students' averages: `classes(objects)` names the
    (class, term) pairs an object counts in (before and after a change), all counted again in the same
    transaction."""

    def classes(self, objects) -> set[tuple[int, int]]:
        raise NotImplementedError

    def _counted_again(self, pairs: set[tuple[int, int]]) -> None:
        results_refresh(dict.fromkeys(pairs))

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = self.classes([type(obj).objects.get(pk=obj.pk)]) if change else set()
            super().save_model(request, obj, form, change)
            self._counted_again(before | self.classes([obj]))

    def delete_model(self, request, obj):
        with transaction.atomic():
            pairs = self.classes([obj])
            super().delete_model(request, obj)
            self._counted_again(pairs)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            pairs = self.classes(list(queryset))
            super().delete_queryset(request, queryset)
            self._counted_again(pairs)


@admin.register(AssessmentCategory)
class AssessmentCategoryAdmin(ResultsCountedAdmin):
    list_display = ["offering", "name", "weight"]
    raw_id_fields = ["offering"]

    def classes(self, objects):
        return {(c.offering_id, term_id) for c in objects for term_id in offering_terms(c.offering_id)}


@admin.register(Assessment)
class AssessmentAdmin(ResultsCountedAdmin):
    list_display = ["name", "offering", "term", "kind", "max_score", "date", "published_at"]
    list_filter = ["kind", "term"]
    search_fields = ["name", "offering__subject__name", "offering__section__name"]
    raw_id_fields = ["offering", "category", "created_by"]

    def classes(self, objects):
        return {(a.offering_id, a.term_id) for a in objects}


@admin.register(Mark)
class MarkAdmin(ResultsCountedAdmin):
    list_display = ["assessment", "student", "score", "code", "entered_at"]
    list_filter = ["code"]
    search_fields = ["student__first_name", "student__last_name", "assessment__name"]
    raw_id_fields = ["assessment", "student", "entered_by"]

    def classes(self, objects):
        return {(m.assessment.offering_id, m.assessment.term_id) for m in objects}


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

from django.contrib import admin

from modules.people.models import Guardian, GuardianLink, Staff, Student


class GuardianLinkInline(admin.TabularInline):
    model = GuardianLink
    extra = 0
    autocomplete_fields = ["guardian"]


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = ["admission_number", "last_name", "first_name", "date_of_birth", "is_active"]
    list_filter = ["is_active", "gender"]
    search_fields = ["admission_number", "first_name", "last_name", "email"]
    autocomplete_fields = ["user"]
    inlines = [GuardianLinkInline]


@admin.register(Guardian)
class GuardianAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "email", "phone", "preferred_language"]
    search_fields = ["first_name", "last_name", "email", "phone"]
    autocomplete_fields = ["user"]


@admin.register(GuardianLink)
class GuardianLinkAdmin(admin.ModelAdmin):
    list_display = ["student", "guardian", "relationship", "is_primary", "receives_notifications"]
    list_filter = ["relationship", "is_primary", "receives_notifications"]
    autocomplete_fields = ["student", "guardian"]


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["staff_number", "last_name", "first_name", "position", "job_title", "is_active"]
    list_filter = ["position", "is_active"]
    search_fields = ["staff_number", "first_name", "last_name", "email"]
    autocomplete_fields = ["user"]

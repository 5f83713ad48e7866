from django.contrib import admin

from modules.core.models import AuditEvent, Job, SchoolProfile


@admin.register(SchoolProfile)
class SchoolProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "currency"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that change only through their services (audit events, money documents): shown, never
    added, changed or deleted in the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "object_id", "actor__email"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "owner", "status", "done", "total", "attempts", "leased_until"]
    list_filter = ["kind", "status"]
    # The lease is the job mechanism's own bookkeeping (modules/core/jobs.py): shown, never edited by hand.
    readonly_fields = [
        "id",
        "created_at",
        "finished_at",
        "leased_until",
        "heartbeat_at",
        "attempts",
        "worker",
    ]

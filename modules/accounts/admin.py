"""Logins, groups and authenticators in the Django admin: superusers only, nothing typed that should be
sent, and every change audited.

Staff groups carry no permission on these apps (groups.GROUP_APPS), so an office administrator cannot set a
family's password, make themself superuser, or delete a colleague's authenticator here. A superuser cannot
type a password either (the office sends a reset link) nor grant superuser status (`createsuperuser` on the
command line is the way), and cannot add a login (the office registers people in the people pages).
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from modules.accounts.models import User
from modules.accounts.services import password_reset_send, user_sessions_end
from modules.core.audit import audit_log

USER_AUDITED = ["email", "first_name", "last_name", "language", "is_active", "is_staff", "is_superuser"]


def _user_snapshot(user: User) -> dict:
    values = {name: getattr(user, name) for name in USER_AUDITED}
    values["groups"] = sorted(user.groups.values_list("name", flat=True))
    values["user_permissions"] = sorted(user.user_permissions.values_list("codename", flat=True))
    return values


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "language", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active", "is_superuser", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    filter_horizontal = ["groups", "user_permissions"]
    fieldsets = [
        (None, {"fields": ["email"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "language"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    # The address is the login: the office changes it in the people pages (one login per address).
    readonly_fields = ["email", "is_superuser", "last_login", "date_joined"]
    actions = ["send_password_reset"]

    def has_add_permission(self, request) -> bool:
        return False

    def lookup_allowed(self, lookup, value, request=None):
        return not lookup.startswith("password") and super().lookup_allowed(lookup, value, request)

    def save_model(self, request, obj, form, change):
        obj._audit_before = _user_snapshot(User.objects.get(pk=obj.pk))
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        before, after = user._audit_before, _user_snapshot(user)
        changed = {name for name in after if before[name] != after[name]}
        if changed:
            audit_log(
                actor=request.user,
                action="login.update",
                obj=user,
                before={name: before[name] for name in sorted(changed)},
                after={name: after[name] for name in sorted(changed)},
            )
        if changed & {"is_active", "is_staff", "groups", "user_permissions"}:
            # Lost or regained rights apply to fresh sessions only: an old one must not come back to life.
            user_sessions_end(user=user, by=request.user, reason="login.update")

    def delete_model(self, request, obj):
        audit_log(actor=request.user, action="login.delete", obj=obj, before=_user_snapshot(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            audit_log(actor=request.user, action="login.delete", obj=user, before=_user_snapshot(user))
        super().delete_queryset(request, queryset)

    @admin.action(description=_("Email a password reset link"), permissions=["change"])
    def send_password_reset(self, request, queryset):
        sent = 0
        for user in queryset.filter(is_active=True):
            sent += password_reset_send(user=user, by=request.user, request=request)
        self.message_user(
            request,
            ngettext("%(count)d reset link was sent.", "%(count)d reset links were sent.", sent)
            % {"count": sent},
            messages.SUCCESS,
        )


admin.site.unregister(Group)


@admin.register(Group)
class AuditedGroupAdmin(GroupAdmin):
    """Groups carry capabilities: who changed which permission is recorded."""

    def save_related(self, request, form, formsets, change):
        before = (
            sorted(Group.objects.get(pk=form.instance.pk).permissions.values_list("codename", flat=True))
            if change
            else []
        )
        super().save_related(request, form, formsets, change)
        group = form.instance
        after = sorted(group.permissions.values_list("codename", flat=True))
        audit_log(
            actor=request.user,
            action="group.update" if change else "group.create",
            obj=group,
            before={"name": form.initial.get("name"), "permissions": before} if change else None,
            after={"name": group.name, "permissions": after},
        )

    def delete_model(self, request, obj):
        audit_log(actor=request.user, action="group.delete", obj=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for group in queryset:
            audit_log(actor=request.user, action="group.delete", obj=group)
        super().delete_queryset(request, queryset)


admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuditedAuthenticatorAdmin(admin.ModelAdmin):
    """Read-only, except that a superuser may remove the authenticator of someone who lost their phone
    (they enrol again at their next sign-in); that removal is audited."""

    raw_id_fields = ("user",)
    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type", "created_at", "last_used_at")
    exclude = ("data",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj):
        audit_log(actor=request.user, action="authenticator.remove", obj=obj.user, before={"type": obj.type})
        super().delete_model(request, obj)
        # Their open sessions passed MFA with the removed authenticator: MFA follows the account, so they
        # are signed out now and enrol again at their next sign-in.
        user_sessions_end(user=obj.user, by=request.user, reason="authenticator.remove")

    def delete_queryset(self, request, queryset):
        for authenticator in queryset.select_related("user"):
            self.delete_model(request, authenticator)


# A second address on a login is how another person's address was taken over; the login's one address is
# User.email, changed by the office in the people pages.
admin.site.unregister(EmailAddress)


# Single sign-on is set on the office's own page (modules/accounts/views_sso.py: a secret is kept, never
# shown; the school's domains are checked). allauth's admin pages would show a provider's secret and skip
# those checks: they are not offered, and a login's links go with its address (accounts.login_email_change).
for model in (SocialApp, SocialAccount, SocialToken):
    admin.site.unregister(model)

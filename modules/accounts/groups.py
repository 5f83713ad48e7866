"""Django groups that carry each staff position's capabilities (admin site access, model permissions)."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from modules.accounts.models import Role

GROUP_NAMES = {
    Role.ADMINISTRATOR: "Administrators",
    Role.TEACHER: "Teachers",
    Role.BURSAR: "Bursars",
}

# Which app labels each group may manage through the Django admin.
GROUP_APPS = {
    Role.ADMINISTRATOR: [
        "auth",
        "accounts",
        "people",
        "academics",
        "attendance",
        "communications",
        "exams",
        "fees",
        "core",
        "account",
        "mfa",
    ],
    Role.TEACHER: [],
    Role.BURSAR: [],
}


def ensure_groups(**kwargs) -> None:
    """Create the groups and give them their permissions (runs after every migrate)."""
    for role, name in GROUP_NAMES.items():
        group, _created = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(content_type__app_label__in=GROUP_APPS[role])
        group.permissions.set(permissions)


def group_for(position: str) -> Group:
    return Group.objects.get_or_create(name=GROUP_NAMES[Role(position)])[0]

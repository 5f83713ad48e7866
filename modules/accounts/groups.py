"""Django groups that carry each staff position's capabilities (admin site access, model permissions)."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from modules.accounts.models import Role

GROUP_NAMES = {
    Role.ADMINISTRATOR: "Administrators",
    Role.TEACHER: "Teachers",
    Role.BURSAR: "Bursars",
}

# Which app labels each group may manage through the Django admin. Never logins, groups, email addresses or
# authenticators ("auth", "accounts", "account", "mfa"): with those an office administrator could set a
# family's password and sign in as them, make themself superuser or remove a colleague's second factor.
# ensure_groups sets these lists exactly after every migrate, so an existing install loses them too.
GROUP_APPS = {
    Role.ADMINISTRATOR: [
        "people",
        "academics",
        "attendance",
        "communications",
        "exams",
        "fees",
        "core",
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

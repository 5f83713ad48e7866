"""The office's single sign-on page: each provider switched on or off with its credentials and the school's
domains, and what to give the provider (the return addresses, the SAML metadata)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from modules.accounts import rules as account_rules
from modules.accounts.forms_sso import FORMS
from modules.accounts.sso import KINDS, SAML, SAML_SLUG, sso_app, sso_initial, sso_provider_save
from modules.core.access import role_required


def _form(kind: str, app, data=None):
    return FORMS[kind](
        data, initial=sso_initial(kind, app), prefix=kind, has_secret=bool(app is not None and app.secret)
    )


@require_http_methods(["GET", "POST"])
@role_required(account_rules.is_administrator)
def sso_settings(request):
    apps = {kind: sso_app(kind) for kind in KINDS}
    forms = {kind: _form(kind, apps[kind]) for kind in KINDS}
    status = 200
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind not in KINDS:
            return redirect("sso_settings")
        forms[kind] = form = _form(kind, apps[kind], request.POST)
        if form.is_valid():
            sso_provider_save(kind=kind, data=form.cleaned_data, by=request.user)
            messages.success(request, _("%(provider)s: saved.") % {"provider": KINDS[kind]})
            return redirect(f"{reverse('sso_settings')}#sso-{kind}")
        status = 400
    base = request.build_absolute_uri("/")[:-1]
    providers = [
        {
            "kind": kind,
            "title": KINDS[kind],
            "form": forms[kind],
            "on": bool(apps[kind] and apps[kind].settings.get("enabled")),
            "callback": f"{base}/accounts/{kind}/login/callback/" if kind != SAML else "",
        }
        for kind in KINDS
    ]
    saml = {
        "entity_id": f"{base}/accounts/saml/{SAML_SLUG}/metadata/",
        "acs": f"{base}/accounts/saml/{SAML_SLUG}/acs/",
    }
    return render(
        request, "accounts/sso_settings.html", {"providers": providers, "saml": saml}, status=status
    )

"""The office's single sign-on settings, one form per provider (modules/accounts/sso.py)."""

from __future__ import annotations

import re

from cryptography import x509
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from modules.accounts.sso import DOMAIN

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class ProviderForm(forms.Form):
    enabled = forms.BooleanField(label=_("Switched on: the sign-in page offers it"), required=False)
    domains = forms.CharField(
        label=_("The school's domains"),
        max_length=500,
        required=False,
        help_text=_(
            "Addresses of these domains only may sign in this way, e.g. “school.org, staff.school.org”."
        ),
    )
    idp_enforces_mfa = forms.BooleanField(
        label=_("The provider asks for a second factor itself"),
        required=False,
        help_text=_(
            "Staff then skip the portal's own second factor after signing in this way. Tick it only if the "
            "school's account settings require two-step verification for everyone who signs in."
        ),
    )

    # The fields a provider needs once it is switched on.
    needed_when_on: tuple[str, ...] = ()

    def __init__(self, *args, has_secret: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_secret = has_secret

    def clean_domains(self) -> list[str]:
        domains = [
            part.strip().lower().lstrip("@") for part in re.split(r"[\s,;]+", self.cleaned_data["domains"])
        ]
        domains = list(dict.fromkeys(domain for domain in domains if domain))
        wrong = [domain for domain in domains if not DOMAIN.match(domain)]
        if wrong:
            raise ValidationError(_("“%(domain)s” is not a domain name.") % {"domain": wrong[0]})
        return domains

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("enabled"):
            return cleaned
        if "domains" in cleaned and not cleaned["domains"]:
            self.add_error("domains", _("Give at least one domain of the school's addresses."))
        for name in self.needed_when_on:
            if name in cleaned and not cleaned[name]:
                self.add_error(name, _("Needed to switch this way of signing in on."))
        if "secret" in self.fields and not cleaned.get("secret") and not self.has_secret:
            self.add_error("secret", _("Needed to switch this way of signing in on."))
        return cleaned


class _OAuthForm(ProviderForm):
    client_id = forms.CharField(label=_("Client ID"), max_length=191, required=False)
    secret = forms.CharField(
        label=_("Client secret"),
        max_length=191,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Kept, not shown again; leave it empty to keep the one saved."),
    )
    needed_when_on = ("client_id",)

    field_order = ["enabled", "client_id", "secret", "domains", "idp_enforces_mfa"]


class GoogleForm(_OAuthForm):
    pass


class MicrosoftForm(_OAuthForm):
    tenant = forms.CharField(
        label=_("Directory (tenant) ID"),
        max_length=36,
        required=False,
        help_text=_("The school's own Microsoft Entra tenant, e.g. 72f988bf-86f1-41af-91ab-2d7cd011db47."),
    )
    needed_when_on = ("client_id", "tenant")
    field_order = ["enabled", "client_id", "secret", "tenant", "domains", "idp_enforces_mfa"]

    def clean_tenant(self) -> str:
        tenant = self.cleaned_data["tenant"].strip().lower()
        if tenant and not GUID.match(tenant):
            # "common" or "organizations" would let any organisation's accounts vouch for any address.
            raise ValidationError(_("Give the tenant's ID (a GUID), not a name such as “common”."))
        return tenant


class SamlForm(ProviderForm):
    name = forms.CharField(
        label=_("Button label"),
        max_length=40,
        required=False,
        help_text=_("What the sign-in page's button says, e.g. “School account”."),
    )
    entity_id = forms.CharField(label=_("Identity provider's entity ID"), max_length=500, required=False)
    sso_url = forms.CharField(
        label=_("Identity provider's sign-in address (SSO URL)"), max_length=500, required=False
    )
    certificate = forms.CharField(
        label=_("Identity provider's signing certificate"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4, "class": "font-monospace"}),
        help_text=_("PEM, “-----BEGIN CERTIFICATE-----…”."),
    )
    want_assertion_signed = forms.BooleanField(
        label=_("Require each assertion to be signed"),
        required=False,
        initial=True,
        help_text=_("Leave it ticked unless the provider signs only the whole response."),
    )
    needed_when_on = ("entity_id", "sso_url", "certificate")
    field_order = [
        "enabled",
        "name",
        "entity_id",
        "sso_url",
        "certificate",
        "want_assertion_signed",
        "domains",
        "idp_enforces_mfa",
    ]

    def clean_sso_url(self) -> str:
        url = self.cleaned_data["sso_url"].strip()
        if url:
            try:
                URLValidator(schemes=["https"])(url)
            except ValidationError as wrong:
                raise ValidationError(_("Give the provider's https address.")) from wrong
        return url

    def clean_certificate(self) -> str:
        text = self.cleaned_data["certificate"].strip()
        if not text:
            return ""
        body = re.sub(r"-----(BEGIN|END) CERTIFICATE-----|\s", "", text)
        pem = "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n"
        try:
            x509.load_pem_x509_certificate(pem.encode())
        except ValueError as wrong:
            raise ValidationError(_("This is not a certificate in PEM form.")) from wrong
        return pem


FORMS = {"google": GoogleForm, "microsoft": MicrosoftForm, "saml": SamlForm}

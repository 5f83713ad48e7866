"""Single sign-on: "Sign in with Google", "Sign in with Microsoft" and the school's own SAML 2.0 identity
provider, through allauth's social accounts, each switched on by the office (the sign-in page's settings,
`views_sso.py`) with the school's domains.

The rules, held here for every provider:
- **No account is made by signing in** (sign-up is closed, as for passwords): a sign-in is let in only as the
  login whose address the identity provider vouches for: verified by it, in one of the school's domains,
  and held by the school (an active login's address). Google's own `hd` claim must name a school domain too
  (the account chooser's hint can be changed by the visitor); Microsoft is asked for the school's tenant only
  (never `common`), and the tenant, like a SAML provider, is trusted for the school's domains alone. A sign-in
  already linked is checked again each time: a login whose address the office changed no longer matches.
- **Linked, never merged by allauth's email matching**, which would make the login's password unusable on its
  first SSO sign-in (allauth wipes it unless its own address record says "verified").
- **The same throttle as the sign-in form**: every refused sign-in counts against allauth's `login_failed`
  (per address and per login), a sign-in past it is refused with 429, and a good one gives its count back.
- **The same second factor**: allauth's MFA stage follows an SSO sign-in as it follows a password, and staff
  without an authenticator are sent to enrol (`StaffMfaRequiredMiddleware`), unless the office marks the
  provider as enforcing MFA itself (`PortalMfaStage`): its sign-in then counts as the second factor.
- Every link and refusal is in the audit log."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.internal.flows.login import record_authentication
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal import ratelimit
from allauth.mfa.stages import AuthenticateStage
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from modules.accounts.models import User
from modules.core.audit import audit_log

logger = logging.getLogger(__name__)

GOOGLE, MICROSOFT, SAML = "google", "microsoft", "saml"
KINDS = {
    GOOGLE: gettext_lazy("Google"),
    MICROSOFT: gettext_lazy("Microsoft"),
    SAML: gettext_lazy("The school's identity provider (SAML 2.0)"),
}
# The SAML provider's part of its addresses (/accounts/saml/<slug>/…): the school has one.
SAML_SLUG = "school"
DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


def sso_app(kind: str) -> SocialApp | None:
    """The office's settings for one provider (switched on or not)."""
    return SocialApp.objects.filter(provider=kind).order_by("pk").first()


def _refuse(request, message: str, *, who: str = "", reason: str = "") -> None:
    audit_log(
        actor=None, action="login.sso_refused", model=SocialAccount, description=f"{reason}: {who}"[:200]
    )
    messages.error(request, message)
    raise ImmediateHttpResponse(redirect("account_login"))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False

    def list_apps(self, request, provider=None, client_id=None):
        """Only the providers the office switched on: a switched-off one has no sign-in button, and its
        addresses (login, callback, SAML's) answer as for an unknown provider."""
        apps = super().list_apps(request, provider=provider, client_id=client_id)
        return [app for app in apps if app.settings.get("enabled")]

    def get_app(self, request, provider, client_id=None):
        """A provider the office has not switched on is not found (404), as any unknown address."""
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist as missing:
            raise Http404 from missing

    def pre_social_login(self, request, sociallogin) -> None:
        app = sociallogin.provider.app
        domains = {domain.lower() for domain in app.settings.get("domains", [])}
        addresses = [
            address.email.strip().lower() for address in sociallogin.email_addresses if address.email
        ]
        verified = [
            address.email.strip().lower()
            for address in sociallogin.email_addresses
            if address.email and address.verified and _domain(address.email) in domains
        ]
        who = (verified or addresses or [sociallogin.account.uid])[0]
        # The sign-in form's own count for this address (allauth's key): wrong passwords and refused SSO
        # sign-ins of one login add up.
        key = get_account_adapter(request)._get_login_attempts_cache_key(request, email=who)
        usage = ratelimit.consume(
            request, app="allauth.account", action="login_failed", key=key, limit_get=True
        )
        if usage is None:
            audit_log(actor=None, action="login.sso_throttled", model=SocialAccount, description=who[:200])
            raise ImmediateHttpResponse(ratelimit.respond_429(request))
        provider = sociallogin.account.provider
        if provider == GOOGLE and str(sociallogin.account.extra_data.get("hd", "")).lower() not in domains:
            _refuse(
                request,
                _("Sign in with your school's Google account (an address of the school's domain)."),
                who=who,
                reason="google account outside the school's domains",
            )
        user = User.objects.filter(email__iexact=verified[0], is_active=True).first() if verified else None
        if sociallogin.is_existing:
            if user is None or sociallogin.user.pk != user.pk:
                _refuse(
                    request,
                    _("This account no longer matches your StudentFlow login. Ask the school office."),
                    who=who,
                    reason="linked account's address no longer the login's",
                )
            usage.rollback()
            return
        if user is None:
            _refuse(
                request,
                _(
                    "No StudentFlow login uses this address, or the address is not one the school vouches "
                    "for. Sign in with your school account, or ask the school office."
                ),
                who=who,
                reason="no login with a verified school address",
            )
        sociallogin.connect(request, user)
        audit_log(actor=user, action="login.sso_linked", obj=user, after={"provider": provider, "email": who})
        usage.rollback()

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        """A failed round trip (a forged state, a bad signature, a refused code): counted like a wrong
        password, per address."""
        logger.info("SSO sign-in failed with %s: %s %s", getattr(provider, "id", provider), error, exception)
        ratelimit.consume(request, app="allauth.account", action="login_failed", limit_get=True)
        return super().on_authentication_error(
            request, provider, error=error, exception=exception, extra_context=extra_context
        )


class PortalMfaStage(AuthenticateStage):
    """allauth's second-factor stage, except after a sign-in through a provider the office marked as
    enforcing MFA: that sign-in is recorded as the second factor (StaffMfaRequiredMiddleware then lets staff
    in without enrolling here)."""

    def handle(self):
        sociallogin = (self.login.signal_kwargs or {}).get("sociallogin")
        if sociallogin is not None and sociallogin.provider.app.settings.get("idp_enforces_mfa"):
            record_authentication(
                self.request, self.login.user, "mfa", type="idp", provider=sociallogin.account.provider
            )
            return None, True
        return super().handle()


# --- the office's settings ----------------------------------------------------------------------------------


def sso_initial(kind: str, app: SocialApp | None) -> dict:
    """A provider's settings as its form shows them."""
    if app is None:
        return {"want_assertion_signed": True} if kind == SAML else {}
    settings = app.settings
    initial = {
        "enabled": settings.get("enabled", False),
        "domains": ", ".join(settings.get("domains", [])),
        "idp_enforces_mfa": settings.get("idp_enforces_mfa", False),
    }
    if kind == SAML:
        idp = settings.get("idp", {})
        initial |= {
            "name": app.name,
            "entity_id": idp.get("entity_id", ""),
            "sso_url": idp.get("sso_url", ""),
            "certificate": idp.get("x509cert", ""),
            "want_assertion_signed": settings.get("advanced", {}).get("want_assertion_signed", True),
        }
    else:
        initial |= {"client_id": app.client_id, "tenant": settings.get("tenant", "")}
    return initial


@transaction.atomic
def sso_provider_save(*, kind: str, data: dict, by) -> SocialApp:
    """Save one provider's settings from its form's cleaned data (an empty secret keeps the saved one)."""
    app = SocialApp.objects.select_for_update().filter(provider=kind).order_by("pk").first()
    before = {key: value for key, value in app.settings.items() if key != "idp"} if app is not None else {}
    app = app or SocialApp(provider=kind)
    domains = data["domains"]
    settings = {"enabled": data["enabled"], "domains": domains, "idp_enforces_mfa": data["idp_enforces_mfa"]}
    if kind == GOOGLE:
        app.name = "Google"
        app.client_id = data["client_id"]
        # The account chooser's hint (the sign-in is checked against the `hd` claim all the same).
        settings["auth_params"] = {"hd": domains[0]} if len(domains) == 1 else {}
    elif kind == MICROSOFT:
        app.name = "Microsoft"
        app.client_id = data["client_id"]
        # Microsoft's profile says nothing of verification: the school's own tenant vouches for its domains.
        settings |= {"tenant": data["tenant"] or "organizations", "verified_email": domains}
    else:
        app.provider_id = SAML
        app.client_id = SAML_SLUG
        app.name = data["name"] or str(_("School account"))
        settings |= {
            "verified_email": domains,
            "idp": {
                "entity_id": data["entity_id"],
                "sso_url": data["sso_url"],
                "x509cert": data["certificate"],
            },
            "advanced": {
                "want_assertion_signed": data["want_assertion_signed"],
                "reject_idp_initiated_sso": True,
                "strict": True,
            },
        }
    if data.get("secret"):
        app.secret = data["secret"]
    app.settings = settings
    app.save()
    shown = {key: value for key, value in settings.items() if key != "idp"}
    audit_log(actor=by, action="login.sso_settings", obj=app, before=before, after=shown)
    return app


ORIGINS = {GOOGLE: "https://accounts.google.com", MICROSOFT: "https://login.microsoftonline.com"}


def sso_form_origins() -> list[str]:
    """The origins the sign-in forms of the switched-on providers lead to (for the pages' `form-action`)."""
    origins = []
    for app in SocialApp.objects.filter(provider__in=list(KINDS)).only("provider", "settings"):
        if not app.settings.get("enabled"):
            continue
        if app.provider in ORIGINS:
            origins.append(ORIGINS[app.provider])
        elif url := app.settings.get("idp", {}).get("sso_url"):
            parts = urlsplit(url)
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))

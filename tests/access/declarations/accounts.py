from tests.access.matrix import ADMIN_ONLY, PUBLIC, SIGNED_IN_OK, Rule, expect

RULES = [
    Rule("switch_role", method="post", data={"role": "teacher"}, expect=expect(302)),
    Rule(
        "set_language", method="post", data={"language": "fr", "next": "/"}, expect=expect(302, anonymous=302)
    ),
    # allauth: public entrance pages; a signed-in user is sent on from the login and sign-up pages.
    Rule("account_login", expect=expect(302, anonymous=200)),
    Rule("account_logout", expect=expect(200, anonymous=302)),
    Rule("account_inactive", expect=PUBLIC),
    Rule("account_signup", expect=expect(302, anonymous=200)),
    Rule("account_reauthenticate", expect=SIGNED_IN_OK),
    # allauth 65.22: reauthenticating by emailed code; with login by code off here it sends everyone on.
    Rule("account_request_reauthentication_code", expect=expect(302)),
    Rule("account_confirm_reauthentication_code", expect=expect(302)),
    # Read-only: the sign-in address is shown; the office changes it (people pages).
    Rule("account_email", expect=SIGNED_IN_OK),
    Rule("account_email_verification_sent", expect=PUBLIC),
    Rule("account_change_password", expect=SIGNED_IN_OK),
    Rule("account_set_password", expect=expect(302)),
    Rule("account_reset_password", expect=PUBLIC),
    Rule("account_confirm_login_code", expect=expect(302, anonymous=302)),
    Rule("account_confirm_email", kwargs={"key": "not-a-real-key"}, expect=PUBLIC),
    Rule("account_reset_password_from_key_done", expect=PUBLIC),
    Rule("account_reset_password_from_key", kwargs={"uidb36": "zz", "key": "bad-key"}, expect=PUBLIC),
    Rule("account_reset_password_done", expect=PUBLIC),
    Rule("mfa_index", expect=SIGNED_IN_OK),
    Rule("mfa_authenticate", expect=expect(302, anonymous=302)),
    Rule("mfa_reauthenticate", expect=expect(302)),
    # Activating TOTP asks for the password again first (allauth reauthentication).
    Rule("mfa_activate_totp", expect=expect(302)),
    Rule("mfa_deactivate_totp", expect=expect(404)),
    Rule("mfa_view_recovery_codes", expect=expect(404)),
    Rule("mfa_generate_recovery_codes", expect=expect(302)),
    Rule("mfa_download_recovery_codes", expect=expect(404)),
    # Single sign-on: the office's settings; allauth's provider pages answer 404 while the office has switched
    # no provider on (tests/accounts/test_sso.py signs in through each with a fake identity provider).
    Rule("sso_settings", expect=ADMIN_ONLY),
    Rule(
        r"(google|microsoft)_(login|callback|login_by_token)", expect=expect(404, anonymous=404), pattern=True
    ),
    Rule(
        r"saml_(login|finish_acs|sls|metadata)",
        expect=expect(404, anonymous=404),
        pattern=True,
        kwargs={"organization_slug": "school"},
    ),
    # The provider posts here; a visit is kept for the next step (acs/finish/, 404 above).
    Rule("saml_acs", expect=expect(302, anonymous=302), kwargs={"organization_slug": "school"}),
    Rule("socialaccount_connections", expect=SIGNED_IN_OK),
    Rule("socialaccount_login_cancelled", expect=PUBLIC),
    Rule("socialaccount_login_error", expect=expect(401, anonymous=401)),
    Rule("socialaccount_signup", expect=expect(302, anonymous=302)),
    Rule(r"route:accounts/social/.*", expect=expect(301, anonymous=301), pattern=True),
]

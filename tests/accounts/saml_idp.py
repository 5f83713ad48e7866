"""A fake SAML 2.0 identity provider for the sign-in tests: its own key and self-signed certificate, the
request id read from the portal's redirect, and responses signed as a real provider signs them (python3-saml's
own xmlsec signer: RSA-SHA256, exclusive canonicalisation)."""

from __future__ import annotations

import base64
import datetime
import uuid
import zlib
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from onelogin.saml2.utils import OneLogin_Saml2_Utils

EMAIL = "urn:oid:0.9.2342.19200300.100.1.3"


def keypair() -> tuple[str, str]:
    """A new private key and its self-signed certificate, both PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-idp")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


def request_from_redirect(location: str) -> tuple[str, str]:
    """The AuthnRequest's id and the RelayState from the portal's redirect to the provider."""
    query = parse_qs(urlsplit(location).query)
    request = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15)
    return etree.fromstring(request).get("ID"), query.get("RelayState", [""])[0]


def _moment(value: datetime.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_response(
    *,
    key_pem: str,
    cert_pem: str,
    idp: str,
    sp: str,
    acs: str,
    in_response_to: str | None,
    email: str,
    sign: str = "assertion",
) -> str:
    """A base64 SAML Response for `email`, its assertion (or only the whole response) signed with the key."""
    now = datetime.datetime.now(datetime.UTC)
    later = now + datetime.timedelta(minutes=5)
    answers = f' InResponseTo="{in_response_to}"' if in_response_to else ""
    assertion = (
        f'<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_{uuid.uuid4().hex}" '
        f'Version="2.0" IssueInstant="{_moment(now)}"><saml:Issuer>{idp}</saml:Issuer>'
        f'<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">'
        f"id-{email}</saml:NameID>"
        f'<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{_moment(later)}" Recipient="{acs}"{answers}/>'
        f"</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{_moment(now - datetime.timedelta(minutes=1))}" '
        f'NotOnOrAfter="{_moment(later)}"><saml:AudienceRestriction><saml:Audience>{sp}</saml:Audience>'
        f"</saml:AudienceRestriction></saml:Conditions>"
        f'<saml:AuthnStatement AuthnInstant="{_moment(now)}" SessionIndex="_s1"><saml:AuthnContext>'
        f"<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        f"</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
        f'<saml:AttributeStatement><saml:Attribute Name="{EMAIL}" '
        f'NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"><saml:AttributeValue '
        f'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:type="xs:string">{email}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>'
        f"</saml:Assertion>"
    )
    if sign == "assertion":
        assertion = OneLogin_Saml2_Utils.add_sign(assertion, key_pem, cert_pem).decode()
        assertion = assertion.split("?>", 1)[-1] if assertion.startswith("<?xml") else assertion
    response = (
        f'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_{uuid.uuid4().hex}" Version="2.0" '
        f'IssueInstant="{_moment(now)}" Destination="{acs}"{answers}><saml:Issuer>{idp}</saml:Issuer>'
        f'<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        f"{assertion}</samlp:Response>"
    )
    if sign == "response":
        response = OneLogin_Saml2_Utils.add_sign(response, key_pem, cert_pem).decode()
    return base64.b64encode(response.encode()).decode()

"""Where a webhook may be posted: an https URL of a host on the public internet.

A webhook makes the portal's server call an address the office typed in, so an address inside the school's
network (the router's admin page, a database, the cloud's metadata service at 169.254.169.254) must not be
reachable through it. The URL is checked when it is subscribed, and again at every send: a host name can
resolve to a public address when checked and to a private one later (DNS rebinding), so the send connects to
the very address it checked (sending.py), never to a second resolution.

STUDENTFLOW_WEBHOOKS_ALLOW_HTTP lets plain http through and STUDENTFLOW_WEBHOOKS_ALLOW_PRIVATE lets private
and loopback addresses through: for tests and development, never in production."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class AddressRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def url_check(url: str) -> tuple[str, int]:
    """The URL's host and port, or AddressRefused saying why it may not be used (before any resolution)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise AddressRefused(_("This is not a web address.")) from error
    allow_http = settings.STUDENTFLOW_WEBHOOKS_ALLOW_HTTP
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise AddressRefused(_("The address must start with https:// (deliveries are sent encrypted)."))
    if not parts.hostname:
        raise AddressRefused(_("The address has no host name."))
    if parts.username is not None or parts.password is not None:
        raise AddressRefused(_("Put no user name or password in the address: deliveries are signed instead."))
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def address_allowed(address: str) -> bool:
    if settings.STUDENTFLOW_WEBHOOKS_ALLOW_PRIVATE:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is false for private, loopback, link-local, shared (100.64/10), reserved and documentation
    # ranges; multicast is refused on its own.
    return ip.is_global and not ip.is_multicast


def addresses_resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, all of them allowed, or AddressRefused. An IP literal resolves to
    itself. One refused address refuses the host: a name resolving to both would let an attacker choose."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(_("The host name %(host)s could not be found.") % {"host": host}) from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise AddressRefused(_("The host name %(host)s could not be found.") % {"host": host})
    refused = [address for address in addresses if not address_allowed(address)]
    if refused:
        raise AddressRefused(
            _(
                "%(host)s leads to %(address)s, an address inside a private network or this server: "
                "webhooks are only sent to addresses on the public internet."
            )
            % {"host": host, "address": refused[0]}
        )
    return addresses


def url_refusal(url: str) -> str | None:
    """Why the office may not subscribe `url` (its form, resolution included), or None."""
    try:
        addresses_resolve(*url_check(url))
    except AddressRefused as refusal:
        return refusal.message
    return None

"""HTTP requests to addresses an admin typed (outbound webhooks, the Jira/Asana poll), guarded against
server-side request forgery: a workspace admin must not be able to make our servers call the cloud
metadata service, the database or anything else on the private network and read its answer in the
delivery log.

The rules, checked on every request (not only when the URL is saved, since DNS answers change):
- only `http` and `https`; no user name or password in the URL;
- every address the host name resolves to must be public (`ipaddress.is_global`: not loopback, private,
  link-local, shared, reserved, multicast or unspecified; an IPv4-mapped IPv6 address counts as the IPv4 one),
  unless settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES is true (a single-network install, tests);
- the request goes to the address that was checked (the URL's host is replaced by it; the Host header and
  TLS's SNI and certificate check keep the name), so a second DNS answer cannot swap in a private address;
- redirects are not followed (a 3xx is an answer like any other); proxies from the environment are ignored.
"""

import ipaddress
import socket

import httpx
from django.conf import settings

SCHEMES = ("http", "https")
USER_AGENT = "Throughline-Webhooks/1"


class Refused(Exception):
    """The URL may not be requested (scheme, credentials, or a private address); the message says why."""


def url_problem(url: str) -> str | None:
    """Why `url` cannot be used for outbound requests (scheme, credentials, no host, a private address
    written as an IP), or None. What forms and serializers check when the URL is saved."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "Enter a valid URL."
    if parsed.scheme not in SCHEMES:
        return "Use an http:// or https:// address."
    if not parsed.host:
        return "Enter a valid URL."
    if parsed.userinfo:
        return "Leave the user name and password out of the address."
    try:
        address = ipaddress.ip_address(parsed.host)
    except ValueError:
        return None  # a name: checked when it is resolved, on every request
    if not _allowed(address):
        return _private_message(parsed.host, address)
    return None


def _allowed(address) -> bool:
    if getattr(settings, "OUTBOUND_ALLOW_PRIVATE_ADDRESSES", False):
        return True
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_global and not address.is_multicast


def _private_message(host: str, address) -> str:
    return (
        f"{host} is {address}, a private or reserved address: requests to the internal network are "
        "refused (an operator can allow them with OUTBOUND_ALLOW_PRIVATE_ADDRESSES)."
    )


def _resolve(host: str, port: int) -> list:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpx.ConnectError(f"Cannot resolve {host}: {exc}") from exc
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])  # drop an IPv6 zone id
        if address not in addresses:
            addresses.append(address)
    return addresses


def request(
    method: str,
    url: str,
    *,
    timeout: float,
    content: bytes | None = None,
    headers: dict | None = None,
    params: dict | None = None,
    auth: tuple[str, str] | None = None,
) -> httpx.Response:
    """Send one request under the rules above. Raises Refused when the URL is not allowed and httpx's
    errors (httpx.HTTPError) when the request fails; any HTTP answer, 4xx and 5xx included, is returned."""
    problem = url_problem(url)
    if problem:
        raise Refused(problem)
    target = httpx.URL(url)
    headers = {"User-Agent": USER_AGENT, **(headers or {})}
    extensions = {}
    if not getattr(settings, "OUTBOUND_ALLOW_PRIVATE_ADDRESSES", False):
        host = target.host
        port = target.port or (443 if target.scheme == "https" else 80)
        addresses = _resolve(host, port)
        for address in addresses:
            if not _allowed(address):
                raise Refused(_private_message(host, address))
        # Pin the checked address; the name stays in Host, SNI and the certificate check.
        name = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
        headers["Host"] = name if target.port is None else f"{name}:{target.port}"
        if target.scheme == "https":
            extensions["sni_hostname"] = host
        target = target.copy_with(host=str(addresses[0]))
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        return client.request(
            method, target, content=content, headers=headers, params=params, auth=auth, extensions=extensions
        )

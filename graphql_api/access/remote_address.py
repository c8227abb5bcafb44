"""The caller's IP address, for the rate limits and the access log.

It is the peer's address, unless the peer is one of the proxies named in
``KHO_TRUSTED_PROXIES``: then ``X-Forwarded-For`` is read from the right (each proxy appends
the address it was called from), past every trusted proxy, and the first address that is not
one is the caller's. What lies left of it was written by the caller and is ignored, so nobody
picks their own rate-limit bucket or writes what they like into the access log. With no
trusted proxies (the default) the header is never read.
"""

from __future__ import annotations

import functools
import ipaddress

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_HOPS = 32  # proxies a request may have passed; the header's older entries are not read


def remote_address(request: Request, trusted_proxies: tuple[Network, ...]) -> str | None:
    peer = parse_address(request.client.host) if request.client else None
    if peer is None or not _trusted(peer, trusted_proxies):
        return None if peer is None else str(peer)
    forwarded = [hop.strip() for header in request.headers.getlist("x-forwarded-for")
                 for hop in header.split(",")]
    address = peer
    for hop in reversed(forwarded[-MAX_HOPS:]):
        parsed = parse_address(hop)
        if parsed is None:
            break  # not written by a proxy: the last trusted hop is all that is known
        address = parsed
        if not _trusted(parsed, trusted_proxies):
            break
    return str(address)


def parse_address(text: str | None) -> Address | None:
    """An address as a proxy writes it (``192.0.2.7``, ``192.0.2.7:5123``, ``2001:db8::7``,
    ``[2001:db8::7]:5123``), an IPv4 address mapped into IPv6 as itself; None for anything
    else. The few addresses a server meets (its proxies, its clients) are parsed once."""
    if not text:
        return None
    if len(text) > MAX_ADDRESS_CHARS:  # no address is this long: nothing to remember
        return _parsed(text)
    return _remembered(text)


def _parsed(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


MAX_ADDRESS_CHARS = 64
_remembered = functools.lru_cache(maxsize=4096)(_parsed)


def _trusted(address: Address, trusted_proxies: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network
               for network in trusted_proxies)

"""Which IP addresses the fetcher may connect to: public unicast only, tunnels unwrapped."""

from __future__ import annotations

import ipaddress
import socket

from ltxserve.files.errors import BlockedAddressError, FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (IPv4-mapped, 6to4, Teredo client, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_blocked(ip: IPAddress) -> bool:
    """True for loopback, private, link-local, CGNAT, multicast, reserved, unspecified and metadata."""
    if ip in _METADATA or ip.is_multicast or not ip.is_global:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None:
            return is_blocked(inner)
    return False


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host name resolves to (numeric forms like `2130706433` included)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve host {host!r}") from exc
    # sockaddr[0] may carry an IPv6 scope ("fe80::1%eth0"); the scope is not part of the address.
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos))


def checked_addresses(host: str, port: int, allow_hosts: frozenset[str]) -> list[IPAddress]:
    """Resolve and vet a host: any blocked address refuses the host unless it is allow-listed."""
    addresses = resolve(host, port)
    if host.strip("[]").lower() in allow_hosts:
        return addresses
    for ip in addresses:
        if is_blocked(ip):
            raise BlockedAddressError(f"host {host!r} resolves to a non-public address")
    return addresses

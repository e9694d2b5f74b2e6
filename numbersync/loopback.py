"""Whether a host names this machine only: the one check behind plain http to the emulator, the
proxy bypass and the emulator's refusal to listen anywhere else."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 (also bracketed, as in a URL, or IPv4-mapped) and the name `localhost`.

    Nothing is resolved: a name other than `localhost` (`LOCALHOST.` included, which a resolver
    may send anywhere its search rules say) could point elsewhere by the time a request is
    sent, and the answer must not depend on DNS.
    """
    if host.lower() == "localhost":
        return True
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def url_host(host: str) -> str:
    """`host` as it stands in a URL: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host

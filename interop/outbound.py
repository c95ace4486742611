"""Where the server itself connects for a partner: the hotline's status URL.

Staff type the status URL, and the server then connects to it, so the URL must never turn
the server against its own network (the cloud's metadata service at 169.254.169.254, a
database on 10.x, a port on loopback). Checking the URL's text is not enough: a name such as
`127.0.0.1.nip.io` resolves to loopback, and a name can answer a public address when checked
and a private one a second later (DNS rebinding). So, on every delivery:

- the name is resolved once, and every address it gives must be public: loopback, private,
  shared (CGNAT), link-local, multicast, reserved, documentation and unspecified addresses are
  refused, IPv4 and IPv6 alike, and an IPv6 address that carries an IPv4 one (v4-mapped,
  6to4, NAT64) is judged by the address it carries;
- the connection goes to the address that was checked, never to the name again (TLS still
  verifies the certificate against the name);
- a redirect is an answer like any other non-2xx: never followed.

Whatever goes wrong, staff see one sentence (interop/partner_post.py): the reason, which would
tell a closed port from an open one, goes to the server's log only.

`HOTLINE_ALLOW_PRIVATE_ADDRESSES` (the test suite's stand-in platform on 127.0.0.1) lifts the
address rule and allows plain http; never in production.
"""

import http.client
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

# Blocks refused besides what Python's ipaddress calls private, reserved and the like: its
# tables differ between Python releases (3.12.1 calls 2001:db8:: and 198.18/15 global).
REFUSED_NETWORKS = [
    ipaddress.ip_network(block)
    for block in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/96",  # unspecified, loopback and the old IPv4-compatible form
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
]
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Unreachable(Exception):
    """The message could not be delivered; the text is for the server's log, not for staff."""


class InsideTheNetwork(Unreachable):
    """The name resolves to an address the server must not reach."""


def refused_address(address) -> bool:
    """Whether the server must not connect to this IP address."""
    address = ipaddress.ip_address(address)
    if address.version == 6:
        carried = address.ipv4_mapped or address.sixtofour
        if carried is None and address in NAT64:
            carried = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if carried is not None:
            return refused_address(carried)
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or any(
            address in network for network in REFUSED_NETWORKS if network.version == address.version
        )
    )


def resolve(host: str, port: int) -> list[str]:
    """The addresses to connect to for `host`, each one checked; Unreachable when the name
    does not resolve, or when any of its addresses is one the server must not reach."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise Unreachable(f"cannot resolve {host}: {error}") from None
    addresses = list(dict.fromkeys(answer[4][0] for answer in answers))
    if not addresses:
        raise Unreachable(f"{host} has no address")
    if not settings.HOTLINE_ALLOW_PRIVATE_ADDRESSES:
        inside = [address for address in addresses if refused_address(address.split("%")[0])]
        if inside:
            raise InsideTheNetwork(f"{host} resolves to {', '.join(inside)}, inside the network")
    return addresses


def post(url: str, body: bytes, headers: dict, timeout: float) -> int:
    """POST `body` to `url` and return the answer's status (a redirect is not followed)."""
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.HOTLINE_ALLOW_PRIVATE_ADDRESSES else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise Unreachable(f"not a status URL the server may use: {url}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Unreachable(f"bad port in {url}") from None
    connection = _connect(parts.scheme, parts.hostname, port, timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        return connection.getresponse().status
    except (OSError, http.client.HTTPException) as error:
        raise Unreachable(f"{type(error).__name__}: {error}") from None
    finally:
        connection.close()


def _connect(scheme, host, port, timeout):
    """A connection to the first checked address of `host` that answers."""
    problems = []
    for address in resolve(host, port):
        kind = PinnedHTTPSConnection if scheme == "https" else PinnedHTTPConnection
        connection = kind(host, port, address=address, timeout=timeout)
        try:
            connection.connect()
            return connection
        except OSError as error:
            connection.close()
            problems.append(f"{address}: {type(error).__name__}: {error}")
    raise Unreachable("; ".join(problems))


class PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to one checked address; the Host header still names the host."""

    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to one checked address; SNI and the certificate check use the host's name."""

    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)

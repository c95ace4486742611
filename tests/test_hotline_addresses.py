"""The hotline's status URL cannot make the server reach inside its own network.

The suite's stand-in platform listens on 127.0.0.1, so test settings allow private addresses;
here the rule is switched back on (as in production) and the name server is a stand-in too:
`dns` says what each name under example.cn resolves to, and `listener` is a port on loopback
that records every connection made to it, so a test sees whether the server connected at all.
"""

import http.server
import socket
import threading

import pytest
from django.test import override_settings

from cases.models import Case
from interop import keys
from interop.models import Partner, PartnerKind
from interop.partner_post import UNREACHABLE
from outbox.dispatch import deliver_due
from outbox.models import State as OutboxState
from tests.interop_helpers import accept, order, post_signed, status_messages

pytestmark = pytest.mark.django_db
INSIDE = "状态地址必须是互联网上的地址"


@pytest.fixture
def dns(monkeypatch):
    """Names under example.cn resolve to what the test says; others as usual."""
    answers = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, str) and host.endswith("example.cn"):
            if host not in answers:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def listener():
    """A port on loopback that accepts and records every connection, and says nothing."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    seen, stop = [], threading.Event()

    def accept_all():
        while not stop.is_set():
            try:
                connection, peer = server.accept()
            except TimeoutError:
                continue
            seen.append(peer)
            connection.close()

    thread = threading.Thread(target=accept_all, daemon=True)
    thread.start()
    yield type("Listener", (), {"port": server.getsockname()[1], "seen": seen})
    stop.set()
    thread.join()
    server.close()


def hotline_with(places, personas, url):
    """A hotline partner whose status URL was saved as it is (before the rule, or while the
    name still answered a public address)."""
    return keys.create_partner(
        personas.street_staff, places.street, "市12345热线", PartnerKind.HOTLINE, url
    )


def a_message_for(client, hotline, officer):
    assert post_signed(client, hotline, order()).status_code == 201
    accept(Case.objects.get(), officer)
    deliver_due()
    return status_messages().get()


@override_settings(HOTLINE_ALLOW_PRIVATE_ADDRESSES=False, OUTBOX_TIMEOUT_SECONDS=1)
def test_a_name_that_resolves_to_loopback_is_never_connected(
    client, places, personas, dns, listener
):
    # Like 127.0.0.1.nip.io, or a name that answered a public address when it was saved.
    dns["status.example.cn"] = "127.0.0.1"
    hotline = hotline_with(places, personas, f"https://status.example.cn:{listener.port}/s")
    message = a_message_for(client, hotline, personas.officer_chunguang)
    assert message.state == OutboxState.RETRYING and message.last_error == UNREACHABLE
    assert listener.seen == []


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",  # the cloud's metadata service
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "198.18.0.1",
        "::1",
        "::",
        "::ffff:127.0.0.1",  # v4-mapped loopback
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata service
        "2002:7f00:1::",  # 6to4 of loopback
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "2001:db8::1",
    ],
)
@override_settings(HOTLINE_ALLOW_PRIVATE_ADDRESSES=False)
def test_no_address_inside_the_network_is_connected_to_and_the_form_refuses_it(
    client, places, personas, dns, monkeypatch, login, address
):
    attempts = []

    def create_connection(target, *args, **kwargs):
        attempts.append(target)
        raise ConnectionRefusedError("recorded only")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    dns["status.example.cn"] = address
    hotline = hotline_with(places, personas, "https://status.example.cn/status")
    message = a_message_for(client, hotline, personas.officer_chunguang)
    assert message.last_error == UNREACHABLE and attempts == []
    # Typed on the integration page, the same name is refused.
    page = login(personas.street_staff).post(
        "/integration/",
        {
            "name": "另一条热线",
            "kind": "hotline",
            "street": places.street.pk,
            "outbound_url": "https://status.example.cn/status",
        },
    )
    assert INSIDE in page.content.decode()
    assert Partner.objects.count() == 1


@override_settings(HOTLINE_ALLOW_PRIVATE_ADDRESSES=False)
def test_a_public_name_is_accepted_and_connected_to_at_the_address_checked(
    client, places, personas, dns, monkeypatch, login
):
    attempts = []

    def create_connection(target, *args, **kwargs):
        attempts.append(target)
        raise ConnectionRefusedError("recorded only")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    dns["status.example.cn"] = "93.184.216.34"
    page = login(personas.street_staff).post(
        "/integration/",
        {
            "name": "市12345热线",
            "kind": "hotline",
            "street": places.street.pk,
            "outbound_url": "https://status.example.cn:9443/status",
        },
    )
    assert INSIDE not in page.content.decode()
    hotline = Partner.objects.get()
    message = a_message_for(client, hotline, personas.officer_chunguang)
    assert attempts == [("93.184.216.34", 9443)]  # the checked address, not the name again
    assert message.last_error == UNREACHABLE


class Redirecting(http.server.BaseHTTPRequestHandler):
    target = ""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(302)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def redirecting(listener):
    Redirecting.target = f"http://127.0.0.1:{listener.port}/latest/meta-data/"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/status"
    server.shutdown()
    server.server_close()


def test_a_redirect_is_never_followed(client, places, personas, redirecting, listener):
    hotline = hotline_with(places, personas, redirecting)
    message = a_message_for(client, hotline, personas.officer_chunguang)
    assert message.state == OutboxState.RETRYING and message.last_error == UNREACHABLE
    assert listener.seen == []


class Failing(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@override_settings(OUTBOX_TIMEOUT_SECONDS=1)
def test_staff_read_one_sentence_whatever_the_port_or_the_failure(
    client, places, personas, listener, dns, caplog
):
    failing = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=failing.serve_forever, daemon=True).start()
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()  # nothing listens there any more
    urls = [
        f"http://127.0.0.1:{closed_port}/status",  # refused
        f"http://127.0.0.1:{listener.port}/status",  # accepts, then hangs up
        f"http://127.0.0.1:{failing.server_port}/status",  # answers 500
        "http://nowhere.example.cn/status",  # does not resolve
    ]
    errors = []
    try:
        for number, url in enumerate(urls):
            hotline = keys.create_partner(
                personas.street_staff, places.street, f"热线{number}", PartnerKind.HOTLINE, url
            )
            answer = post_signed(client, hotline, order(f"GD20261127{number:05d}"))
            case = Case.objects.get(tracking_code=answer.json()["case"])
            accept(case, personas.officer_chunguang)
            deliver_due()
            errors.append(status_messages(case).get().last_error)
    finally:
        failing.shutdown()
        failing.server_close()
    assert errors == [UNREACHABLE] * len(urls)
    assert "HTTP 500" in caplog.text  # the reason is in the server's log, for its operators

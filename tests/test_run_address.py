"""`make run PORT=… HOST=…`: the links in reminder e-mails, SMS and QR codes point where the
server listens, and a server on every interface is named by an address a phone can open."""

import ipaddress
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]


def site_url(host, port):
    result = subprocess.run(
        ["bin/site-url", host, str(port)], cwd=ROOT, capture_output=True, text=True, timeout=20
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_links_follow_the_port_and_host_make_run_is_given():
    assert site_url("127.0.0.1", 8110) == "http://127.0.0.1:8110"
    assert site_url("localhost", 8111) == "http://localhost:8111"


def lan_addresses():
    result = subprocess.run(["hostname", "-I"], capture_output=True, text=True)
    return [
        a for a in result.stdout.split() if ":" not in a and not ipaddress.ip_address(a).is_loopback
    ]


@pytest.mark.skipif(not lan_addresses(), reason="this machine has no network address")
def test_a_server_on_every_interface_is_named_by_the_machines_network_address():
    url = urlsplit(site_url("0.0.0.0", 8110))
    assert url.port == 8110
    assert url.hostname in lan_addresses()  # not 0.0.0.0 nor 127.0.0.1: a phone opens it


def test_make_run_exports_that_address_to_the_server_and_prints_it():
    script = (ROOT / "bin" / "run-all.sh").read_text()
    setup, _after = script.split("# Each start keeps its own logs", 1)  # before anything starts
    # Run the part that works out the address with the server's arguments, then show what the
    # processes started after it would see.
    shown = subprocess.run(
        [
            "bash",
            "-c",
            setup + 'echo "$SITE_URL|$ALLOWED_HOSTS|$DEBUG"',
            "run-all",
            "0.0.0.0",
            "8110",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
        env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"},
    )
    assert shown.returncode == 0, shown.stderr
    url, hosts, debug = shown.stdout.strip().splitlines()[-1].split("|")
    assert url == site_url("0.0.0.0", 8110)
    # A wrong address shows the app's own 404 page, not Django's debug page with its settings;
    # the static files are still served.
    assert debug == "false" and "--insecure" in script
    assert urlsplit(url).hostname in hosts.split(",")  # Django answers requests to it
    assert "有解 is running at ${address}/" in script

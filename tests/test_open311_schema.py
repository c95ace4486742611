"""schemathesis against /api/schema/, as an outside partner runs it, with every default check.

The run is bounded (a few examples per operation, the examples and fuzzing phases) so that it
takes well under a minute in `make test`; SCHEMATHESIS_PHASES=examples,coverage,fuzzing,stateful
and SCHEMATHESIS_MAX_EXAMPLES=100 run it as an outside probe would. What it holds: no
server error, every status and content type the schema lists, every answer matching its
schema, valid requests accepted (a POST the schema calls valid is filed) and invalid ones
refused, a missing key refused, methods the schema does not list answered 405.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cases.models import Case
from interop.models import InboxOrder
from tests.interop_helpers import app_partner, hotline_partner

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("live_server")]
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
# What the run expects where a schema cannot say everything (tests/schemathesis.toml says why).
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.fixture
def partner_key(places, personas, settings):
    settings.OPEN311_READS_PER_ADDRESS_PER_MINUTE = 100_000
    settings.API_CALLS_PER_KEY_PER_MINUTE = 100_000
    settings.RESIDENT_SUBMISSIONS_PER_PHONE_PER_DAY = 100_000
    hotline_partner(places, personas.street_staff)
    return app_partner(places, personas.street_staff)[1]


def test_schemathesis_finds_nothing_against_the_schema(live_server, partner_key, tmp_path):
    run = subprocess.run(
        [
            SCHEMATHESIS,
            f"--config-file={CONFIG}",
            "run",
            f"{live_server.url}/api/schema/",
            f"--max-examples={os.environ.get('SCHEMATHESIS_MAX_EXAMPLES', '8')}",
            "--seed=311",
            "--no-shrink",
            f"--phases={os.environ.get('SCHEMATHESIS_PHASES', 'examples,fuzzing')}",
            "--workers=1",
            "--generation-database=none",
            f"--report-dir={tmp_path}",
            "--header",
            f"X-Api-Key: {partner_key}",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=170,
    )
    (tmp_path / "run.txt").write_text(run.stdout)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    # Some of the generated POSTs were valid requests, and were filed.
    assert Case.objects.count() + InboxOrder.objects.count() > 0

"""The alert rules (ops/alerts.yml): promtool proves each alert fires on its condition and stays
quiet otherwise (ops/alerts_test.yml, and ops/alerts_backup_test.yml for the backups' age over
days), every alert is tested and has its runbook line in the
docs (docs/_parts/many-machines.md), and every figure a rule reads is one /metrics serves.

promtool comes from Debian's prometheus package (`make test` installs it where missing). Under
CI=true a missing promtool fails these tests; elsewhere they are skipped with that reason."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "ops" / "alerts.yml"
RULE_TESTS = [ROOT / "ops" / "alerts_test.yml", ROOT / "ops" / "alerts_backup_test.yml"]


@pytest.fixture(scope="module")
def promtool():
    found = shutil.which("promtool")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("promtool is missing: CI must install Debian's prometheus package")
    pytest.skip("promtool is missing (apt-get install prometheus, or `make alerts-test`)")


def alerts():
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def test_the_rules_are_valid(promtool):
    done = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in done.stdout


def test_each_alert_fires_on_its_condition_and_stays_quiet_otherwise(promtool):
    done = subprocess.run(
        [promtool, "test", "rules", *(path.name for path in RULE_TESTS)],
        cwd=ROOT / "ops",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("SUCCESS") == len(RULE_TESTS)


def test_every_alert_is_tested_firing_and_quiet():
    """Each alert fires in some test, and in each test where it fires some series must stay
    quiet: an instance it does not name, or an evaluation before its condition held."""
    tests = [group for path in RULE_TESTS for group in yaml.safe_load(path.read_text())["tests"]]
    fired = set()
    for group in tests:
        instances = {
            match
            for s in group["input_series"]
            for match in re.findall(r'instance="(\w+)"', s["series"])
        }
        cases = group.get("alert_rule_test", [])
        for case in cases:
            if not case.get("exp_alerts"):
                continue
            fired.add(case["alertname"])
            named = {alert["exp_labels"]["instance"] for alert in case["exp_alerts"]}
            quiet_before = any(
                c["alertname"] == case["alertname"] and not c.get("exp_alerts") for c in cases
            )
            assert instances - named or quiet_before, f"{case['alertname']}: nothing stays quiet"
    names = {rule["alert"] for rule in alerts()}
    assert names <= fired, f"never seen firing: {sorted(names - fired)}"


def test_every_alert_has_a_runbook_line_in_the_docs():
    page = (ROOT / "docs" / "_parts" / "many-machines.md").read_text()
    section = page.split("## Alerts and their runbook", 1)[1].split("\n## ", 1)[0]
    for rule in alerts():
        assert f"| `{rule['alert']}` |" in section, f"{rule['alert']} has no runbook line"
        assert rule["labels"]["severity"] in ("critical", "warning")


def test_every_figure_a_rule_reads_is_one_the_app_serves():
    served = (ROOT / "monitoring" / "metrics.py").read_text()
    for rule in alerts():
        for name in re.findall(r"\byoujie_[a-z_]+", rule["expr"]):
            base = re.sub(r"_(total|bucket|count|sum)$", "", name)
            assert f'"{base}"' in served, f"{rule['alert']} reads {name}, which /metrics lacks"

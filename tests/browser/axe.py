"""axe-core in the browser tests: the npm package `make test` installs into .run/axe (never
committed, no CDN). The app's CSP (script-src 'self') refuses an injected <script> tag, so the
source is evaluated through the DevTools protocol, which no page policy restricts."""

from pathlib import Path

import pytest
from django.conf import settings

AXE_JS = Path(settings.BASE_DIR) / ".run" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def _source():
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is missing at {AXE_JS}: `make axe` (in `make test`) installs it")
    return AXE_JS.read_text(encoding="utf-8")


def violations(page):
    """Serious and critical WCAG 2.1 A/AA (and best-practice) violations of the open page, as
    readable lines: rule, impact, and the first few elements it names."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    result = page.evaluate(
        """() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)
        })))"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + " | ".join(v["nodes"])
        for v in result
        if v["impact"] in BLOCKING
    ]

"""axe-core in the browser tests: the axe.min.js that the Python package axe-playwright-python
ships (in the test dependencies; no npm, no CDN). The app's CSP (script-src 'self') refuses an
injected <script> tag, so the source is evaluated through the DevTools protocol, which no page
policy restricts."""

from functools import cache
from importlib import resources

BLOCKING = ("serious", "critical")
RUN_LIMIT_MS = 30_000  # axe answers in a second or two; a page that never lets it finish fails

RUN = """(limit) => Promise.race([
    axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)
    }))),
    new Promise((_resolve, reject) => setTimeout(
        () => reject(new Error(`axe.run gave no answer in ${limit} ms`)), limit)),
])"""


@cache
def source():
    return (
        resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
    )


def violations(page):
    """Serious and critical WCAG 2.1 A/AA (and best-practice) violations of the open page, as
    readable lines: rule, impact, and the first few elements it names."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source())
    result = page.evaluate(RUN, RUN_LIMIT_MS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + " | ".join(v["nodes"])
        for v in result
        if v["impact"] in BLOCKING
    ]

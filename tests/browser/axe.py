"""axe-core in the browser tests: the accessibility rules run inside the page, as the browser renders it.

axe-core comes from npm (package.json; `make test` runs `npm ci`), never from a CDN, and is put into the page
with Playwright's add_script_tag. Contexts that use it are opened with bypass_csp=True: the page's
Content-Security-Policy would (rightly) refuse a script the test injects.
"""

from pathlib import Path

from django.conf import settings

AXE_JS = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.1 A and AA plus axe's best practices (landmarks, heading order, names that match their labels).
RUN_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}

_RUN = """async ([context, options]) => {
  const result = await axe.run(context || document, options);
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ") + " :: " + (n.failureSummary || "").replace(/\\s+/g, " ")),
  }));
}"""


def axe_violations(page, *, context: str | None = None) -> list[dict]:
    """The axe-core violations of the page as it is now (or of the elements `context` selects)."""
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run `npm ci` in the project folder (make test does).")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(_RUN, [context, RUN_OPTIONS])


def assert_accessible(page, where: str, *, context: str | None = None) -> None:
    """Fail with every violation (rule, element, why) when axe-core finds any."""
    violations = axe_violations(page, context=context)
    report = "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']}\n" + "\n".join(f"      {node}" for node in v["nodes"][:6])
        for v in violations
    )
    assert not violations, f"axe-core found {len(violations)} kind(s) of violation on {where}:\n{report}"

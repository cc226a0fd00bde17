"""Shared Playwright helpers for the app's browser tests: Debian's chromium, the phone's context settings, the
`browser` fixture (import it into a test module: `from tests.browser import browser`), and checks every screen test
can call: `serious_axe_violations(page)` (axe-core, WCAG 2.1 AA), `no_horizontal_scroll(page)` (360 px) and
`small_targets(page)` (44 px).

axe-core comes from the PyPI package axe-playwright-python, which ships axe.min.js in its wheel: nothing is downloaded
at test time and no Node.js is needed. It is injected with `page.evaluate`, which runs through the DevTools protocol
and is not subject to the page's Content-Security-Policy (so it works on /app, whose CSP forbids inline script; an
`add_script_tag(content=...)` would be blocked there)."""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, async_playwright, expect
from playwright.async_api import TimeoutError as PlaywrightTimeout

from tests.harness import Server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
# The phone every screen test uses: 390x844 (a common Android/iPhone size), touch, Chinese.
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
                         "device_scale_factor": 2, "locale": "zh-CN"}
# The narrowest phone the app must fit without sideways scrolling.
NARROW_PHONE: dict[str, Any] = PHONE | {"viewport": {"width": 360, "height": 740}}
TIMEOUT_MS = 10_000  # every browser wait is bounded

# axe-core's tags for WCAG 2.1 A and AA (the budget: frontend-spec/budgets.md).
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SERIOUS = {"serious", "critical"}


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Debian's chromium, launched once per test module (a missing chromium fails: it is never skipped)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; ./test does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@cache
def axe_source() -> str:
    """axe.min.js as the wheel of axe-playwright-python ships it."""
    from axe_playwright_python.base import AXE_FILE_PATH
    return Path(AXE_FILE_PATH).read_text(encoding="utf-8")


async def axe_violations(page: Page, tags: list[str] | None = None) -> list[dict[str, Any]]:
    """Every axe-core violation on the page as it is now (WCAG 2.1 A and AA rules by default)."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(axe_source())  # through the DevTools protocol: not subject to the page's CSP
    options = {"runOnly": {"type": "tag", "values": tags or WCAG_AA_TAGS}, "resultTypes": ["violations"]}
    results = await page.evaluate("options => axe.run(document, options)", options)
    return results["violations"]


async def serious_axe_violations(page: Page) -> list[dict[str, Any]]:
    """The violations of impact serious or critical, each as {id, impact, help, targets} (targets: the CSS selectors
    of the offending nodes), so that `assert await serious_axe_violations(page) == []` prints what to fix."""
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "targets": [" ".join(map(str, node["target"])) for node in v["nodes"]]}
            for v in await axe_violations(page) if v.get("impact") in SERIOUS]


async def no_horizontal_scroll(page: Page) -> bool:
    """True when nothing scrolls sideways: the document is no wider than the phone's screen. Compared with the
    viewport the context set, not window.innerWidth: on a mobile context (is_mobile) Chromium widens the layout
    viewport to fit content that overflows (innerWidth 508 for a 500 px block at 360 px), hiding the overflow."""
    width = page.viewport_size["width"] if page.viewport_size else await page.evaluate("window.screen.width")
    return await page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body ? document.body.scrollWidth : 0)") <= width


async def small_targets(page: Page) -> list[str]:
    """The visible buttons, links and fields smaller than 44 x 44 px (the touch budget)."""
    return await page.evaluate("""[...document.querySelectorAll('button, a, input, textarea, select')]
        .filter(e => { const r = e.getBoundingClientRect();
                       return r.width > 0 && r.height > 0 && (r.width < 44 || r.height < 44); })
        .map(e => e.outerHTML.slice(0, 80))""")


async def until_live(probe: Callable[[], Awaitable[Locator]], tries: int = 5, each_ms: int = 2_000) -> None:
    """Waits until a page's subscription delivers. A `subscribe` frame the browser has sent is not yet a subscription
    the server has started: a change made at that instant can be applied before it and never be delivered (the page's
    query ran earlier). Each try makes a probe change (`probe()` makes it and returns the locator that shows it) and
    waits `each_ms` for it; the first probe seen proves the subscription live, so what a test measures next is the
    delivery itself. Fails when no probe arrives in `tries`."""
    for _ in range(tries):
        shown = await probe()
        try:
            await shown.first.wait_for(state="visible", timeout=each_ms)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"the page's subscription delivered none of {tries} probe changes")


async def sign_in(context: BrowserContext, server: Server, tok: str, path: str = "/app") -> Page:
    """A new page of `context` signed in by a link's token (`/app#token=`, as `./start` prints), on its first screen,
    then at `path` by the app's own router (no reload)."""
    page = await context.new_page()
    await page.goto(f"{server.url.removesuffix('/graphql')}/app#token={tok}")
    await expect(page.get_by_role("heading", level=2)).to_be_visible()
    if path != "/app":
        await page.evaluate("path => { history.pushState(null, '', path); dispatchEvent(new PopStateEvent('popstate')); }",
                            path)
    return page


async def fine(page: Page) -> None:
    """The screen as it is now: no serious or critical axe violation, no target under 44 px, no sideways scroll."""
    assert await serious_axe_violations(page) == []
    assert await small_targets(page) == []
    assert await no_horizontal_scroll(page)

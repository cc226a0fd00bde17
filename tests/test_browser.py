"""tests/browser.py's checks check something: axe-core (from the axe-playwright-python wheel) finds a serious violation
on a deliberately bad page and none on a clean one, it can be injected into /app despite the app's strict CSP, and the
sideways-scroll check tells a page that overflows 360 px from one that does not. In Debian's chromium."""
from __future__ import annotations

from playwright.async_api import Browser

from tests.browser import NARROW_PHONE, PHONE, TIMEOUT_MS, browser, no_horizontal_scroll, serious_axe_violations
from tests.harness import Server

__all__ = ["browser"]  # the fixture, imported for pytest

BAD = """<!doctype html><html lang="zh-CN"><head><title>坏页面</title></head><body><main>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<button></button>
<input type="text">
</main></body></html>"""
CLEAN = """<!doctype html><html lang="zh-CN"><head><title>好页面</title></head><body><main>
<h1>待办事项</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="社区图标">
<button type="button">接收</button>
<label for="reason">退回理由</label><input id="reason" type="text">
</main></body></html>"""


async def test_axe_finds_serious_violations_on_a_bad_page_and_none_on_a_clean_one(browser: Browser) -> None:
    """WCAG 2.1 AA: an image without alt text, a button without a name and a field without a label are each reported
    (rule id, help, the nodes' selectors); the same page done right has no serious or critical violation."""
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    await page.set_content(BAD)
    found = await serious_axe_violations(page)
    ids = {v["id"] for v in found}
    assert {"image-alt", "button-name", "label"} <= ids, found
    image = next(v for v in found if v["id"] == "image-alt")
    assert image["impact"] in ("serious", "critical") and image["help"] and image["targets"] == ["img"], image
    await page.set_content(CLEAN)
    assert await serious_axe_violations(page) == []
    await context.close()


async def test_axe_runs_on_the_app_under_its_content_security_policy(server: Server, browser: Browser) -> None:
    """/app forbids inline script (script-src 'self'); axe is injected through the DevTools protocol all the same and
    reports on the app's sign-in screen (its findings are the screen tests' business: here, only that it ran)."""
    context = await browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    response = await page.goto(server.url.removesuffix("/graphql") + "/app")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    await page.locator("form").first.wait_for()
    # An inline script is refused on this page, as the CSP says...
    await page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.inlineRan = true'; document.head.appendChild(s); }""")
    assert await page.evaluate("window.inlineRan === undefined")
    # ...yet axe runs: it has checked the page's rules and returned its results.
    assert await page.evaluate("typeof window.axe") == "undefined"
    violations = await serious_axe_violations(page)
    assert await page.evaluate("typeof window.axe.run") == "function"
    assert isinstance(violations, list)
    assert any("Content Security Policy" in text for text in blocked), blocked
    await context.close()


async def test_no_horizontal_scroll_tells_an_overflowing_page_at_360_px(browser: Browser) -> None:
    """At 360 px a 500 px wide block makes the page scroll sideways; a block that wraps does not."""
    context = await browser.new_context(**NARROW_PHONE)
    page = await context.new_page()
    await page.set_content('<!doctype html><meta name="viewport" content="width=device-width">'
                           '<div style="width:500px">宽</div>')
    # (a mobile layout viewport widens to the content, so innerWidth alone would hide the overflow)
    assert await no_horizontal_scroll(page) is False
    await page.set_content('<!doctype html><meta name="viewport" content="width=device-width">'
                           '<p>一段会换行的文字，' + "很长" * 200 + "</p>")
    assert await no_horizontal_scroll(page) is True
    await context.close()

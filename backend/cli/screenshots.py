"""`gongzhi screenshots`: a PNG of each screen of the app, as a phone shows it, from a running server.

    gongzhi screenshots --url http://127.0.0.1:8000 [--out frontend-spec/screens]

It signs each demo role in with a token minted from the server's secret (GONGZHI_SECRET, or the file in
GONGZHI_DATA_DIR: the same rule as `gongzhi token`), opens each screen of SCREENS in Debian's chromium at 390x844
(scale 1, to keep the PNGs small) and writes `<file>.png` into --out. The server should hold the demo data
(`./start`, i.e. `gongzhi serve --demo`), since the screens show the demo's first community.

SCREENS is the one list of screens: one row per picture (role, path under /app, file name, an optional small action
such as opening the first task, the selector to wait for, elder mode). It holds today's screens (sign-in, the
committee's inbox, in ordinary and elder mode, and a task's detail); add a row as each new screen lands.

Playwright (the driver only) is a test extra: without it the command says so in one line. Without a CJK font
(`fc-list :lang=zh` finds none) Chinese renders as empty boxes: the command warns in one line (on Debian:
`apt-get install fonts-noto-cjk`)."""
from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import typer

from backend import config
from backend.domain.access import Role

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 390, "height": 844}
ELDER_KEY = "gongzhi.elder"  # localStorage: '1' switches elder mode (长辈模式) on
TIMEOUT_MS = 15_000
HOME = "320102001001"  # the demo's first community


@dataclass(frozen=True)
class Screen:
    file: str  # the PNG's name, without .png: <role>-<screen>
    path: str  # under /app
    role: Role | None  # signed in as the demo's actor of this role; None: signed out
    wait_for: str  # a CSS selector visible once the screen is ready
    action: str | None = None  # then tap this selector's first match...
    then_wait_for: str | None = None  # ...and wait for this one
    elder: bool = False


SCREENS: list[Screen] = [
    Screen("sign-in", "/app", None, "form"),
    Screen("committee-inbox", "/app", Role.COMMITTEE, "a[data-task]"),
    Screen("committee-inbox-elder", "/app", Role.COMMITTEE, "a[data-task]", elder=True),
    Screen("committee-task", "/app", Role.COMMITTEE, "a[data-task]", action="a[data-task]",
           then_wait_for=".status"),
    # Street office, department, auditor (H5): the demo's street office and department see the district's streets.
    Screen("street_office-communities", "/app", Role.STREET_OFFICE, "li[data-community]"),
    Screen("street_office-delegate", f"/app/delegate?community={HOME}", Role.STREET_OFFICE,
           "fieldset p.hint"),
    Screen("street_office-agreements", "/app/agreements", Role.STREET_OFFICE, "ul.agreements li"),
    Screen("street_office-burden", "/app/burden", Role.STREET_OFFICE, "ul.figures",
           action="li[data-community] button", then_wait_for="li[data-community] ul.figures"),
    Screen("street_office-tasks", "/app/tasks", Role.STREET_OFFICE, "ul.delegated li"),
    Screen("department-communities", "/app", Role.DEPARTMENT, "li[data-community]"),
    Screen("auditor-log", "/app", Role.AUDITOR, "form", action="button[type=submit]", then_wait_for="li.event"),
    Screen("auditor-history", f"/app/history?entity={HOME}", Role.AUDITOR, "li.event"),
    Screen("auditor-as-of", f"/app/as-of?entity={HOME}&at=2030-01-01T00:00:00", Role.AUDITOR, "pre.json"),
    Screen("auditor-burden", "/app/burden", Role.AUDITOR, "ul.figures"),
    # Committee, resident, party committee, social organization (H4): the demo's first community; its campaigns are
    # listed newest first (the last has ballots, the first none yet).
    Screen("committee-home", "/app/home", Role.COMMITTEE, "[data-duty-lists] li"),
    Screen("committee-organization", "/app/organization/new", Role.COMMITTEE, "#org-name"),
    Screen("committee-campaigns", "/app/campaigns", Role.COMMITTEE, "li[data-campaign]"),
    Screen("committee-open-campaign", "/app/campaigns/new", Role.COMMITTEE, "#campaign-title"),
    Screen("resident-home", "/app", Role.RESIDENT, "[data-duty-lists] li"),
    Screen("resident-home-elder", "/app", Role.RESIDENT, "[data-duty-lists] li", elder=True),
    Screen("resident-campaigns", "/app/campaigns", Role.RESIDENT, "li[data-campaign]"),
    Screen("resident-campaign", "/app/campaigns", Role.RESIDENT, "li[data-campaign]",
           action='li[data-campaign] a.button:not([href$="/results"])', then_wait_for="section[data-target] form"),
    Screen("resident-results", "/app/campaigns", Role.RESIDENT, "li[data-campaign]",
           action='li[data-campaign]:last-child a[href$="/results"]', then_wait_for="li[data-result]"),
    Screen("party_committee-home", "/app", Role.PARTY_COMMITTEE, "[data-duty-lists] li"),
    Screen("social_organization-home", "/app", Role.SOCIAL_ORGANIZATION, "[data-duty-lists] li"),
    # The shell (H3): 记录活动 with the community's recent activities; every role's 待发送 and 设置 (长辈版).
    Screen("committee-activities", "/app/activities", Role.COMMITTEE, "li.activity-row"),
    Screen("committee-activities-elder", "/app/activities", Role.COMMITTEE, "li.activity-row", elder=True),
    Screen("committee-pending", "/app/pending", Role.COMMITTEE, "main.pending p.empty"),
    Screen("committee-settings", "/app/settings", Role.COMMITTEE, "button[role=switch]"),
    Screen("committee-settings-elder", "/app/settings", Role.COMMITTEE, "button[role=switch]", elder=True),
]


def demo_actors() -> dict[Role, tuple[str, str]]:
    """The demo's actor of each role: (scope, actor id), as `serve` prints their app links."""
    actors = {Role.COMMITTEE: (HOME, f"committee-{HOME}")}
    from backend.cli import demo
    for role, scope, actor in getattr(demo, "APP_ACTORS", ()):
        actors[role] = (scope, actor)
    return actors


def cjk_font() -> bool:
    """Whether fontconfig knows a font for Chinese (none: the screenshots would show tofu)."""
    if not shutil.which("fc-list"):
        return False
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=30, check=False)
    return bool(listed.stdout.strip())


async def take(url: str, out: Path, screens: list[Screen], tokens: dict[Role, str]) -> list[Path]:
    from playwright.async_api import async_playwright

    base = url.rstrip("/")
    written = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        try:
            for screen in screens:
                context = await browser.new_context(viewport=VIEWPORT, device_scale_factor=1, is_mobile=True,
                                                    has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
                context.set_default_timeout(TIMEOUT_MS)
                if screen.elder:  # before the app's scripts run (an init script is not subject to the page's CSP)
                    await context.add_init_script(f"localStorage.setItem('{ELDER_KEY}', '1')")
                page = await context.new_page()
                fragment = f"#token={tokens[screen.role]}" if screen.role else ""
                await page.goto(f"{base}{screen.path}{fragment}")
                await page.locator(screen.wait_for).first.wait_for(state="visible")
                if screen.action:
                    await page.locator(screen.action).first.click()
                    await page.locator(screen.then_wait_for or screen.wait_for).first.wait_for(state="visible")
                await page.evaluate("document.fonts.ready.then(() => true)")
                path = out / f"{screen.file}.png"
                await page.screenshot(path=str(path), animations="disabled", caret="hide")
                written.append(path)
                await context.close()
        finally:
            await browser.close()
    return written


def screenshots(url: str = typer.Option("http://127.0.0.1:8000", help="The running server (with the demo data)."),
                out: Path = typer.Option(Path("frontend-spec/screens"), help="Where the PNGs go."),
                only: list[str] | None = typer.Option(None, help="Only these files of the table (repeatable).")
                ) -> None:
    """Save a 390x844 PNG of each screen of the app, signed in as each demo role, from a running server."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        _fail("Playwright is not installed: it is a test extra (.venv/bin/python -m pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        _fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    settings = config.load(make_secret=False)
    if not settings.secret:
        _fail(f"no token secret: GONGZHI_SECRET is not set and {config.secret_path(settings.data_dir)} does not "
              "exist; set the server's GONGZHI_DATA_DIR or GONGZHI_SECRET")
    if not cjk_font():
        print("warning: no CJK font (fc-list :lang=zh finds none): Chinese will show as boxes; "
              "install one (Debian: apt-get install fonts-noto-cjk)", file=sys.stderr)
    from backend.api.auth import issue
    tokens = {role: issue(settings.secret, actor, role, scope) for role, (scope, actor) in demo_actors().items()}
    screens = [s for s in SCREENS if not only or s.file in only]
    if only and len(screens) != len(set(only)):
        _fail(f"no such screen: {sorted(set(only) - {s.file for s in screens})}; the table has "
              f"{[s.file for s in SCREENS]}")
    missing = sorted({s.role.value for s in screens if s.role and s.role not in tokens})
    if missing:
        _fail(f"no demo actor for {missing}")
    out.mkdir(parents=True, exist_ok=True)
    try:
        written = asyncio.run(take(url, out, screens, tokens))
    except Exception as e:  # a server that is not there, a screen that never got ready: one line, no traceback
        if type(e).__name__ not in ("TimeoutError", "Error"):
            raise
        _fail(f"{type(e).__name__}: {str(e).splitlines()[0]} (is the server at {url} running with the demo data?)")
    for path in written:
        print(path)
    print(f"{len(written)} screenshots in {out}", file=sys.stderr)


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)

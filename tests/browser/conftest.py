"""
Browser tests: Playwright driving Debian's chromium against pytest-django's live server, with axe-core injected
from the vendored copy for accessibility checks (WCAG 2.1 AA). They run in CI (`.ci/run` installs chromium and sets
STYRNING_REQUIRE_BROWSER=1, so a missing browser fails there instead of skipping).
"""

import importlib
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("STYRNING_REQUIRE_BROWSER"):
            pytest.fail("chromium saknas: installera Debians paket chromium (.ci/run gör det)")
        pytest.skip("chromium is not installed; install Debian's chromium to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def demo(transactional_db):
    """The demo municipalities, loaded through the same command as `make run`.

    A transactional test flushes the database afterwards, reference data from migrations included, so Agenda 2030
    is loaded again through its migration's own loader first.
    """
    from django.apps import apps

    agenda2030 = importlib.import_module("goals.migrations.0002_agenda2030")
    agenda2030.load(apps, None)
    call_command("load_demo", verbosity=0)


def login(page, live_server, username, password="demo"):
    page.goto(f"{live_server.url}/logga-in/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(lambda url: "/logga-in/" not in url)


def logout(page):
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url(lambda url: "/logga-in/" in url)


def axe_violations(page):
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the current page; returns the violations."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document,"
        " {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]
    ]

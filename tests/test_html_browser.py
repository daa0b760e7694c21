"""``--format html`` in a real browser: headless Chromium (Debian's ``chromium``) through
Playwright. Skipped, with the reason, where either is missing; .ci/run installs the browser.

With ``B12CHECK_SAVE_SCREENSHOT=DIR`` the screenshot is also saved as DIR/html-report.png
(how README's docs/html-report.png is made).
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import invoke
from tests.html_helpers import FIXTURES

CHROMIUM = os.environ.get("B12CHECK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1000, "height": 1400}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install '.[dev]')"
    )
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def report(tmp_path: Path, *args: str) -> Path:
    """A report written by ``scan --format html -o``; its path."""
    out = tmp_path / "report.html"
    result = invoke("scan", *args, "--format", "html", "-o", str(out))
    assert result.exit_code in (0, 1), result.stderr
    return out


class Loaded:
    def __init__(self, page: Any, console: list[str], requests: list[str]) -> None:
        self.page = page
        self.console = console
        self.requests = requests


@pytest.fixture
def load(browser: Any) -> Iterator[Any]:
    contexts = []

    def open_page(path: Path) -> Loaded:
        context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
        contexts.append(context)
        page = context.new_page()
        console: list[str] = []
        requests: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
        page.on("request", lambda request: requests.append(request.url))
        # answer nothing from the network: any request but the page itself is recorded above
        page.route(
            "**/*",
            lambda route: (
                route.abort() if route.request.url != path.as_uri() else route.continue_()
            ),
        )
        page.goto(path.as_uri())
        return Loaded(page, console, requests)

    yield open_page
    for context in contexts:
        context.close()


def test_no_console_errors_and_no_request_but_the_page(tmp_path: Path, load: Any) -> None:
    events = str(FIXTURES / "events.csv")
    path = report(tmp_path, str(FIXTURES / "follow-up.csv"), "--events", events)
    loaded = load(path)
    assert loaded.console == []
    assert loaded.requests == [path.as_uri()]


def test_every_value_is_in_the_dom(tmp_path: Path, load: Any) -> None:
    loaded = load(report(tmp_path, str(FIXTURES / "follow-up.csv")))
    text = loaded.page.inner_text("body")
    for value in ("162 pmol/L", "<10 ng/mL", "11 ng/mL", "0.74 mmol/L", "231 pmol/L",
                  "21.4 ng/mL", "24 ng/mL", "388 pmol/L", "34.0 ng/mL", "41 ng/mL",
                  "0.81 mmol/L"):  # fmt: skip
        assert value in text
    assert "Not medical advice — discuss results with a qualified clinician." in text
    assert loaded.page.locator("figure.chart svg").count() == 4


@pytest.mark.parametrize(
    "patient", ["<script>document.title='pwned'</script>", "<img src=x onerror=alert(1)>"]
)
def test_markup_in_a_patient_id_is_shown_as_text(tmp_path: Path, load: Any, patient: str) -> None:
    export = tmp_path / "in.csv"
    quoted = '"' + patient.replace('"', '""') + '"'
    export.write_text(
        f"Patient ID,Test,Result,Units\n{quoted},Vitamin B12,150,pg/mL\n", encoding="utf-8"
    )
    loaded = load(report(tmp_path, str(export)))
    page = loaded.page
    assert page.locator("script").count() == 0 and page.locator("img").count() == 0
    assert f"Patient {patient}" in page.inner_text("h2")
    assert page.title() == f"Lab results report — {patient} (b12check)"  # as text, not run
    assert loaded.console == [] and len(loaded.requests) == 1


def colours(png: Path) -> tuple[tuple[int, int], int]:
    """The size of an image and how many distinct colours it has."""
    from PIL import Image  # (the dev extra's pillow)

    with Image.open(png) as image:
        return image.size, len(image.convert("RGB").getcolors(maxcolors=1 << 22) or [])


def test_screenshot_is_the_expected_size_and_not_blank(
    tmp_path: Path, load: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = os.environ.get("B12CHECK_SAVE_SCREENSHOT")
    saved_dir = Path(saved).resolve() if saved else None  # (before the chdir)
    monkeypatch.chdir(FIXTURES)  # file names on the page as a person would type them
    loaded = load(report(tmp_path, "follow-up.csv", "--events", "events.csv"))
    shot, chart = tmp_path / "html-report.png", tmp_path / "html-report-trend.png"
    loaded.page.screenshot(path=str(shot))
    size, count = colours(shot)
    assert size == (VIEWPORT["width"], VIEWPORT["height"])
    assert count > 200  # text, gauges and chips: far from a blank page
    loaded.page.locator("figure.chart").first.screenshot(path=str(chart))
    size, count = colours(chart)
    assert size[0] > 600 and size[1] > 200 and count > 100
    if saved_dir is not None:
        saved_dir.mkdir(parents=True, exist_ok=True)
        for each in (shot, chart):
            shutil.copyfile(each, saved_dir / each.name)


def test_printing_to_pdf_works(tmp_path: Path, load: Any) -> None:
    loaded = load(report(tmp_path, str(FIXTURES / "follow-up.csv")))
    for paper in ("A4", "Letter"):
        pdf = loaded.page.pdf(format=paper, print_background=True)
        assert pdf.startswith(b"%PDF")
        assert len(pdf) > 10_000

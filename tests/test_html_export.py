"""The HTML study sheet: self-contained, every figure present, rendered by a real headless Chromium."""

import html.parser
import re
import shutil
import subprocess
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlquiz.cli.app import app

ARTIFACTS = Path(__file__).parents[1] / "build" / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-logging=stderr", "--v=0"]


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    out = tmp_path_factory.mktemp("sheet") / "sheet.html"
    result = CliRunner().invoke(app, ["export", "html", str(out), "-t", "lstm", "-t", "gradients", "-t", "batchnorm"])
    assert result.exit_code == 0, result.output
    figures = int(re.search(r"(\d+) figures", result.output).group(1))
    return out, figures


class Parsed(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links, self.external, self.tags = set(), [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            value = attrs.get(key)
            if value and value.startswith("#"):
                self.links.append(value[1:])
            elif value:
                self.external.append(value)


def test_the_sheet_is_self_contained_and_every_link_resolves(sheet):
    out, figures = sheet
    page = Parsed()
    page.feed(out.read_text(encoding="utf-8"))
    assert page.external == []  # no stylesheet, script, font or image from anywhere else
    assert "script" not in page.tags
    assert set(page.links) <= page.ids, sorted(set(page.links) - page.ids)
    assert figures >= 5 and page.tags.count("svg") == figures
    drawn = page.tags.count("polyline") + page.tags.count("rect") - figures  # each line figure has a frame rect
    assert drawn >= figures  # every figure draws at least one curve or bar


def test_the_sheet_prints_as_a_handout(sheet):
    text = sheet[0].read_text(encoding="utf-8")
    assert "@media print" in text and "break-inside: avoid" in text


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no Chromium on this machine (install it with: apt-get install chromium); "
                "the static checks above still ran")


class Recording(SimpleHTTPRequestHandler):
    requested: list

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.requested.append(self.path)
        super().do_GET()


def test_headless_chromium_renders_every_figure_with_no_console_errors(sheet, tmp_path):
    browser = chromium()
    out, figures = sheet
    requested = []
    handler = partial(type("Handler", (Recording,), {"requested": requested}), directory=str(out.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # loopback only
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{out.name}"
    try:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "study-sheet.png"
        common = CHROMIUM_FLAGS + [f"--user-data-dir={tmp_path / 'profile'}"]
        dom = subprocess.run([browser, *common, "--dump-dom", url], capture_output=True, text=True, timeout=120)
        picture = subprocess.run([browser, *common, f"--screenshot={shot}", "--window-size=1000,1600", url],
                                 capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
    assert dom.returncode == 0 and picture.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<svg") == figures and "<polyline" in dom.stdout and 'class="bar"' in dom.stdout
    console = [line for line in (dom.stderr + picture.stderr).splitlines() if ":CONSOLE" in line]
    assert console == []
    assert {path for path in requested} <= {f"/{out.name}", "/favicon.ico"}
    assert shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")

"""The HTML report opens in headless Chromium without errors, shows the Gantt figure, and
renders to a non-trivial screenshot.

Chromium is Debian's ``/usr/bin/chromium`` (installed by setup.sh). When it is missing the test
FAILS: the acceptance criterion is that the report works in a real browser.

Errors are captured two ways: a probe script injected at the top of ``<head>`` (in a copy of the
report) records ``window.onerror``, resource load errors and ``console.error`` calls and writes
them with the figure checks into the DOM, which ``--dump-dom`` prints; and Chromium's own log
(``--enable-logging=stderr``) must not contain "Uncaught" for the unmodified page. A control page
with a deliberate error shows that the probe does see errors.
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
from pathlib import Path

import pytest

from mcmsched.runner.run import run

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]

PROBE = """<script>
window.__errors = [];
window.addEventListener('error', function (e) {
  var t = e.target, url = t && (t.src || t.href);
  var src = url ? ' ' + url : '';
  window.__errors.push('error: ' + (e.message || e.type) + src);
}, true);
window.addEventListener('unhandledrejection', function (e) {
  window.__errors.push('unhandled rejection: ' + e.reason);
});
(function () {
  var orig = console.error;
  console.error = function () {
    window.__errors.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
    orig.apply(console, arguments);
  };
})();
window.addEventListener('load', function () {
  var g = document.querySelector('#fig-gantt svg');
  var r = g ? g.getBoundingClientRect() : null;
  var out = document.createElement('pre');
  out.id = '__probe';
  out.textContent = JSON.stringify({
    errors: window.__errors,
    gantt: !!g,
    gantt_width: r ? r.width : 0,
    gantt_height: r ? r.height : 0,
    energy: !!document.querySelector('#fig-energy svg'),
    tables: document.querySelectorAll('table').length,
    title: document.title
  });
  document.body.appendChild(out);
});
</script>"""


def chromium() -> Path:
    assert CHROMIUM.is_file(), (
        f"{CHROMIUM} not found: install Debian's chromium (setup.sh does: apt-get install "
        "chromium); the HTML report must be checked in a real browser"
    )
    return CHROMIUM


def run_chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(chromium()), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def probe(page: Path, tmp: Path) -> dict[str, object]:
    """Load ``page`` with the probe injected; the probe's JSON report."""
    text = page.read_text(encoding="utf-8")
    probed = tmp / f"probed-{page.name}"
    probed.write_text(text.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    res = run_chromium(
        ["--virtual-time-budget=5000", "--dump-dom", probed.as_uri()], tmp / "profile-probe"
    )
    m = re.search(r'<pre id="__probe">(.*?)</pre>', res.stdout, re.S)
    assert m, f"probe output missing (chromium rc={res.returncode}):\n{res.stderr[-2000:]}"
    raw = m.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
    data: dict[str, object] = json.loads(raw.replace("&amp;", "&"))
    return data


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chromium()
    out = tmp_path_factory.mktemp("report")
    res = run(REPO / "examples" / "paper1.yaml")
    paths = res.write(out)
    return paths["report.html"]


def test_report_loads_without_errors_and_shows_the_gantt(report: Path, tmp_path: Path) -> None:
    data = probe(report, tmp_path)
    assert data["errors"] == [], data["errors"]
    assert data["gantt"] is True
    assert isinstance(data["gantt_width"], int | float) and data["gantt_width"] > 300
    assert isinstance(data["gantt_height"], int | float) and data["gantt_height"] > 80
    assert data["energy"] is True
    assert isinstance(data["tables"], int) and data["tables"] >= 6
    assert data["title"] == "mcmsched report: paper1"


def test_unmodified_report_logs_no_uncaught_errors(report: Path, tmp_path: Path) -> None:
    res = run_chromium(
        [
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
            report.as_uri(),
        ],
        tmp_path / "profile-log",
    )
    assert 'id="fig-gantt"' in res.stdout, res.stderr[-2000:]
    bad = [ln for ln in res.stderr.splitlines() if "Uncaught" in ln or ":CONSOLE" in ln]
    assert bad == [], bad


def test_probe_sees_errors_on_a_broken_page(tmp_path: Path) -> None:
    """Control: the probe reports a script error and a console.error, so a clean report is
    really clean."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>x</title></head><body>"
        "<script>console.error('boom'); notAFunction();</script></body></html>"
    )
    data = probe(page, tmp_path)
    errors = data["errors"]
    assert isinstance(errors, list) and len(errors) == 2, errors
    assert any("boom" in e for e in errors) and any("notAFunction" in e for e in errors)
    assert data["gantt"] is False


def test_screenshot_is_a_real_picture(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    res = run_chromium(
        [f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri()],
        tmp_path / "profile-shot",
    )
    assert shot.is_file(), f"no screenshot (rc={res.returncode}):\n{res.stderr[-2000:]}"
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    assert (w, h) == (1280, 2000)
    # a blank page compresses to a few kB; tables and figures make it far larger
    assert len(data) > 60_000, len(data)

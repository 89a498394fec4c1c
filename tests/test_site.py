"""The study site, built for real and driven in a real browser.

The module builds the site once (`mkdocs build --strict` into a temporary folder) with a
verification report made for the occasion: every check passed, except one deliberately
failed and one left out (so "not run"). It then serves the build on 127.0.0.1 and drives
Debian's Chromium through Playwright (`executable_path`: `playwright install` cannot
download browsers here). Every request the pages make is recorded; any that is not for
the local server is aborted and fails the test.

Chromium: `$QBANK_CHROMIUM`, else `chromium` on the PATH; when it is missing and we are root
with apt-get, it is installed from Debian's packages (CI has no other way to get it). Only
if no browser can be had are the browser tests skipped, saying so. The build tests run
regardless.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from qbank.bank.loader import load_bank
from qbank.bank.schema import Question
from qbank.bank.checks import collect_checks

ROOT = Path(__file__).resolve().parents[1]
FAIL_MESSAGE = "AssertionError: deliberately failed by tests/test_site.py"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps"]

pytestmark = pytest.mark.e2e


@dataclass
class Built:
    dir: Path
    questions: dict[str, Question]
    failing: Question  # its first check failed in the report
    failed_check: str
    not_run: str  # left out of the report
    seconds: float

    def html(self, url: str) -> str:
        return (self.dir / url / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    tmp = tmp_path_factory.mktemp("site")
    bank = load_bank(ROOT)
    checks, _ = collect_checks(ROOT / "checks")
    failing = bank.by_id.get("why-scale-by-sqrt-dk") or next(q for q in bank.questions if q.checks)
    failed_check = failing.checks[0]
    claimed = sorted({n for q in bank.questions for n in q.checks if n in checks})
    not_run = next(n for n in reversed(claimed) if n not in failing.checks)
    verdicts = {n: {"outcome": "passed", "duration": 0.01, "message": ""} for n in checks if n != not_run}
    verdicts[failed_check] = {"outcome": "failed", "duration": 0.02, "message": FAIL_MESSAGE}
    report = tmp / "verification.json"
    report.write_text(json.dumps({"generated": "2026-01-01T00:00:00+0000", "implementation": "solutions",
                                  "torch": "test-torch", "python": "3", "checks": verdicts}))
    env = {**os.environ, "QBANK_REPORT": str(report), "NO_MKDOCS_2_WARNING": "true"}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp / "site")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    assert "WARNING" not in proc.stderr, proc.stderr
    return Built(tmp / "site", bank.by_id, failing, failed_check, not_run, seconds)


# --- the build ------------------------------------------------------------------------------

def test_the_strict_build_has_one_page_per_question(built):
    for qid in built.questions:
        assert (built.dir / "questions" / qid / "index.html").is_file(), qid
    for page in ("index.html", "errata/index.html", "coverage/index.html", "contract/index.html",
                 "checks/index.html", "tags/index.html", "topics/index.html"):
        assert (built.dir / page).is_file(), page


def test_a_failing_check_shows_as_failed_on_its_page_and_a_missing_one_as_not_run(built):
    html = built.html(f"questions/{built.failing.id}")
    claim = next(c.claim for c in built.failing.claims if c.check == built.failed_check)
    items = re.findall(r'<li>\s*(?:<p>)?<span class="qb-badge qb-(\S+?)">.*?</span>\s*(.*?)<br', html)
    assert (dict((_text(text), outcome) for outcome, text in items)[_text(claim)]) == "failed"
    assert FAIL_MESSAGE in html
    assert re.search(r'qb-badge qb-failed">1/\d+ checks failed', html)  # the page's summary says so too
    other = next(q for q in built.questions.values() if built.not_run in q.checks)
    assert 'qb-not-run">not run</span>' in built.html(f"questions/{other.id}")
    passing = next(q for q in built.questions.values() if built.failed_check not in q.checks
                   and built.not_run not in q.checks and q.checks)
    assert "qb-failed" not in built.html(f"questions/{passing.id}")


def test_no_page_loads_anything_from_outside_the_site(built):
    external = re.compile(r"""<(?:script|link|img|iframe|source|audio|video)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//""",
                          re.IGNORECASE)
    for path in built.dir.rglob("*.html"):
        match = external.search(path.read_text(encoding="utf-8"))
        assert match is None, f"{path.relative_to(built.dir)}: {match.group(0)}"
    for path in built.dir.rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", path.read_text(encoding="utf-8")), path


# --- the browser ----------------------------------------------------------------------------

def find_chromium() -> str | None:
    for candidate in (os.environ.get("QBANK_CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def install_chromium() -> str:
    """Debian's chromium, when we may install it; returns what happened, for the skip reason."""
    if os.environ.get("QBANK_NO_APT"):
        return "QBANK_NO_APT is set"
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        return "not root with apt-get, so it cannot be installed from Debian's packages here"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "install", "-y", "-qq", "chromium"], ["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "chromium"]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if find_chromium():
            return "installed"
    return f"apt-get install chromium failed: {proc.stderr.strip()[-300:]}"


@pytest.fixture(scope="module")
def server(built):
    handler = functools.partial(_QuietHandler, directory=str(built.dir))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: "
                                   "pip install -e '.[browser]'")
    executable = find_chromium()
    if executable is None:
        outcome = install_chromium()
        executable = find_chromium()
        if executable is None:
            pytest.skip(f"no Chromium to drive: {outcome}. Install Debian's `chromium` package, or set "
                        "QBANK_CHROMIUM to a Chromium binary")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Visit:
    page: object
    base: str
    external: list[str]
    errors: list[str]

    def goto(self, path: str, wait_until: str = "networkidle") -> None:
        self.page.goto(self.base + path, wait_until=wait_until)


@pytest.fixture
def visit(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    external: list[str] = []
    errors: list[str] = []
    local = (server + "/", "data:", "blob:")

    def record(url: str) -> bool:
        if url.startswith(local):
            return True
        if url not in external:
            external.append(url)
        return False

    context.route("**/*", lambda r: r.continue_() if record(r.request.url) else r.abort())
    context.on("request", lambda req: record(req.url))  # belt and braces: whatever the route saw or not
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield Visit(page, server, external, errors)
    context.close()


@pytest.mark.browser
def test_a_question_page_renders_its_math_with_no_raw_tex_left(built, visit):
    visit.goto(f"/questions/{built.failing.id}/")
    page = visit.page
    assert page.locator(".arithmatex .katex").count() > 0  # KaTeX ran
    assert page.locator(".arithmatex:not(:has(.katex))").count() == 0  # and left nothing unrendered
    text = _strip_code(page)  # hidden text too: the answers are collapsed
    for raw in ("\\(", "\\[", "$$", "\\frac", "\\sqrt", "\\mathrm"):
        assert raw not in text, f"raw TeX {raw!r} left on the page"
    assert page.locator("article .qb-badge.qb-failed").first.is_visible()  # the failed check, shown
    assert not visit.errors and not visit.external, (visit.errors, visit.external)


@pytest.mark.browser
def test_the_detailed_answer_is_hidden_until_its_summary_is_clicked(built, visit):
    visit.goto(f"/questions/{built.failing.id}/")
    details = visit.page.locator("details:has(summary:text('Detailed answer'))")
    body = details.locator("p").first  # the answer's first paragraph
    assert details.count() == 1 and details.get_attribute("open") is None
    assert not body.is_visible()  # try first ...
    details.locator("summary").click()
    assert details.get_attribute("open") is not None
    body.wait_for(state="visible")  # ... then reveal
    assert not visit.errors and not visit.external, (visit.errors, visit.external)


@pytest.mark.browser
def test_search_finds_a_question_by_a_word_of_its_text(built, visit):
    target = built.failing
    word = _rarest_word(target, built.questions.values())
    visit.goto("/")
    box = visit.page.locator("input.md-search__input")
    box.click()
    box.press_sequentially(word, delay=40)
    hit = visit.page.locator(f".md-search-result__item a[href*='questions/{target.id}/']")
    hit.first.wait_for(state="attached")
    assert hit.count() >= 1, f"searching {word!r} did not find {target.id}"
    assert not visit.errors and not visit.external, (visit.errors, visit.external)


@pytest.mark.browser
def test_a_figure_loads(built, visit):
    with_figure = next((q for q in built.questions.values()
                        if "qb-figure" in built.html(f"questions/{q.id}")), None)
    visit.goto(f"/questions/{with_figure.id}/" if with_figure else "/topics/attention/")
    img = visit.page.locator(".qb-figure img").first
    img.scroll_into_view_if_needed()
    visit.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    assert img.evaluate("img => img.naturalWidth") > 100
    assert not visit.errors and not visit.external, (visit.errors, visit.external)


@pytest.mark.browser
def test_every_bank_page_loads_with_no_outside_request(built, visit):
    for path in ("/", "/topics/", "/errata/", "/coverage/", "/contract/", "/checks/", "/tags/",
                 "/checks/test_attention/"):
        visit.goto(path, wait_until="load")
        assert visit.page.locator("article h1").count() == 1, path
    visit.page.wait_for_load_state("networkidle")
    assert not visit.errors and not visit.external, (visit.errors, visit.external)


def _strip_code(page) -> str:
    """The article's text without code blocks (which may legitimately hold backslashes)."""
    return page.locator("article").evaluate(
        "a => { const c = a.cloneNode(true); c.querySelectorAll('pre, code, .katex').forEach(e => e.remove());"
        " return c.textContent; }")


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).replace("&amp;", "&").split())


def _rarest_word(q: Question, questions) -> str:
    """A word of the question's own text that as few other questions as possible contain."""
    words = [w for w in re.findall(r"[A-Za-z]{6,}", q.question)]

    def spread(w: str) -> int:
        return sum(w.lower() in (o.question + o.answer.short + o.answer.detailed).lower() for o in questions)

    return min(words, key=lambda w: (spread(w), -len(w))).lower()

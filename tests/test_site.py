"""The study site, built for real and driven in a real browser.

The module drives the real site: `make setup`'s own build/site/ when its stamp says it is
current (qbank.site.digest), else one built as `make site` builds it (`mkdocs build
--strict`). What only a failure shows is driven on a few pages built with a made-up report and
proofs (QBANK_PAGES): every check passed, except one deliberately failed and one left out (so
"not run"). Both are served on 127.0.0.1; the module drives
Debian's Chromium through Playwright (`executable_path`: `playwright install` cannot
download browsers here), one browser for the whole module. Every request the pages make is
recorded; any that is not for the local server is aborted and fails the test.

What it proves: the math renders and nothing raw is left; the answer stays hidden until
revealed, and nothing that gives it away shows above the reveal; search finds questions (by
a word, by the id's "sqrt", "scaling" near the top, "layernorm" first) and its previews never show an answer; a
failed claim does not swallow the claims after it; the filter by difficulty (and topic)
works; at phone width display math scrolls without clipping and lists reflow; sources read
as document titles; a figure loads; no page requests anything from outside. Besides the
browser: a strict build on a broken question stops within seconds, with `qbank validate`'s
own message.

Chromium: `$QBANK_CHROMIUM`, else `chromium` on the PATH; when it is missing and we are root
with apt-get, it is installed from Debian's packages (CI has no other way to get it). Only
if no browser can be had are the browser tests skipped, saying so. The build tests run
regardless.
"""

from __future__ import annotations

import functools
import html
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

from qbank.bank.checks import collect_checks
from qbank.bank.loader import load_bank
from qbank.bank.schema import Question
from qbank.bank.validate import seed_index
from qbank.site.digest import SITE_SOURCES, STAMP, digest, site_digest
from tests.pytest_fork import CACHE, prune, reuse_enabled

ROOT = Path(__file__).resolve().parents[1]
FAIL_MESSAGE = "AssertionError: deliberately failed by tests/test_site.py"
PROVEN_BUG_FILE = "tests/broken_impls/attention/unscaled.py"
PROVEN_BUG = "A bug made up by tests/test_site.py for its one proven check."
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps"]
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "true"}

pytestmark = pytest.mark.e2e


@dataclass
class Built:
    dir: Path
    questions: dict[str, Question]
    sample: Question  # a question with several claims, the one most tests open

    def html(self, url: str) -> str:
        return (self.dir / url / "index.html").read_text(encoding="utf-8")


@dataclass
class MadeUp(Built):
    """A few pages built with a made-up report and proofs (QBANK_PAGES): one check failed, one not run."""

    failed_check: str  # one of the sample's claims' checks, not its last
    not_run: str  # left out of the report
    not_run_in: Question  # a question that cites it
    passing: Question  # a question that cites neither
    proven: str  # the one check the made-up proofs say fails for PROVEN_BUG and passes with PyTorch


def _build(out: Path, key: str, env: dict[str, str], strict: bool = True) -> Path:
    """`mkdocs build` into the cache under `key` (made once from the same inputs, then reused:
    tests/pytest_fork.py; QBANK_TEST_CACHE=0 builds anyway); the folder."""
    cached = CACHE / f"site-{key[:24]}"
    if reuse_enabled() and (cached / "index.html").is_file():
        cached.touch()
        return cached
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict" if strict else "--no-strict", "--site-dir", str(out)],
                          cwd=ROOT, env={**ENV, **env}, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"mkdocs build failed:\n{proc.stdout}\n{proc.stderr}"
    assert not strict or "WARNING" not in proc.stderr, proc.stderr
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = CACHE / f".site-{key[:24]}.{os.getpid()}"
    shutil.copytree(out, staging)
    shutil.rmtree(cached, ignore_errors=True)
    staging.rename(cached)
    prune("site-*", keep=3)
    return cached


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    """The real site: what `make site` builds, from build/verification.json and
    build/check-proofs.json (either may be missing). `make setup`'s own build/site/ is used when
    its stamp says it was built from exactly what a build would read now (qbank.site.digest);
    otherwise the site is built, strict, like `make site`."""
    bank = load_bank(ROOT)
    report, proofs = ROOT / "build" / "verification.json", ROOT / "build" / "check-proofs.json"
    key = site_digest(ROOT, report, proofs)
    main = ROOT / "build" / "site"
    stamp = main / STAMP
    if reuse_enabled() and stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == key:
        folder = main
    else:
        folder = _build(tmp_path_factory.mktemp("site") / "site", key,
                        {"QBANK_REPORT": str(report), "QBANK_PROOFS": str(proofs)})
    assert (folder / STAMP).read_text(encoding="utf-8").strip() == key
    sample = bank.by_id.get("why-scale-by-sqrt-dk") or next(q for q in bank.questions if len(q.claims) >= 3)
    return Built(folder, bank.by_id, sample)


@pytest.fixture(scope="module")
def made_up(built, tmp_path_factory) -> MadeUp:
    tmp = tmp_path_factory.mktemp("made-up")
    checks, _ = collect_checks(ROOT / "checks")
    sample = built.sample
    failed_check = sample.claims[1].check or sample.checks[0]  # a claim with claims after it
    claimed = sorted({n for q in built.questions.values() for n in q.checks if n in checks})
    not_run = next(n for n in reversed(claimed) if n not in sample.checks)
    not_run_in = next(q for q in built.questions.values() if not_run in q.checks)
    passing = next(q for q in built.questions.values() if failed_check not in q.checks
                   and not_run not in q.checks and q.checks)
    verdicts = {n: {"outcome": "passed", "duration": 0.01, "message": ""} for n in checks if n != not_run}
    verdicts[failed_check] = {"outcome": "failed", "duration": 0.02, "message": FAIL_MESSAGE}
    report = tmp / "verification.json"
    report.write_text(json.dumps({"generated": "2026-01-01T00:00:00+0000", "implementation": "solutions",
                                  "torch": "test-torch", "python": "3", "checks": verdicts}))
    proven = next(n for n in checks if n.startswith("checks/test_attention.py::"))  # made-up proofs of one check
    proofs = tmp / "check-proofs.json"
    proofs.write_text(json.dumps({"checks": {proven: {"fails_for": [PROVEN_BUG_FILE], "passes_with": ["pytorch"]}},
                                  "sources": {PROVEN_BUG_FILE: PROVEN_BUG, "pytorch": "PyTorch's own modules"}}))
    pages = sorted({f"questions/{q.id}.md" for q in (sample, not_run_in, passing)} | {"checks/test_attention.md"})
    key = digest(ROOT, SITE_SOURCES + ("tests/test_site.py",), report.read_bytes(), proofs.read_bytes())
    folder = _build(tmp / "site", key, {"QBANK_REPORT": str(report), "QBANK_PROOFS": str(proofs),
                                        "QBANK_PAGES": ",".join(pages)}, strict=False)
    return MadeUp(folder, built.questions, sample, failed_check, not_run, not_run_in, passing, proven)


# --- the build ------------------------------------------------------------------------------

def test_the_strict_build_has_one_page_per_question(built):
    for qid in built.questions:
        assert (built.dir / "questions" / qid / "index.html").is_file(), qid
    for page in ("index.html", "questions/index.html", "difficulty/index.html", "errata/index.html",
                 "coverage/index.html", "contract/index.html", "checks/index.html", "tags/index.html",
                 "topics/index.html"):
        assert (built.dir / page).is_file(), page


def test_a_failing_check_shows_as_failed_on_its_page_and_a_missing_one_as_not_run(made_up):
    page = made_up.html(f"questions/{made_up.sample.id}")
    claims = re.findall(r'<p class="qb-claim"><span class="qb-num">\d+</span> <span class="qb-badge qb-(\S+?)">'
                        r".*?</span>\s*(.*?)<br", page)
    assert len(claims) == len(made_up.sample.claims)
    for c, (outcome, text) in zip(made_up.sample.claims, claims):
        assert _probe(c.claim) in _text(text)
        assert outcome == ("failed" if c.check == made_up.failed_check else "passed" if c.check else "unprovable")
    assert FAIL_MESSAGE in page
    assert re.search(r'qb-badge qb-failed">1/\d+ checks failed', page)  # the page's summary says so too
    assert 'qb-not-run">not run</span>' in made_up.html(f"questions/{made_up.not_run_in.id}")
    assert "qb-failed" not in made_up.html(f"questions/{made_up.passing.id}")


def test_no_page_loads_anything_from_outside_the_site(built):
    external = re.compile(r"""<(?:script|link|img|iframe|source|audio|video)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//""",
                          re.IGNORECASE)
    for path in built.dir.rglob("*.html"):
        match = external.search(path.read_text(encoding="utf-8"))
        assert match is None, f"{path.relative_to(built.dir)}: {match.group(0)}"
    for path in built.dir.rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", path.read_text(encoding="utf-8")), path


def test_the_search_index_holds_questions_and_never_an_answer(built):
    """Finding 2: search previews showed the short answer and raw LaTeX. Each question page
    gives the index one entry (title, question, topic, difficulty, id, tags); no entry of any
    page holds an answer, a claim or an erratum's correction."""
    docs = json.loads((built.dir / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    texts = [_text(html.unescape(d["text"])) for d in docs]
    for q in built.questions.values():
        entries = [d for d in docs if d["location"].startswith(f"questions/{q.id}/")]
        assert len(entries) == 1, [e["location"] for e in entries]
        (entry,) = entries
        assert entry["title"] == q.short_title
        assert _text(q.question)[:60] in _text(html.unescape(entry["text"]))
        assert q.id in entry["text"] and set(entry["tags"]) == set(q.tags)
        assert "\\(" not in entry["text"] and "\\[" not in entry["text"]  # no raw TeX in a preview
        for probe in _secrets(q):
            assert not any(probe in t for t in texts), f"{q.id}: the index shows {probe!r}"
        for check in q.checks:  # a check's name reads as its claim
            name = check.split("::")[1]
            assert not any(name in t for t in texts), f"{q.id}: the index shows {name}"


def test_a_strict_build_stops_at_once_on_a_broken_question_with_qbank_validates_message(tmp_path):
    """Finding 24: a dangling check was published as "not run"; a YAML error took 44 s to see."""
    copy = tmp_path / "bank"
    copy.mkdir()
    for name in ("site", "questions"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", copy)
    for name in ("qbank", "checks", "solutions"):
        (copy / name).symlink_to(ROOT / name)
    a, b = sorted((copy / "questions").glob("*/*.yaml"))[:2]
    a.write_text(a.read_text(encoding="utf-8").replace("\ntags: [", "\ntags: [[", 1), encoding="utf-8")
    text = b.read_text(encoding="utf-8")
    check = re.search(r"check: (checks/\S+::test_\w+)", text).group(1)
    b.write_text(text.replace(check, check + "_is_free", 1), encoding="utf-8")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "out")],
                          cwd=copy, env=ENV, capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - start
    print(f"\nstrict build stopped after {seconds:.1f} s")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert re.search(rf"{re.escape(a.relative_to(copy).as_posix())}:\d+: \(yaml\): ", out), out
    assert f"no check {check}_is_free (no such test function in checks/)" in out, out
    assert not (tmp_path / "out" / "index.html").exists()  # nothing was published
    assert seconds < 30, f"the strict build took {seconds:.1f} s to report a broken question"


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


def _serve(folder: Path):
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def server(built):
    yield from _serve(built.dir)


@pytest.fixture(scope="module")
def made_up_server(made_up):
    yield from _serve(made_up.dir)


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


OPENED: set[str] = set()  # pages a browser test of this module has opened (and checked with `clean`)


@dataclass
class Visit:
    page: object
    base: str
    external: list[str]
    errors: list[str]

    def goto(self, path: str, base: str | None = None) -> None:
        """Open a page of the real site (or of the one served at `base`) and wait for its `load`
        event: by then its scripts have run (the math is rendered and the filter set up, both
        synchronously on Material's document$). Not "networkidle": that waits 500 ms more per
        page, with a core idle."""
        self.page.goto((base or self.base) + path, wait_until="load")
        if base is None:
            OPENED.add(path.split("?")[0])

    def clean(self) -> None:
        assert not self.errors and not self.external, (self.errors, self.external)

    def open(self, title: str):
        """Click a collapsed block open by the start of its title; returns the block."""
        block = self.page.locator("article details", has=self.page.locator(f"summary:text-matches('^{title}')"))
        block.first.locator("summary").first.click()
        block.first.wait_for(state="visible")
        return block.first


def _tab(browser, server, width: int, height: int):
    """One tab at a viewport size, shared by the tests of this module (each starts with a
    `goto`): a fresh browser context per test cost ~2 s of CPU more per page, since nothing it
    had parsed or compiled was kept."""
    context = browser.new_context(viewport={"width": width, "height": height}, service_workers="block")
    local = ("http://127.0.0.1:", "data:", "blob:")  # the site's server, or the made-up pages' one
    v = Visit(None, server, [], [])

    def record(url: str) -> bool:
        if url.startswith(local):
            return True
        if url not in v.external:
            v.external.append(url)
        return False

    # Only requests leaving the site are intercepted (and aborted): the pattern is matched in the
    # browser's driver, so the site's own ~13 requests a page do not each round-trip through Python.
    outside = re.compile("^(?!" + "|".join(re.escape(prefix) for prefix in local) + ")")
    context.route(outside, lambda r: (record(r.request.url), r.abort()))
    context.on("request", lambda req: record(req.url))  # every request is seen, intercepted or not
    v.page = context.new_page()
    v.page.set_default_timeout(15_000)
    v.page.on("pageerror", lambda e: v.errors.append(str(e)))
    yield v
    context.close()


@pytest.fixture(scope="module")
def _desktop(browser, server):
    yield from _tab(browser, server, 1280, 900)


@pytest.fixture(scope="module")
def _phone(browser, server):
    yield from _tab(browser, server, 390, 844)


@pytest.fixture
def visit(_desktop):
    _desktop.external.clear()
    _desktop.errors.clear()
    return _desktop


@pytest.fixture
def phone(_phone):
    _phone.external.clear()
    _phone.errors.clear()
    return _phone


@pytest.mark.browser
def test_nothing_that_gives_the_answer_away_shows_before_it_is_revealed(built, visit):
    """Findings 3 and 2: claims, solution and errata were open under the collapsed answers."""
    q = built.sample
    visit.goto(f"/questions/{q.id}/")
    page = visit.page
    article = page.locator("article")
    assert page.locator("article details[open]").count() == 0
    shown = article.inner_text()  # only what is rendered visibly
    assert _text(q.question)[:40] in _text(shown)
    for probe in _secrets(q):
        assert probe not in _text(shown), f"{probe!r} shows before any reveal"
    assert not page.locator("article .highlight").first.is_visible()  # the reference solution's code
    short = visit.open("Short answer")
    assert _probe(q.answer.short) in _text(short.inner_text())  # try first, then reveal
    details = page.locator("details:has(summary:text('Detailed answer'))")
    body = details.locator("p").first
    assert details.get_attribute("open") is None and not body.is_visible()
    details.locator("summary").click()
    body.wait_for(state="visible")
    visit.clean()


@pytest.mark.browser
def test_a_question_page_renders_its_math_with_no_raw_tex_left(built, visit):
    visit.goto(f"/questions/{built.sample.id}/")
    page = visit.page
    page.evaluate("document.querySelectorAll('article details').forEach(d => d.open = true)")
    assert page.locator(".arithmatex .katex").count() > 0  # KaTeX ran
    assert page.locator(".arithmatex:not(:has(.katex))").count() == 0  # and left nothing unrendered
    assert page.locator(".katex-error").count() == 0
    text = _strip_code(page)
    for raw in ("\\(", "\\[", "$$", "\\frac", "\\sqrt", "\\mathrm"):
        assert raw not in text, f"raw TeX {raw!r} left on the page"
    visit.clean()


@pytest.mark.browser
def test_a_failed_claim_keeps_its_report_and_does_not_swallow_the_claims_after_it(made_up, made_up_server, visit):
    """Finding 1: each failure nested every later claim one level deeper."""
    visit.goto(f"/questions/{made_up.sample.id}/", base=made_up_server)
    assert visit.page.locator("article .qb-badge.qb-failed").first.is_visible()  # the page's summary
    block = visit.open("Claims and their checks")
    claims = block.locator("p.qb-claim")
    assert claims.count() == len(made_up.sample.claims)
    lefts = {round(box["x"]) for box in (claims.nth(i).bounding_box() for i in range(claims.count()))}
    assert len(lefts) == 1, f"claims at different indents: {lefts}"  # a flat list
    failed = block.locator("p.qb-claim:has(.qb-failed)").first
    report = failed.locator("xpath=following-sibling::*[1]")
    assert report.evaluate("e => e.tagName") == "DETAILS" and "failure" in report.get_attribute("class")
    after = report.locator("xpath=following-sibling::*[1]")
    assert "qb-claim" in (after.get_attribute("class") or "") and after.is_visible()
    report.locator("summary").click()
    visit.page.get_by_text(FAIL_MESSAGE).wait_for(state="visible")
    visit.clean()


@pytest.mark.browser
def test_sources_read_as_document_titles_and_what_each_item_is_about(built, visit):
    """Finding 4: "000-4: document 000, line 18" meant nothing to a learner."""
    q = built.sample
    visit.goto(f"/questions/{q.id}/")
    index = seed_index()
    items = visit.page.locator("article h2#sources + p + ul > li")
    assert items.count() == len(q.sources)
    for item, li in zip(q.sources, items.all()):
        meta = index.items[item]
        text = _text(li.inner_text())
        assert index.documents[meta["document"]]["title"] in text and item in text
        assert _probe(meta["about"]) in text
    visit.clean()


def _search(visit, query: str):
    box = visit.page.locator("input.md-search__input")
    box.click()
    box.fill(query[:-1])  # the search runs on a key press: typing only the last letter searches once
    box.press(query[-1])
    results = visit.page.locator(".md-search-result__item")
    results.first.wait_for(state="attached")
    visit.page.wait_for_timeout(300)  # the list settles
    return results


@pytest.mark.browser
def test_search_finds_questions_and_its_previews_never_show_an_answer(built, visit):
    """Findings 2 and 6."""
    visit.goto("/")
    target = built.sample
    results = _search(visit, _rarest_word(target, built.questions.values()))
    assert results.locator(f"a[href*='questions/{target.id}/']").count() >= 1
    if "why-scale-by-sqrt-dk" in built.questions:  # the id is indexed: "sqrt" finds the √d_k question
        hrefs = _search(visit, "sqrt").locator("a").evaluate_all("links => links.map(a => a.href)")
        assert any("questions/why-scale-by-sqrt-dk/" in h for h in hrefs[:5]), hrefs
        # "scaling": the search has no stemmer (with lunr's, a typed word no longer matches its own stem),
        # so the question says "scaling" itself and is tagged with it; "loss scaling" may come first
        hrefs = _search(visit, "scaling").locator("a").evaluate_all("links => links.map(a => a.href)")
        assert any("questions/why-scale-by-sqrt-dk/" in h for h in hrefs[:3]), hrefs
    if "layer-norm" in built.questions:
        assert "questions/layer-norm/" in _search(visit, "layernorm").first.locator("a").first.get_attribute("href")
    for query in ("kv cache", "softmax", "attention"):
        results = _search(visit, query)
        shown = _text(visit.page.locator(".md-search-result").inner_text())
        assert "\\(" not in shown and "\\[" not in shown, f"raw TeX in the previews for {query!r}"
        for q in built.questions.values():
            for probe in _secrets(q):
                assert probe not in shown, f"searching {query!r} previews {probe!r}"
    visit.clean()


@pytest.mark.browser
def test_all_questions_filter_by_difficulty_and_topic(built, visit):
    """Finding 5: there was no way to browse by difficulty across topics."""
    hard = [q for q in built.questions.values() if q.difficulty == "hard"]
    visit.goto("/questions/?difficulty=hard")
    page = visit.page
    rows = page.locator(".qb-table tbody tr:visible")
    assert rows.count() == len(hard) > 0
    assert set(rows.locator("[data-difficulty]").all_inner_texts()) == {"hard"}
    assert page.locator(".qb-filter-count").inner_text() == f"{len(hard)} of {len(built.questions)} questions"
    topic = hard[0].topic
    page.select_option("select[data-filter=topic]", topic)
    expected = [q for q in hard if q.topic == topic]
    assert rows.count() == len(expected)
    assert "difficulty=hard" in page.url and f"topic={topic}" in page.url  # a filtered list can be linked to
    page.locator(".qb-filter button[type=reset]").click()
    page.wait_for_function(f"document.querySelectorAll('.qb-table tbody tr:not([hidden])').length == "
                           f"{len(built.questions)}")
    visit.goto("/difficulty/")  # the static index across topics
    for d in ("easy", "medium", "hard"):
        section = page.locator(f"h2#{d} + div.qb-table tbody tr")
        assert section.count() == sum(q.difficulty == d for q in built.questions.values())
    nav = page.locator(".md-nav__link").evaluate_all("links => links.map(a => a.textContent.trim())")
    assert built.sample.short_title in nav  # the sidebar lists short titles, not question sentences
    visit.clean()


@pytest.mark.browser
def test_at_phone_width_math_scrolls_visibly_without_clipping_and_lists_reflow(built, phone):
    """Finding 7: at 390 px a wide equation was clipped with no sign it scrolls; topic tables
    pushed their last column off the screen."""
    page = phone.page
    wide = 0
    for qid in [built.sample.id, *[q for q in ("kv-cache", "multi-head-attention") if q in built.questions]]:
        phone.goto(f"/questions/{qid}/")
        page.evaluate("document.querySelectorAll('article details').forEach(d => d.open = true)")
        page.wait_for_timeout(200)
        boxes = page.evaluate("""() => [...document.querySelectorAll('article div.arithmatex')].map(div => {
            const math = div.querySelector('.katex-display') || div.firstElementChild
            const d = div.getBoundingClientRect(), m = math.getBoundingClientRect()
            const first = (div.querySelector('.katex-html .base') || math).getBoundingClientRect()
            const style = getComputedStyle(div)
            return {dl: d.left, dr: d.right, ml: m.left, fl: first.left, sw: div.scrollWidth, cw: div.clientWidth,
                    overflow: style.overflowX, bg: style.backgroundImage, vw: window.innerWidth}
        })""")
        for b in boxes:
            assert b["dl"] >= -0.5 and b["dr"] <= b["vw"] + 0.5, f"{qid}: an equation box leaves the screen: {b}"
            assert b["fl"] >= b["dl"] - 0.5, f"{qid}: the first glyph of an equation is clipped: {b}"
            if b["sw"] > b["cw"] + 1:
                wide += 1
                assert b["overflow"] in ("auto", "scroll"), b
                assert "gradient" in b["bg"], f"{qid}: a wide equation shows no sign that it scrolls: {b}"
        ends = page.evaluate("""() => [...document.querySelectorAll('article div.arithmatex')]
            .filter(div => div.scrollWidth > div.clientWidth + 1)
            .map(div => { div.scrollLeft = div.scrollWidth; return div.scrollLeft + div.clientWidth >= div.scrollWidth - 1 })""")
        assert all(ends), f"{qid}: a wide equation cannot be scrolled to its end"
    assert wide > 0, "no equation was wider than the phone: the check above proved nothing"
    for path in ("/topics/attention/", "/questions/", "/difficulty/"):
        phone.goto(path)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390, f"{path} scrolls sideways"
        badge = page.locator(".qb-table .qb-badge").first
        box = badge.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, f"{path}: the checks column is cut off"
    phone.clean()


@pytest.mark.browser
def test_a_check_page_shows_the_bugs_the_check_fails_for_behind_a_click_and_what_it_passes_with(
        made_up, made_up_server, visit):
    """The proofs of a check (tests/proof_runs.py, here made up): collapsed until asked for."""
    file, name = made_up.proven.split("::")
    visit.goto(f"/{file.removesuffix('.py')}/", base=made_up_server)
    section = visit.page.locator(f"h2#{name}")
    assert section.count() == 1
    bugs = visit.page.locator("article details", has_text="Fails for 1 classic bug").first
    assert bugs.count() == 1 and not bugs.evaluate("d => d.open")
    assert not visit.page.get_by_text(PROVEN_BUG).is_visible()
    visit.open("Fails for 1 classic bug")
    assert visit.page.get_by_text(PROVEN_BUG).is_visible()
    assert PROVEN_BUG_FILE in bugs.inner_text()
    assert visit.page.get_by_text("Passes with PyTorch's own modules.").is_visible()
    # under its own check: the next check's heading comes after the block, the previous one before it
    assert section.evaluate("(h, d) => !!(h.compareDocumentPosition(d) & Node.DOCUMENT_POSITION_FOLLOWING)",
                            bugs.element_handle())
    visit.clean()


@pytest.mark.browser
def test_a_figure_loads(built, visit):
    with_figure = next((q for q in built.questions.values()
                        if "qb-figure" in built.html(f"questions/{q.id}")), None)
    assert with_figure is not None
    visit.goto(f"/questions/{with_figure.id}/")
    visit.open("Figures")
    img = visit.page.locator("img.qb-figure").first
    img.scroll_into_view_if_needed()
    visit.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    assert img.evaluate("img => img.naturalWidth") > 100
    visit.clean()


@pytest.mark.browser
def test_every_bank_page_loads_with_no_outside_request(built, visit):
    """Each page (that no test before this one opened and checked: loading it again would
    prove nothing new) loads with its article and without a script error or an outside request."""
    pages = ("/", "/questions/", "/difficulty/", "/topics/", "/errata/", "/coverage/", "/contract/", "/contract/attention/", "/checks/",
             "/tags/", "/checks/test_attention/", "/topics/attention/")
    for path in [p for p in pages if p not in OPENED]:
        visit.goto(path)
        assert visit.page.locator("article h1").count() == 1, path
    visit.page.wait_for_load_state("networkidle")
    visit.clean()


def _strip_code(page) -> str:
    """The article's text without code blocks (which may legitimately hold backslashes)."""
    return page.locator("article").evaluate(
        "a => { const c = a.cloneNode(true); c.querySelectorAll('pre, code, .katex').forEach(e => e.remove());"
        " return c.textContent; }")


def _text(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).split())


def _probe(secret: str) -> str:
    """The longest stretch of plain words of a text (no math, code or markup): what any page
    showing the text would show verbatim. Short texts are their own probe."""
    runs = re.findall(r"[A-Za-z][A-Za-z ,;']+[A-Za-z]", re.sub(r"\$[^$]*\$|`[^`]*`|\*\*|\S*_\S*|\S*√\S*", "|", secret))
    run = max(runs, key=len) if runs else secret
    return " ".join(run.split())[:60]


def _secrets(q: Question) -> list[str]:
    """Probes of what a question's reveal holds, long enough (>= 25 characters) to be its own."""
    texts = [q.answer.short, q.answer.detailed, *(c.claim for c in q.claims), *(e.correct for e in q.errata)]
    return [p for p in map(_probe, texts) if len(p) >= 25]


def _rarest_word(q: Question, questions) -> str:
    """A word of the question's own text that as few other questions as possible contain."""
    words = [w for w in re.findall(r"[A-Za-z]{6,}", q.question)]

    def spread(w: str) -> int:
        return sum(w.lower() in (o.question + o.answer.short + o.answer.detailed).lower() for o in questions)

    return min(words, key=lambda w: (spread(w), -len(w))).lower()

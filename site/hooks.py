"""MkDocs hook: the bank's pages, generated at build time from `questions/`.

All the content comes from the pure functions in `qbank.site.render`; this file only wires them
into MkDocs (nothing it generates is ever written into the repository):

- on_config: validate the bank with `qbank validate`'s own code (qbank.bank.validate, minus
  importing the solutions, which would load torch: pymdownx.snippets still fails the build on
  a missing snippet section), and in a strict build stop there, in a second or two, on the first
  problem; then read the verification report once, set the navigation, and point
  pymdownx.snippets at the repository root (absolute, so any working directory works).
- on_files: add every generated page (`File.generated`), the contract's starter files, and
  the figures, which a second process draws from `solutions/` meanwhile (`qbank.site.figures`),
  cached under `build/.cache/figures/` by a hash of their inputs.
- on_page_markdown: expand `<!-- qbank:NAME -->` shortcodes in the hand-written pages.
- on_env: wait for the figures (before MkDocs copies the static files).

`QBANK_PAGES=questions/kv-cache.md,checks/test_attention.md mkdocs serve` previews only those
generated pages (in seconds, with --no-strict: their links to the others dangle). A full build
writes `qbank-build.txt` into the site: the hash of everything it was built from
(qbank.site.digest), so a reader can tell whether a built site is still current.

The report is `build/verification.json` unless `$QBANK_REPORT` or `extra.qbank.report`
says otherwise; without one every check shows "not run". The proofs of the checks (the bugs
each fails for, the libraries each passes with) are `build/check-proofs.json` unless
`$QBANK_PROOFS` or `extra.qbank.proofs` says otherwise; without them the check pages leave
them out. An unreadable report or proofs file fails the build, naming it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # this checkout's qbank, even if the venv has another one installed
    sys.path.insert(0, str(ROOT))

from qbank.bank.validate import validate  # noqa: E402
from qbank.grading.verification import ReportError  # noqa: E402
from qbank.site.digest import STAMP, site_digest  # noqa: E402
from qbank.site import render  # noqa: E402
from qbank.site.figures import FIGURES  # noqa: E402
log = logging.getLogger("mkdocs.hooks.qbank")  # under "mkdocs": a warning fails a --strict build

_state: dict = {}
MAX_SHOWN = 20  # problems listed when a strict build stops


def on_config(config):
    extra = config.extra.get("qbank") or {}
    env_report = os.environ.get("QBANK_REPORT")
    report = Path(env_report).resolve() if env_report else ROOT / extra.get("report", "build/verification.json")
    checked = validate(ROOT, import_solutions=False)
    if checked.problems and config.strict:  # fail fast: nothing else is worth building
        shown = checked.problems[:MAX_SHOWN]
        more = len(checked.problems) - len(shown)
        raise PluginError(f"qbank validate: {len(checked.problems)} problem{'s' * (len(checked.problems) != 1)} "
                          "in the bank:\n" + "\n".join(f"  {p}" for p in shown)
                          + (f"\n  ... and {more} more (run `qbank validate`)" if more else ""))
    for problem in checked.problems:  # `mkdocs serve`: the valid questions still render
        log.warning("qbank: %s", problem)
    env_proofs = os.environ.get("QBANK_PROOFS")
    proofs = Path(env_proofs).resolve() if env_proofs else ROOT / extra.get("proofs", "build/check-proofs.json")
    try:
        site = render.collect(ROOT, report, checked.bank, reads=checked.reads, proofs=proofs)
    except ReportError as e:
        raise PluginError(str(e)) from e
    only = [p.strip() for p in os.environ.get("QBANK_PAGES", "").split(",") if p.strip()]
    config.nav = render.nav(site)
    config.mdx_configs.setdefault("pymdownx.snippets", {})["base_path"] = [str(ROOT)]
    _state.clear()
    _state["site"] = site
    _state["only"] = only
    # a full build stamps the site with what it was built from (qbank.site.digest)
    _state["digest"] = None if only else site_digest(ROOT, report, proofs)
    log.info("qbank: %d questions, report %s", len(site.questions),
             site.verification.path or "missing (every check 'not run')")
    return config


def on_files(files, config):
    site = _state["site"]
    pages = render.pages(site)
    if _state["only"]:  # QBANK_PAGES: a quick preview of these pages alone (their links to others dangle)
        unknown = sorted(set(_state["only"]) - set(pages))
        if unknown:
            raise PluginError(f"QBANK_PAGES names {', '.join(unknown)}: not a generated page "
                              f"(e.g. questions/kv-cache.md, checks/test_attention.md)")
        pages = {uri: pages[uri] for uri in _state["only"]}
    for uri, markdown in pages.items():
        files.append(File.generated(config, uri, content=markdown))
    for uri, text in render.starter_files().items():
        files.append(File.generated(config, uri, content=text))
    folder = _start_figures()
    for figure in FIGURES:
        files.append(File.generated(config, figure.path, abs_src_path=str(folder / f"{figure.name}.svg")))
    return files


def on_page_markdown(markdown, page, config, files):
    try:
        return render.expand_shortcodes(markdown, page.file.src_uri, _state["site"])
    except ValueError as e:
        raise PluginError(str(e)) from e


def on_env(env, config, files):
    _finish_figures()
    return env


def on_post_build(config):
    if _state.get("digest"):
        (Path(config.site_dir) / STAMP).write_text(_state["digest"] + "\n", encoding="utf-8")


def _figure_key() -> str:
    h = hashlib.sha256()
    for path in [ROOT / "qbank" / "site" / "figures.py", *sorted((ROOT / "solutions").glob("*.py"))]:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for dist in ("torch", "matplotlib"):
        try:
            h.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            pass
    return h.hexdigest()[:16]


def _start_figures() -> Path:
    """The folder the figures will be in; starts drawing them unless they are cached."""
    cache = ROOT / "build" / ".cache" / "figures"
    folder = cache / _figure_key()
    if all((folder / f"{f.name}.svg").is_file() for f in FIGURES):
        return folder
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="drawing-", dir=cache))
    proc = subprocess.Popen([sys.executable, "-m", "qbank.site.figures", str(tmp)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _state["figures"] = (proc, tmp, folder)
    return folder


def _finish_figures() -> None:
    job = _state.pop("figures", None)
    if job is None:
        return
    proc, tmp, folder = job
    _, err = proc.communicate()
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise PluginError(f"drawing the figures failed (python -m qbank.site.figures, exit {proc.returncode}):\n"
                          + "\n".join(err.strip().splitlines()[-15:]))
    if folder.exists():  # drawn by a concurrent build meanwhile: identical inputs, identical files
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.rename(folder)
    for old in folder.parent.iterdir():  # keep only the current set
        if old != folder and not old.name.startswith("drawing-"):
            shutil.rmtree(old, ignore_errors=True)

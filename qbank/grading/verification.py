"""The verification report: what the last real run of the checks said about each one.

`pytest checks --qbank-report build/verification.json` writes it (see `_Report` in
`checks/conftest.py`); the site and anything else that shows a verdict read it here.
A check the report does not mention has the outcome "not run", and so does every check
when there is no report at all: a verdict is only ever shown if a run produced it.
Nothing here imports torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

DEFAULT_REPORT = Path("build") / "verification.json"
OUTCOMES = ("passed", "failed", "skipped", "not run")


class ReportError(Exception):
    """The report exists but cannot be read: a broken report must not pass for a missing one."""


@dataclass(frozen=True)
class Verdict:
    outcome: str  # one of OUTCOMES
    duration: float | None = None  # seconds, summed over parametrized cases
    message: str = ""  # why it failed or was skipped
    inputs: tuple[tuple[str, str], ...] = ()  # for a failure: each input by name (Hypothesis's smallest)
    where: str = ""  # for a failure: file:line the exception was raised at
    compare: dict | None = None  # a failed assert_close: {'summary', 'got', 'expected'} (see qbank.grading.failure)
    reproduce: str = ""  # Hypothesis's @reproduce_failure(...) decorator for this failure
    case: str = ""  # the failing case of a parametrized check ('[3-5-4-2]')
    notes: tuple[str, ...] = ()  # other notes the failure carried
    in_impl: str = ""  # file:line of the innermost frame in the implementation under test, if any

    @property
    def example(self) -> str:
        """The failing input, one `name = value` per line."""
        return "\n".join(f"{name} = {value}" for name, value in self.inputs)


NOT_RUN = Verdict("not run")


@dataclass(frozen=True)
class Verification:
    checks: dict[str, Verdict] = field(default_factory=dict)  # 'checks/test_x.py::test_y' -> verdict
    path: str | None = None  # where the report was read from; None if there was none
    generated: str | None = None  # ISO time of the run
    torch: str | None = None
    python: str | None = None
    implementation: str | None = None  # what was graded ("solutions" for the bank itself)
    seed: str | None = None  # --hypothesis-seed of the run, if one was given
    error: str | None = None  # why the run stopped before any check ran (the implementation did not load)

    @property
    def ran(self) -> bool:
        return self.path is not None

    def verdict(self, check: str) -> Verdict:
        return self.checks.get(check, NOT_RUN)

    def generated_at(self) -> datetime | None:
        try:
            return datetime.fromisoformat(self.generated) if self.generated else None
        except ValueError:
            return None


def load_verification(path: Path) -> Verification:
    """The report at `path`, or an empty `Verification` (every check "not run") if there is none."""
    if not path.is_file():
        return Verification()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        checks = {node: _verdict(entry) for node, entry in data["checks"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise ReportError(f"{path}: not a verification report ({type(e).__name__}: {e}); "
                          f"delete it or regenerate it with `pytest checks --qbank-report {path}`") from e
    for node, verdict in checks.items():
        if verdict.outcome not in OUTCOMES[:3]:
            raise ReportError(f"{path}: check {node} has outcome {verdict.outcome!r}, "
                              f"expected one of {', '.join(OUTCOMES[:3])}")
    return Verification(checks, str(path), data.get("generated"), data.get("torch"),
                        data.get("python"), data.get("implementation"), data.get("seed"), data.get("error"))


def _verdict(entry: dict) -> Verdict:
    inputs = tuple((str(name), str(value)) for name, value in entry.get("inputs") or ())
    if not inputs and entry.get("example"):  # a report written before inputs were split out
        inputs = (("example", entry["example"]),)
    compare = entry.get("compare")
    return Verdict(entry["outcome"], entry.get("duration"), entry.get("message") or "", inputs,
                   entry.get("where") or "", compare if isinstance(compare, dict) else None,
                   entry.get("reproduce") or "", entry.get("case") or "", tuple(entry.get("notes") or ()),
                   entry.get("in_impl") or "")


# -- reusing the verdicts of a whole run ------------------------------------------------------

CI_PROFILES = ("fast", "thorough", "grade")  # each has a derandomized "-ci" twin (checks/conftest.py)


def profile_name(option: str | None, environ) -> str:
    """The Hypothesis profile a run of the checks loads: --hypothesis-profile, else
    $HYPOTHESIS_PROFILE, else "fast"; its derandomized "-ci" twin when $CI is set."""
    profile = option or environ.get("HYPOTHESIS_PROFILE", "fast")
    return f"{profile}-ci" if environ.get("CI") and profile in CI_PROFILES else profile


@dataclass(frozen=True)
class Reuse:
    """Whether the verdicts of a report can stand for running checks/ again, and why (not)."""
    ok: bool
    why: str
    passed: int = 0


def reusable(path: Path, root: Path, profile: str, markexpr: str = "") -> Reuse:
    """Whether the run that wrote the report at `path` proves what running every check of `root`'s
    checks/ against solutions/ would prove now: it ran all of them (no -k; no -m, or this session's
    -m), with the Hypothesis profile `profile`, on the very files, packages and Python a run would
    read now (`check_run_digest`), importing nothing of the repository beyond them, and every item
    passed. $QBANK_TEST_CACHE=0 says no."""
    from qbank.site.digest import check_run_digest, reuse_enabled

    if not reuse_enabled():
        return Reuse(False, "QBANK_TEST_CACHE=0")
    try:
        run = json.loads(path.read_text(encoding="utf-8")).get("run")
    except (OSError, ValueError, AttributeError):
        return Reuse(False, f"no readable report at {path}")
    if not isinstance(run, dict):
        return Reuse(False, f"{path} is not from a run of the whole bank (`make verify`)")
    items = run.get("items") or {}
    refusals = [  # the first that applies is the reason; the hash, the dearest, comes last
        (lambda: run.get("exitstatus") != 0, f"its run ended with exit status {run.get('exitstatus')}"),
        (lambda: items.get("failed") or items.get("error") or not items.get("passed"), "not every check passed in it"),
        (lambda: run.get("profile") != profile,
         f"its run used the Hypothesis profile {run.get('profile')!r}, this one {profile!r}"),
        (lambda: run.get("keyword"), "its run was filtered with -k"),
        (lambda: run.get("markexpr") not in ("", markexpr), f"its run was filtered with -m {run.get('markexpr')!r}"),
        (lambda: run.get("undeclared"),
         f"its run imported {', '.join(run.get('undeclared') or ())}, which a change would not be seen in"),
        (lambda: run.get("inputs") != check_run_digest(root),
         "the checks, the solutions, the parts of qbank they read or the installed packages changed since"),
    ]
    why = next((reason for refused, reason in refusals if refused()), "")
    return Reuse(not why, why, items.get("passed", 0))


# -- the proofs of the checks themselves -------------------------------------------------------

DEFAULT_PROOFS = Path("build") / "check-proofs.json"


@dataclass(frozen=True)
class Proofs:
    """build/check-proofs.json (`python -m tests.proof_runs`, run by `make setup`'s main job):
    for each check, the classic bugs it fails for (tests/broken_impls/) and the libraries and
    code bases it passes with. Empty when the proofs were not run."""

    checks: dict[str, dict] = field(default_factory=dict)  # node -> {'fails_for': [file], 'passes_with': [name]}
    sources: dict[str, str] = field(default_factory=dict)  # a broken file or a library's name -> what it is
    path: str | None = None
    generated: str | None = None
    inputs: str | None = None  # qbank.site.digest.check_run_digest of what the runs read

    def fails_for(self, check: str) -> list[tuple[str, str]]:
        """(file, its bug in one sentence) for each broken implementation the check fails."""
        return [(f, self.sources.get(f, "")) for f in self.checks.get(check, {}).get("fails_for", [])]

    def passes_with(self, check: str) -> list[str]:
        """What each library or code base the check passes with is."""
        return [self.sources.get(n, n) for n in self.checks.get(check, {}).get("passes_with", [])]


def load_proofs(path: Path) -> Proofs:
    """The proofs at `path`, or empty ones if there are none."""
    if not path.is_file():
        return Proofs()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        checks = {str(node): {"fails_for": [str(f) for f in entry.get("fails_for", [])],
                              "passes_with": [str(n) for n in entry.get("passes_with", [])]}
                  for node, entry in data["checks"].items()}
        sources = {str(k): str(v) for k, v in data.get("sources", {}).items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise ReportError(f"{path}: not a proofs file ({type(e).__name__}: {e}); "
                          f"delete it or regenerate it with `make proofs`") from e
    return Proofs(checks, sources, str(path), data.get("generated"), data.get("inputs"))

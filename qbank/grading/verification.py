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
    example: str = ""  # for a failure: Hypothesis's smallest failing input
    where: str = ""  # for a failure: file:line the exception was raised at


NOT_RUN = Verdict("not run")


@dataclass(frozen=True)
class Verification:
    checks: dict[str, Verdict] = field(default_factory=dict)  # 'checks/test_x.py::test_y' -> verdict
    path: str | None = None  # where the report was read from; None if there was none
    generated: str | None = None  # ISO time of the run
    torch: str | None = None
    python: str | None = None
    implementation: str | None = None  # what was graded ("solutions" for the bank itself)

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
        checks = {
            node: Verdict(entry["outcome"], entry.get("duration"), entry.get("message") or "",
                          entry.get("example") or "", entry.get("where") or "")
            for node, entry in data["checks"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise ReportError(f"{path}: not a verification report ({type(e).__name__}: {e}); "
                          f"delete it or regenerate it with `pytest checks --qbank-report {path}`") from e
    for node, verdict in checks.items():
        if verdict.outcome not in OUTCOMES[:3]:
            raise ReportError(f"{path}: check {node} has outcome {verdict.outcome!r}, "
                              f"expected one of {', '.join(OUTCOMES[:3])}")
    return Verification(checks, str(path), data.get("generated"), data.get("torch"),
                        data.get("python"), data.get("implementation"))

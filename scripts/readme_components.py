"""The README's list of components, generated from the contract (qbank/contract/__init__.py).

    python scripts/readme_components.py          # rewrite the marked block of README.md
    python scripts/readme_components.py --check  # exit 1 if the block is out of date

The block sits between the two marker lines below; tests/test_cli_grading.py fails when it
differs from what the contract gives, so a component added to the contract must be added
here by running this script. Nothing here imports torch.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START = "<!-- components: generated from the contract by scripts/readme_components.py; do not edit -->"
END = "<!-- end of components -->"


def block() -> str:
    """The generated lines, markers included."""
    sys.path.insert(0, str(ROOT))
    from qbank.contract import COMPONENTS

    lines = [START, "", "| component | what you implement | names |", "|---|---|---|"]
    for c in COMPONENTS.values():
        names = ", ".join(f"`{n.name}`" for n in c.names)
        lines.append(f"| `{c.name}` | {c.title} | {names} |")
    return "\n".join([*lines, "", END])


def current(text: str) -> str | None:
    """The block as README.md has it, or None if its markers are missing."""
    if START not in text or END not in text:
        return None
    start = text.index(START)
    return text[start:text.index(END, start) + len(END)]


def main() -> int:
    text = README.read_text(encoding="utf-8")
    found = current(text)
    if found is None:
        print(f"README.md has no component block (a line {START!r} ... {END!r})", file=sys.stderr)
        return 1
    wanted = block()
    if "--check" in sys.argv[1:]:
        if found != wanted:
            print("README.md's component list is out of date: run python scripts/readme_components.py",
                  file=sys.stderr)
            return 1
        return 0
    README.write_text(text.replace(found, wanted), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

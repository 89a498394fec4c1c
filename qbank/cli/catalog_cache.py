"""Remember the questions already read, so that list, show, stats and the quiz start at once.

Reading the ~50 question files costs ~1-2 ms each even with libyaml (most of it building the
Python objects), plus ~20 ms to import PyYAML: a third of the start-up budget of `qbank
list`. This keeps each file's `Entry` in one `marshal` file in the user's cache folder
(`~/.cache/qbank/` on Linux; `$QBANK_CACHE` elsewhere), keyed by the file's path, size and
modification time and by the code that parsed it; a file that changed (or that fails to
parse, so its warning is shown every time) is read again with `qbank.bank.catalog.parse`.
Like `__pycache__`, the cache only ever holds what parsing the files would give: delete it
at will; if it cannot be read or written, every file is simply parsed.
"""

from __future__ import annotations

import marshal
import os
import sys
import zlib
from dataclasses import fields
from pathlib import Path

from qbank.bank import catalog
from qbank.progress.store import cache_folder

CACHE_VERSION = 3
ENTRY = tuple(f.name for f in fields(catalog.Entry))
CLAIM = tuple(f.name for f in fields(catalog.Claim))
ERRATUM = tuple(f.name for f in fields(catalog.Erratum))


def cache_file(root: Path) -> Path:
    key = f"{zlib.crc32(str(root.resolve()).encode()):08x}"
    return cache_folder() / f"catalog-{key}.marshal"


def pack(e: catalog.Entry) -> tuple:
    """An Entry as plain values (marshal stores nothing else; it loads ~10x faster than pickle)."""
    values = {name: getattr(e, name) for name in ENTRY}
    values["claims"] = tuple(tuple(getattr(c, n) for n in CLAIM) for c in e.claims)
    values["errata"] = tuple(tuple(getattr(x, n) for n in ERRATUM) for x in e.errata)
    values["path"] = str(e.path) if e.path is not None else None
    return tuple(values[name] for name in ENTRY)


def unpack(t: tuple) -> catalog.Entry:
    values = dict(zip(ENTRY, t))
    values["claims"] = tuple(catalog.Claim(*c) for c in values["claims"])
    values["errata"] = tuple(catalog.Erratum(*x) for x in values["errata"])
    values["path"] = Path(values["path"]) if values["path"] is not None else None
    return catalog.Entry(**values)


def _code_stamp() -> tuple:
    """What parsing depends on besides the file: the parser's own source and Python."""
    here = Path(catalog.__file__).stat()
    return CACHE_VERSION, tuple(sys.version_info[:2]), here.st_mtime_ns, here.st_size, ENTRY, CLAIM, ERRATUM


class Remembered:
    """A `parse_file` for `load_catalog` that answers from the cache when the file is unchanged;
    and the seed index, remembered the same way."""

    def __init__(self, root: Path):
        self.path = cache_file(root)
        self.stamp = _code_stamp()
        self.known: dict[str, tuple[int, int, tuple]] = {}  # path -> (mtime_ns, size, packed Entry)
        self.seen: dict[str, tuple[int, int, tuple]] = {}
        self.seeds: tuple | None = None  # (mtime_ns, size, the seed index's data)
        self.saved_seeds: tuple | None = None
        try:
            with open(self.path, "rb") as f:
                stamp, known, seeds = marshal.load(f)
            if stamp == self.stamp and isinstance(known, dict):
                self.known, self.seeds, self.saved_seeds = known, seeds, seeds
        except Exception:  # missing, unreadable, damaged or from another version: parse everything
            pass

    def __call__(self, path: Path) -> catalog.Entry:
        st = path.stat()
        key = str(path)
        hit = self.known.get(key)
        if hit is not None and hit[:2] == (st.st_mtime_ns, st.st_size):
            try:
                entry = unpack(hit[2])
            except Exception:  # a damaged cache entry: read the file
                pass
            else:
                self.seen[key] = hit
                return entry
        entry = catalog.parse(path)
        self.seen[key] = (st.st_mtime_ns, st.st_size, pack(entry))
        return entry

    def seed_index(self):
        from qbank.bank.seeds import SEED_INDEX, SeedIndex, read_seed_data

        st = SEED_INDEX.stat()
        if self.seeds is not None and tuple(self.seeds[:2]) == (st.st_mtime_ns, st.st_size):
            try:
                return SeedIndex.from_data(self.seeds[2])
            except Exception:
                pass
        data = read_seed_data()
        self.seeds = (st.st_mtime_ns, st.st_size, data)
        return SeedIndex.from_data(data)

    def save(self) -> None:
        """Write the cache if it changed (atomically; silently not at all if it cannot)."""
        if self.seen == self.known and self.seeds == self.saved_seeds:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                marshal.dump((self.stamp, self.seen or self.known, self.seeds), f)
            os.replace(tmp, self.path)
            self.known, self.saved_seeds = dict(self.seen or self.known), self.seeds
        except (OSError, ValueError):
            pass


_remembered: dict[Path, Remembered] = {}


def _for(root: Path) -> Remembered:
    if root not in _remembered:
        _remembered[root] = Remembered(root)
    return _remembered[root]


def load_catalog(root: Path | None = None) -> catalog.Catalog:
    """`qbank.bank.catalog.load_catalog`, remembering the files it has read."""
    from qbank.bank.loader import find_root

    root = root or find_root()
    remembered = _for(root)
    remembered.seen = {}
    result = catalog.load_catalog(root, parse_file=remembered)
    remembered.save()
    return result


def seed_index(root: Path):
    """`qbank.bank.seeds.seed_index()`, remembered beside the catalog of `root`."""
    remembered = _for(root)
    index = remembered.seed_index()
    remembered.save()
    return index


# -- what each check reads ------------------------------------------------------------------
# `qbank verify` and `qbank grade` pick their checks by the contract names each reads, found
# by walking the syntax trees of the ~40 check files (~0.4 s). Each file's functions are
# remembered the same way as the questions: keyed by path, size and modification time, and by
# the code that reads them and the contract's names.


def _functions_stamp() -> tuple:
    from qbank.bank import checks
    from qbank.contract import NAMES

    here = Path(checks.__file__).stat()
    return CACHE_VERSION, tuple(sys.version_info[:2]), here.st_mtime_ns, here.st_size, tuple(sorted(NAMES))


class RememberedFunctions:
    """A `functions_of` for `qbank.bank.checks.check_functions` that answers from the cache
    when the check file is unchanged."""

    def __init__(self, root: Path):
        self.path = cache_file(root).with_name(cache_file(root).name.replace("catalog-", "checks-"))
        self.stamp = _functions_stamp()
        self.known: dict[str, tuple] = {}
        self.seen: dict[str, tuple] = {}
        try:
            with open(self.path, "rb") as f:
                stamp, known = marshal.load(f)
            if stamp == self.stamp and isinstance(known, dict):
                self.known = known
        except Exception:  # missing, unreadable, damaged or from another version: read every file
            pass

    def __call__(self, path: Path) -> dict[str, tuple[set[str], set[str]]]:
        from qbank.bank.checks import file_functions

        key = str(path)
        try:
            st = path.stat()
        except OSError:
            return file_functions(path)
        hit = self.known.get(key)
        if hit is not None and tuple(hit[:2]) == (st.st_mtime_ns, st.st_size):
            try:
                found = {name: (set(reads), set(mentions)) for name, (reads, mentions) in hit[2].items()}
            except Exception:  # a damaged entry: read the file
                pass
            else:
                self.seen[key] = hit
                return found
        found = file_functions(path)
        self.seen[key] = (st.st_mtime_ns, st.st_size,
                          {name: (tuple(sorted(r)), tuple(sorted(m))) for name, (r, m) in found.items()})
        return found

    def save(self) -> None:
        if self.seen == self.known:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                marshal.dump((self.stamp, self.seen), f)
            os.replace(tmp, self.path)
            self.known = dict(self.seen)
        except (OSError, ValueError):
            pass


def check_reads(root: Path) -> dict[str, set[str]]:
    """`qbank.bank.checks.check_functions(root)`, remembering what each check file holds."""
    from qbank.bank.checks import check_functions

    remembered = RememberedFunctions(root)
    reads = check_functions(root, remembered)
    remembered.save()
    return reads

"""A warm process the check runs of `qbank grade` and `verify` are forked from.

Every check run imports torch, numpy, pytest and Hypothesis before it runs anything: ~2.5-3 s
on a 2-core machine, more than the checks of one component take. So the first run starts a
WORKER in the background, which imports them once and waits on a Unix socket; each run is then
forked from it. A forked run is still a process of its own, exactly the pytest command the
CLI shows: its own pytest session, conftest, check modules and the learner's file (all
imported afresh: the worker holds none of them, nor any of qbank's modules), its own working
folder, environment, output file and exit code. Only the libraries' imports are shared.

    python -m qbank.grading.worker SOCKET     # what `start` runs: forks, serves in the background

The protocol, one connection per run: the CLI sends one JSON line {"args", "cwd", "env", "out"};
the worker forks and answers "pid N" at once, then "exit CODE" when the run ends (a negative
CODE: killed by that signal, as with subprocess). The socket lives in a folder only its user
can open (0700), named after what the worker imported (the Python environment, where the four
libraries are and when they were installed, qbank's own folder, $PYTHONPATH and the thread
counts the libraries read as they load), so an upgraded install gets a new worker. A worker
quits after IDLE seconds without a run, or when its socket file is gone; a lock file holding
its pid makes sure one worker serves a socket.

No worker is used with `CI` set or `QBANK_WORKER=0` (each run is then a plain subprocess, as
it is where fork or Unix sockets do not exist); and any failure to start or reach one falls
back to the plain subprocess, so a worker can make a run faster but never stop it.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no worker
    fcntl = None

PRELOAD = ("torch", "numpy", "pytest", "hypothesis")
IDLE = 15 * 60  # seconds without a run before a worker quits
START_TIMEOUT = 60.0  # seconds to wait for a new worker's imports
# read when the libraries load (the threads of OpenMP and MKL), so fixed for a worker's life
KEYED_ENVIRONMENT = ("PYTHONPATH", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
MAX_SOCKET_PATH = 100  # AF_UNIX paths are limited to ~104-108 bytes


def enabled(env: dict[str, str] | os._Environ = os.environ) -> bool:
    """Whether check runs go through a worker: not with `CI` set (a fresh machine gains nothing
    and keeps no background process), `QBANK_WORKER=0`, or where there is no fork."""
    if env.get("CI") or env.get("QBANK_WORKER", "1").strip().lower() in ("0", "no", "off", "false"):
        return False
    return fcntl is not None and hasattr(os, "fork") and hasattr(socket, "AF_UNIX")


def socket_path(cache: Path) -> Path:
    """The socket of the worker for this Python and these libraries, in `cache`/worker (or a
    private folder under the system's temporary one when that path would be too long)."""
    from importlib.util import find_spec

    key = [sys.prefix, sys.version, str(Path(__file__).parents[1]),
           *(f"{v}={os.environ.get(v, '')}" for v in KEYED_ENVIRONMENT)]
    for name in PRELOAD:  # where each library is, and when it was installed there
        spec = find_spec(name)
        origin = spec.origin if spec is not None and spec.origin else f"{name} missing"
        key.append(f"{origin} {os.stat(origin).st_mtime_ns if os.path.exists(origin) else ''}")
    name = "worker-" + hashlib.sha256("\n".join(key).encode()).hexdigest()[:16] + ".sock"
    folder = cache / "worker"
    if len(str(folder / name)) > MAX_SOCKET_PATH:
        folder = Path(tempfile.gettempdir()) / f"qbank-{os.getuid()}"
    return folder / name


def _lock(path: Path) -> Path:
    return Path(str(path) + ".lock")


def _alive(path: Path) -> bool:
    """Whether a worker holds the lock of `path` (it is serving it, or importing to)."""
    try:
        fd = os.open(_lock(path), os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # releases a lock this call took
    return False


def running(cache: Path) -> bool:
    """Whether a worker serves this Python and these libraries now."""
    path = socket_path(cache)
    return path.exists() and _alive(path)


def _pid(path: Path) -> int | None:
    """The process of the worker that serves (or is starting to serve) `path`, if any."""
    try:
        return int(_lock(path).read_text()) if _alive(path) else None
    except (OSError, ValueError):
        return None


def pid(cache: Path) -> int | None:
    """The process of the worker for this Python and these libraries, if any."""
    return _pid(socket_path(cache))


def pids(cache: Path) -> list[int]:
    """The processes of every worker whose socket is in `cache` (serving or starting)."""
    found = (_pid(Path(str(lock)[:-len(".lock")])) for lock in (cache / "worker").glob("*.lock"))
    return [p for p in found if p is not None]


def stop(cache: Path, timeout: float = 5.0) -> None:
    """End the workers of `cache` (SIGTERM: each removes its socket) and wait until they are gone."""
    for pid in pids(cache):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.01)


def prestart(cache: Path) -> None:
    """Start a worker if none serves or is starting: its imports then overlap the CLI's own work."""
    if enabled():
        try:
            path = socket_path(cache)
            if not _alive(path):
                _spawn(path)
        except (OSError, subprocess.SubprocessError):
            pass


def _private_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if folder.stat().st_uid != os.getuid():
        raise OSError(f"{folder} belongs to another user")
    os.chmod(folder, 0o700)


# -- the CLI's side -------------------------------------------------------------------------


class WorkerRun:
    """A run forked by the worker, with the part of subprocess.Popen's interface the CLI uses:
    poll(), wait(timeout), kill() and returncode."""

    def __init__(self, conn: socket.socket):
        self._conn, self._buffer = conn, b""
        self.pid: int | None = None
        self.returncode: int | None = None
        line = self._line(START_TIMEOUT)
        if line is None or not line.startswith("pid "):
            conn.close()
            raise OSError(f"the worker did not start the run ({line!r})")
        self.pid = int(line.split()[1])

    def _line(self, timeout: float | None) -> str | None:
        """The next line from the worker; None if none came within `timeout` (or the connection
        closed, which leaves returncode set)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self._conn], [], [], left)[0]:
                return None
            chunk = self._conn.recv(4096)
            if not chunk:
                if self.returncode is None:
                    self.returncode = -int(signal.SIGKILL)  # the worker itself went away
                    self._conn.close()
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()

    def _read_exit(self, timeout: float | None) -> None:
        """Take the run's "exit CODE" line if it comes within `timeout` seconds."""
        if self.returncode is None:
            line = self._line(timeout)
            if line is not None and line.startswith("exit "):
                self.returncode = int(line.split()[1])
                self._conn.close()

    def poll(self) -> int | None:
        self._read_exit(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self._read_exit(timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired("qbank worker run", timeout)
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None and self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _connect(path: Path) -> socket.socket | None:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        return None
    return conn


def _spawn(path: Path) -> None:
    _private_folder(path.parent)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    # It forks at once and its parent exits (waited for here): the worker is nobody's child, and
    # in a session of its own, so the terminal's Ctrl-C that ends a CLI does not end it.
    subprocess.run([sys.executable, "-m", "qbank.grading.worker", str(path)], cwd="/", env=env,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   start_new_session=True, timeout=30)


def start(path: Path) -> socket.socket | None:
    """Connect to the worker at `path`, starting one (detached) if none is serving or starting;
    None if it cannot be reached within START_TIMEOUT seconds."""
    conn = _connect(path)
    if conn is not None:
        return conn
    if not _alive(path):
        _spawn(path)
    started = time.monotonic()
    while time.monotonic() - started < START_TIMEOUT:
        time.sleep(0.02)
        conn = _connect(path)
        if conn is not None:
            return conn
        if time.monotonic() - started > 2 and not _alive(path):
            return None  # the worker died while starting (its imports failed)
    return None


def launch(args: list[str], cwd: Path, env: dict[str, str], out: Path, cache: Path) -> WorkerRun | None:
    """Fork `python -m pytest ARGS` (in `cwd`, with `env`, output to `out`) from the worker;
    None when no worker can be used (the caller then runs a plain subprocess)."""
    try:
        path = socket_path(cache)
        conn = start(path)
        if conn is None:
            return None
        request = {"args": list(args), "cwd": str(cwd), "env": dict(env), "out": str(out)}
        conn.sendall(json.dumps(request).encode() + b"\n")
        return WorkerRun(conn)
    except (OSError, subprocess.SubprocessError):
        return None


# -- the worker's side ----------------------------------------------------------------------


def _child(request: dict, inherited: list[int]) -> None:
    """In the forked process: become `python -m pytest ARGS` run in the request's folder
    (`inherited`: the worker's descriptors, closed first)."""
    try:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        for fd in inherited:
            os.close(fd)
        os.setsid()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        target = os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, 1)
        os.dup2(target, 2)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.dont_write_bytecode = bool(request["env"].get("PYTHONDONTWRITEBYTECODE"))
        sys.path[0] = request["cwd"]  # as `python -m` puts its working folder first
        for name in [m for m in sys.modules if m == "qbank" or m.startswith("qbank.")]:
            del sys.modules[name]  # the bank's own code is imported afresh, from the run's folder
        sys.argv = ["pytest", *request["args"]]
        # Hypothesis fixed its default database folder (./.hypothesis) when the worker imported it
        setattr(sys.modules["hypothesis.configuration"], "__hypothesis_home_directory_default",
                Path(request["cwd"]) / ".hypothesis")
        import pytest

        code = pytest.main(request["args"])
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 3
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(code))


def serve(path: Path) -> None:
    """Import the libraries, then fork one run per connection until IDLE seconds pass without
    one or the socket file is removed."""
    lock = os.open(_lock(path), os.O_RDWR | os.O_CREAT, 0o600)
    for _ in range(5):  # a CLI may be holding it for an instant, to see whether it is free
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            time.sleep(0.02)
    else:
        return  # another worker serves (or is starting to serve) this socket
    os.ftruncate(lock, 0)
    os.write(lock, f"{os.getpid()}\n".encode())
    for name in PRELOAD:
        __import__(name)
    import gc

    gc.freeze()  # the runs' collections skip (and so do not copy) the libraries' objects (no collect
    # first: it would cost the first run ~90 ms to free a little memory)
    path.unlink(missing_ok=True)  # a worker killed before it could remove its socket
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(8)
    bound = os.stat(path).st_ino  # the socket file this worker made (a later worker may replace it)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a run ended: wakes the select below
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    runs: dict[int, socket.socket] = {}
    last = time.monotonic()
    try:
        while runs or time.monotonic() - last < IDLE:
            ready = select.select([listener, wake_r], [], [], 5.0)[0]
            if wake_r in ready:
                os.read(wake_r, 4096)
            _reap(runs)
            if runs:
                last = time.monotonic()
            if not path.exists():
                break
            if listener in ready:
                conn, _ = listener.accept()
                last = time.monotonic()
                _fork(conn, runs, [listener.fileno(), wake_r, wake_w, lock])
    finally:
        if path.exists() and os.stat(path).st_ino == bound:
            path.unlink(missing_ok=True)
        for pid in runs:
            os.kill(pid, signal.SIGKILL)


def _fork(conn: socket.socket, runs: dict[int, socket.socket], own: list[int]) -> None:
    try:
        conn.settimeout(10)
        data = b""
        while not data.endswith(b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                raise OSError("the CLI closed the connection")
            data += chunk
        request = json.loads(data)
        conn.settimeout(None)
    except (OSError, ValueError):
        conn.close()
        return
    pid = os.fork()
    if pid == 0:
        _child(request, [conn.fileno(), *own, *(c.fileno() for c in runs.values())])
    runs[pid] = conn
    try:
        conn.sendall(f"pid {pid}\n".encode())
    except OSError:
        pass


def _reap(runs: dict[int, socket.socket]) -> None:
    for pid in list(runs):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            conn = runs.pop(pid)
            try:
                conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
            except OSError:
                pass
            conn.close()


if __name__ == "__main__":
    if os.fork() == 0:
        try:
            serve(Path(sys.argv[1]))
        finally:
            os._exit(0)  # not the interpreter's teardown of torch (~1 s)
    os._exit(0)

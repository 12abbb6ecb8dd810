"""How a command ends when it must end now: Ctrl-C in the terminal, or the sweep's main process killed.

* The main process (``interruptible``): SIGINT or SIGTERM ends it with one line and exit status 130, even while
  XLA runs a batch (Python's own handler would wait for the batch to finish, minutes or hours): the signal
  wakes a watcher thread (``signal.set_wakeup_fd``), which waits for a write in progress to finish, cleans up
  the job running in this process (its lock, the directory it created if it holds nothing) and exits.
* A worker process of a sweep (joblib/loky, submitit): ``guard_worker`` ignores SIGINT (the terminal sends it
  to the whole process group; the main process decides) and starts a watchdog thread that ends the worker,
  cleaning up the same way, as soon as its parent process is gone (``kill -9`` of the main process): an
  orphaned worker would finish its job and block a resume with "in use by a live run".

Nothing here writes results: a job interrupted before its results were renamed into place leaves none
(``bandits.core.results.WRITE_LOCK``: a directory's renames finish first).
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path

MAIN_PID = "BANDITS_BENCH_MAIN_PID"  # the command's main process, for its workers: pid@host
POLL_S = 0.2  # how often a worker looks at its parent
WRITE_WAIT_S = 60.0  # the longest a write in progress is waited for

# the job running in this process: {"out": Path, "lock": Path or None, "created": bool}
ACTIVE: dict = {}


def cleanup() -> None:
    """Let a write in progress finish, then remove what this process's unfinished job left: its lock, temporary
    files, and its output directory if this job created it and it holds nothing."""
    from bandits.core.results import PENDING, WRITE_LOCK

    WRITE_LOCK.acquire(timeout=WRITE_WAIT_S)  # held until the process ends: no write starts after this
    for tmp in list(PENDING):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    job = dict(ACTIVE)
    if job.get("lock") is not None:
        with contextlib.suppress(OSError):
            Path(job["lock"]).unlink()
    if job.get("created") and job.get("out") is not None:
        for d in (Path(job["out"]) / ".hydra", Path(job["out"])):
            with contextlib.suppress(OSError):
                d.rmdir()


def end_now(status: int, line: str | None = None) -> None:
    """Clean up, print ``line`` (one line), exit with ``status`` at once (whatever the other threads do)."""
    cleanup()
    if line:
        print(line, file=sys.stderr, flush=True)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    os._exit(status)


@contextlib.contextmanager
def interruptible(on_interrupt):
    """While inside: SIGINT / SIGTERM call ``on_interrupt(signum)`` from a watcher thread (it should end the
    process). Outside the main thread, or where signals cannot be set, it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    r, w = os.pipe()
    os.set_blocking(w, False)
    signals = (signal.SIGINT, signal.SIGTERM)
    old = {s: signal.signal(s, lambda signum, frame: None) for s in signals}  # the watcher decides, not Python
    old_fd = signal.set_wakeup_fd(w, warn_on_full_buffer=False)

    def watch():
        data = os.read(r, 1)
        if data:  # a signal (b"" once the block is left: the pipe closed)
            on_interrupt(data[0])

    watcher = threading.Thread(target=watch, name="bandits-interrupt", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(old_fd)
        for s, h in old.items():
            signal.signal(s, h)
        os.close(w)
        watcher.join(timeout=1.0)
        os.close(r)


def quiet_helpers() -> None:
    """loky's resource tracker (a helper process of the joblib launcher) warns, in several lines, about the
    semaphores it cleans up when the main process ended without closing them (Ctrl-C, kill -9): it still
    cleans them up; the warning is silenced for the processes this one starts."""
    quiet = "ignore::UserWarning:joblib.externals.loky.backend.resource_tracker"
    if quiet not in os.environ.get("PYTHONWARNINGS", ""):
        os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), quiet]))


_GUARDED = []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_main() -> None:
    """Tell the processes this one starts that it is the command's main process (``pid@host``)."""
    import socket

    os.environ[MAIN_PID] = f"{os.getpid()}@{socket.gethostname()}"


def guard_worker() -> None:
    """In a worker process of a sweep (not the command's main process), once: ignore SIGINT and end as soon as
    the parent process is gone (or, on the main process's host, the main process). A loky worker runs it when
    it starts (``use_guarded_loky``), any other launcher's when its first job starts."""
    import socket

    mark = os.environ.get(MAIN_PID, "")
    pid, _, host = mark.partition("@")
    if _GUARDED or not pid.isdigit() or (int(pid) == os.getpid() and host == socket.gethostname()):
        return
    _GUARDED.append(True)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent, local = os.getppid(), host == socket.gethostname()

    def gone():
        return os.getppid() != parent or (local and not _alive(int(pid)))

    if gone():  # orphaned before it started
        end_now(1)

    def watch():
        while not gone():
            time.sleep(POLL_S)
        end_now(1)

    threading.Thread(target=watch, name="bandits-orphan-guard", daemon=True).start()


def use_guarded_loky() -> None:
    """The joblib launcher runs its jobs on loky's workers (backend "loky", fixed by hydra-joblib-launcher):
    register, under that name, loky's backend with ``guard_worker`` as the workers' initializer, so that a worker
    ends with the main process even while idle. For this process only."""
    from joblib import parallel as jp
    from joblib._parallel_backends import LokyBackend  # (joblib's own module: its backends' classes)

    if getattr(jp.BACKENDS.get("loky"), "guarded", False):
        return

    class GuardedLokyBackend(LokyBackend):
        guarded = True

        def configure(self, *args, **kwargs):
            kwargs.setdefault("initializer", guard_worker)
            return super().configure(*args, **kwargs)

    jp.register_parallel_backend("loky", GuardedLokyBackend)

"""A kernel the grader can talk to, time and kill: the grader's side of the sandbox.

:class:`Sandbox` starts :mod:`privlearn.grading.kernel` in its own session and working
directory, with limits on memory and file size, and talks to it over a pair of pipes
that no other process holds. Every request has a deadline; a kernel that misses it, or
dies, raises :class:`KernelLost`. :meth:`Sandbox.close` stops the kernel and every
process below it: all are frozen with SIGSTOP first (so none can fork while they are
collected), then killed.

On Linux the kernel is a child subreaper, so processes its cells start stay below it
even after a double fork; :func:`become_subreaper` makes the grader one too, so a
process that escapes the kernel's tree (a cell can undo the kernel's subreaper flag)
lands below the grader, and :func:`sweep_orphans` kills it.

What this does not stop: code running as your user can still read your files and kill
your processes. Grade untrusted submissions in a throwaway container or account.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .._processes import LINUX as _LINUX
from .._processes import become_subreaper, descendants, kill_tree, parents
from ..exercises._core import AnswerUnreachable
from .kernel import _HEADER, MAX_MESSAGE, write_message

__all__ = ["KernelLost", "Sandbox", "become_subreaper", "children", "descendants", "kill_tree",
           "sweep_orphans"]

class KernelLost(AnswerUnreachable):
    """The kernel did not answer in time, or is gone."""

    def __init__(self, message: str, *, timed_out: bool) -> None:
        super().__init__(message)
        self.timed_out = timed_out


def children() -> set[int]:
    """This process's children (Linux; elsewhere empty)."""
    me = os.getpid()
    return {pid for pid, parent in parents().items() if parent == me} if _LINUX else set()


def sweep_orphans(keep: set[int]) -> int:
    """Kill this process's children except ``keep`` and the kernels of live sandboxes,
    with the trees below them; reap them; return how many were killed.

    In a subreaper these children include orphans adopted from submissions' code."""
    if not _LINUX:
        return 0
    killed = 0
    for _ in range(20):
        with _LOCK:  # no kernel is being started while we look
            orphans = sorted(children() - keep - _OWN_KERNELS)
            for pid in orphans:
                kill_tree(pid)
        if not orphans:
            break
        killed += len(orphans)
        for pid in orphans:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    return killed


_LOCK = threading.Lock()
_OWN_KERNELS: set[int] = set()


class Sandbox:
    """One kernel for one submitted notebook (see the module doc).

    Parameters
    ----------
    workdir : Path
        An empty directory of the grader's making; the kernel's working directory.
    memory : int
        Address-space limit in bytes.
    file_size : int
        Largest file the kernel may write, in bytes.
    start_timeout : float
        Seconds to wait for the kernel to start.
    """

    def __init__(self, workdir: Path, *, memory: int, file_size: int = 100 * 2**20,
                 start_timeout: float = 60.0) -> None:
        self.workdir = Path(workdir)
        to_kernel_r, to_kernel_w = os.pipe()
        from_kernel_r, from_kernel_w = os.pipe()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVLEARN_")}
        env.update({
            "PRIVLEARN_GRADING": "1", "PRIVLEARN_GRADING_KERNEL": "1",
            "PRIVLEARN_GRADING_MEMORY": str(int(memory)),
            "PRIVLEARN_GRADING_FILE_SIZE": str(int(file_size)),
            "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1",
            "IPYTHONDIR": str(self.workdir / ".ipython"),
            "MPLCONFIGDIR": str(self.workdir / ".matplotlib"),
            "HOME": str(self.workdir), "TMPDIR": str(self.workdir),
        })
        with _LOCK:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "privlearn.grading.kernel", str(to_kernel_r),
                 str(from_kernel_w)],
                pass_fds=(to_kernel_r, from_kernel_w), cwd=self.workdir, env=env,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True)
            _OWN_KERNELS.add(self.proc.pid)
        os.close(to_kernel_r)
        os.close(from_kernel_w)
        self._out, self._in = to_kernel_w, from_kernel_r
        self._buffer = b""
        self._ids = itertools.count()
        self.closed = False
        try:
            self._read_until(lambda m: m.get("ready") is True, time.monotonic() + start_timeout,
                             "start")
        except KernelLost:
            self.close()
            raise

    @property
    def pid(self) -> int:
        return self.proc.pid

    def request(self, message: dict, timeout: float) -> dict:
        """Send ``message``; return the kernel's reply to it, or raise KernelLost."""
        if self.closed:
            raise KernelLost("the kernel was closed", timed_out=False)
        nonce = f"{next(self._ids)}-{secrets.token_hex(8)}"
        try:
            write_message(self._out, {**message, "nonce": nonce})
        except (BrokenPipeError, OSError):
            raise KernelLost(self._death(), timed_out=False) from None
        return self._read_until(lambda m: m.get("nonce") == nonce,
                                time.monotonic() + max(timeout, 0.0), message.get("op", "?"))

    def _read_until(self, wanted, deadline: float, what: str) -> dict:
        while True:
            message = self._read_message(deadline, what)
            if isinstance(message, dict) and wanted(message):
                return message  # anything else on the channel (a forgery) is ignored

    def _read_message(self, deadline: float, what: str) -> Any:
        header = self._read_exact(_HEADER.size, deadline, what)
        (n,) = _HEADER.unpack(header)
        if n > MAX_MESSAGE:
            raise KernelLost(f"the kernel sent a message of {n:,} bytes", timed_out=False)
        data = self._read_exact(n, deadline, what)
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
            return None

    def _read_exact(self, n: int, deadline: float, what: str) -> bytes:
        while len(self._buffer) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise KernelLost(f"no answer to {what!r} within the time limit",
                                 timed_out=True)
            ready, _, _ = select.select([self._in], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise KernelLost(self._death(), timed_out=False)
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "the kernel closed its channel"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            return f"the kernel was ended by signal {name}"
        return f"the kernel exited with status {code}"

    def close(self) -> None:
        """Stop the kernel and everything it started (idempotent)."""
        if self.closed:
            return
        self.closed = True
        kill_tree(self.proc.pid)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not wait
            pass
        with _LOCK:
            _OWN_KERNELS.discard(self.proc.pid)
        for fd in (self._out, self._in):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

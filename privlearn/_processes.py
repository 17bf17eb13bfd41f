"""Process trees on Linux: find a process's descendants, kill them all, keep orphans.

The grader's sandboxed kernels and the Flower launcher's SuperLink and SuperNodes both
start processes that start processes; these helpers make sure none outlives its
owner. Elsewhere than Linux they do what they can (nothing, or the process group).
"""

from __future__ import annotations

import os
import signal
import sys

__all__ = ["become_subreaper", "descendants", "die_with_parent", "kill_tree", "parents",
           "running"]

LINUX = sys.platform.startswith("linux")


def _stat(pid) -> list[bytes] | None:
    """The fields of /proc/PID/stat after the command name, or None if there is none."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    # the command name, in parentheses, may itself hold spaces and parentheses
    return stat[stat.rfind(b")") + 2:].split()


def parents() -> dict[int, int]:
    """pid -> parent pid for every process visible in /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(entry)) is not None:
            parents[int(entry)] = int(fields[1])
    return parents


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie (an exited process nobody reaped yet is
    gone for every purpose but its /proc entry). Linux; elsewhere False."""
    fields = _stat(pid)
    return fields is not None and fields[0] != b"Z"


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux; elsewhere an empty list)."""
    if not LINUX:
        return []
    children: dict[int, list[int]] = {}
    for child, parent in parents().items():
        children.setdefault(parent, []).append(child)
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def kill_tree(pid: int) -> None:
    """Freeze ``pid`` and all its descendants, then kill them all."""
    frozen: set[int] = set()
    for _ in range(100):  # until no new process appears below the frozen ones
        tree = [pid, *descendants(pid)]
        new = [p for p in tree if p not in frozen]
        if not new:
            break
        _signal_all(new, signal.SIGSTOP)
        frozen.update(new)
    _signal_all(sorted(frozen), signal.SIGKILL)
    try:
        os.killpg(pid, signal.SIGKILL)  # and anything left in its process group
    except (ProcessLookupError, PermissionError):
        pass


def become_subreaper() -> bool:
    """Make this process adopt its orphaned descendants (Linux); True if it worked."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER


def die_with_parent() -> None:
    """For ``subprocess.Popen(preexec_fn=...)``: the child gets SIGKILL when the process
    that started it dies, even by SIGKILL (Linux's parent-death signal)."""
    if LINUX:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG

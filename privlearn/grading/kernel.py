"""The sandboxed kernel: runs one submitted notebook's cells for the grader.

Started by :class:`privlearn.grading.sandbox.Sandbox` as
``python -m privlearn.grading.kernel READ_FD WRITE_FD``, in a fresh temporary working
directory, with its output discarded. It limits itself (address space, file size),
makes itself a child subreaper (Linux) so that any process the student's code starts
stays in its process tree, and then answers requests on its private pipe, one at a time:

``run``   execute a cell's source with IPython (magics work as in Jupyter);
``get``   the value bound to a name, as plain data; for a function question, keep a
          reference to the function instead;
``call``  call a kept function on a batch of plain-data arguments
          (:func:`privlearn.exercises._core.run_batch`).

Nothing here decides a grade: replies are plain data that the grader judges in its own
process, so a student who rewrites this module or the checkers in their kernel only
changes what their own answers look like.

Messages are 8-byte big-endian lengths followed by UTF-8 JSON; each reply repeats its
request's ``nonce``.
"""

from __future__ import annotations

import json
import os
import struct
import sys
from typing import Any

from .._processes import become_subreaper

__all__ = ["MAX_MESSAGE", "read_message", "write_message"]

MAX_MESSAGE = 256 * 2**20
_HEADER = struct.Struct(">Q")


def write_message(fd: int, message: Any) -> None:
    """Write one framed JSON message to ``fd``."""
    data = json.dumps(message, allow_nan=False).encode()
    if len(data) > MAX_MESSAGE:
        raise ValueError(f"message of {len(data):,} bytes exceeds {MAX_MESSAGE:,}")
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int) -> Any:
    """Read one framed JSON message from ``fd`` (blocking)."""
    (n,) = _HEADER.unpack(_read_exact(fd, _HEADER.size))
    if n > MAX_MESSAGE:
        raise ValueError(f"message of {n:,} bytes exceeds {MAX_MESSAGE:,}")
    return json.loads(_read_exact(fd, n))


def _limit_self() -> None:
    import resource

    memory = int(os.environ.get("PRIVLEARN_GRADING_MEMORY", "0"))
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    file_size = int(os.environ.get("PRIVLEARN_GRADING_FILE_SIZE", "0"))
    if file_size > 0:
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    become_subreaper()  # orphans of the student's processes stay in our tree


class _Kernel:
    def __init__(self) -> None:
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        config = Config()
        config.HistoryManager.enabled = False
        self.shell = InteractiveShell.instance(config=config)
        self.kept: dict[str, Any] = {}

    def handle(self, request: dict) -> dict:
        from privlearn.exercises._core import run_batch
        from privlearn.exercises._plain import PlainDataError, encode

        op = request.get("op")
        if op == "run":
            result = self.shell.run_cell(str(request.get("source", "")), store_history=True)
            error = result.error_before_exec or result.error_in_exec
            if error is None:
                return {"ok": True}
            return {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
        if op == "get":
            name, key = str(request.get("name")), str(request.get("key"))
            if name not in self.shell.user_ns:
                return {"missing": True}
            value = self.shell.user_ns[name]
            if request.get("function") and callable(value):
                self.kept[key] = value
                return {"callable": True}
            return {"value": encode(value)}
        if op == "call":
            fn = self.kept.get(str(request.get("key")))
            if fn is None:
                return {"error": "no such function"}
            try:
                return {"outcomes": run_batch(fn, request.get("batch"),
                                              keep_args=request.get("keep_args") is not False)}
            except PlainDataError as exc:
                return {"error": str(exc)}
        return {"error": f"unknown op {op!r}"}


def main(argv: list[str]) -> int:
    read_fd, write_fd = int(argv[0]), int(argv[1])
    _limit_self()
    kernel = _Kernel()
    write_message(write_fd, {"ready": True})
    while True:
        try:
            request = read_message(read_fd)
        except EOFError:
            return 0
        if not isinstance(request, dict):
            continue
        try:
            reply = kernel.handle(request)
            reply["nonce"] = request.get("nonce")
            write_message(write_fd, reply)
        except Exception as exc:  # an answer too large to send, say: the grader decides
            write_message(write_fd, {"error": f"{type(exc).__name__}: {exc}"[:300],
                                     "nonce": request.get("nonce")})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""One torch thread per process unless the environment chooses (DESIGN.md, "Speed under
contention"): importing privlearn's torch code sets it, in a fresh interpreter each time."""

import os
import subprocess
import sys

import pytest

PROBE = "import torch; import privlearn.fl; print(torch.get_num_threads())"


def _threads(**env):
    clean = {k: v for k, v in os.environ.items()
             if k not in ("OMP_NUM_THREADS", "PRIVLEARN_TORCH_THREADS")}
    proc = subprocess.run([sys.executable, "-c", PROBE], env={**clean, **env},
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout.strip(), proc.stderr


def test_one_thread_by_default():
    assert _threads()[:2] == (0, "1")


@pytest.mark.parametrize("variable", ["PRIVLEARN_TORCH_THREADS", "OMP_NUM_THREADS"])
def test_the_environment_chooses(variable):
    assert _threads(**{variable: "2"})[:2] == (0, "2")


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_thread_count_is_refused_by_name(value):
    code, _, err = _threads(PRIVLEARN_TORCH_THREADS=value)
    assert code != 0 and "PRIVLEARN_TORCH_THREADS must be a whole number >= 1" in err
    assert repr(value) in err

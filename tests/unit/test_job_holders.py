"""Which job holders are gone (job_queue.holder_gone): a worker started again on the same machine takes its dead
predecessor's job at once; anything it cannot see for itself counts as alive, and the lease decides."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from xiaodian.job_queue import holder_gone, holder_name


def test_a_holder_whose_process_has_ended_on_this_machine_is_gone():
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    pid = int(ended.stdout)
    assert holder_gone(f"{socket.gethostname()[:40]}:{pid}:123")


def test_this_process_another_machine_and_unreadable_names_are_alive():
    assert not holder_gone(holder_name())
    assert not holder_gone(f"{socket.gethostname()[:40]}:{os.getppid()}:1")  # the process that started this one
    assert not holder_gone(f"another-host-{socket.gethostname()}:999999:1")
    for name in (None, "", "died", f"{socket.gethostname()[:40]}:", f"{socket.gethostname()[:40]}:x:1"):
        assert not holder_gone(name)

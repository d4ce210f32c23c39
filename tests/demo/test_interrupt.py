"""The demo launcher reacts to SIGINT even when started with it ignored."""

import signal
import subprocess
import sys

from demo.__main__ import interrupt_restore


def test_interrupt_restore_replaces_ignore():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        interrupt_restore()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)


def test_child_started_ignoring_sigint_is_interrupted():
    code = (
        "import signal, sys, time\n"
        "from demo.__main__ import interrupt_restore\n"
        "interrupt_restore()\n"
        "print('ready', flush=True)\n"
        "try:\n"
        "    time.sleep(30)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True)\n"
        "    sys.exit(0)\n"
        "sys.exit(1)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
        # As a shell script's `&` does: the child starts with SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    assert child.stdout.readline().strip() == "ready"
    child.send_signal(signal.SIGINT)
    output, _ = child.communicate(timeout=20)

    assert output.strip() == "interrupted"
    assert child.returncode == 0

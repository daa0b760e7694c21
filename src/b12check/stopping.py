"""SIGTERM and SIGHUP end a run the way Ctrl-C does: cleanly, with one line and a status.

Each raises ``Stopped`` (a ``KeyboardInterrupt``) in the main thread, so every ``finally`` and
context manager runs on the way out; ``-o`` removes its temporary file and keeps the previous
one. A signal the parent process ignores (``nohup``) stays ignored.
"""

import signal
from types import FrameType

from b12check.exitcodes import ExitCode

_STOPS = {
    signal.SIGTERM: (ExitCode.TERMINATED, "Terminated."),
    signal.SIGHUP: (ExitCode.HUNG_UP, "Hung up."),
}


class Stopped(KeyboardInterrupt):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.code, self.message = _STOPS[signal.Signals(signum)]


def _stop(signum: int, _frame: FrameType | None) -> None:
    for number in _STOPS:  # a second signal must not cut the clean-up short
        signal.signal(number, signal.SIG_IGN)
    raise Stopped(signum)


def stop_on_signals() -> None:
    for number in _STOPS:
        if signal.getsignal(number) != signal.SIG_IGN:
            signal.signal(number, _stop)

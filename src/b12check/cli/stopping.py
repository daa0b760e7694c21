"""SIGTERM and SIGHUP end a run the way Ctrl-C does: cleanly, with one line and a status.

Each raises ``Stopped`` (a ``KeyboardInterrupt``) in the main thread, so every ``finally`` and
context manager runs on the way out; ``-o`` removes its temporary file and keeps the previous
one. A signal the parent process ignores (``nohup``) stays ignored.
"""

from types import FrameType
from typing import TYPE_CHECKING

from b12check.run.exitcodes import ExitCode

if TYPE_CHECKING:
    import signal as signals
else:
    try:  # the C module behind ``signal``: the same calls without about 1 ms of enum building
        import _signal as signals
    except ImportError:  # other Python implementations
        import signal as signals

_STOPS = {
    int(signals.SIGTERM): (ExitCode.TERMINATED, "Terminated."),
    int(signals.SIGHUP): (ExitCode.HUNG_UP, "Hung up."),
}


class Stopped(KeyboardInterrupt):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.code, self.message = _STOPS[signum]


def _stop(signum: int, _frame: FrameType | None) -> None:
    for number in _STOPS:  # a second signal must not cut the clean-up short
        signals.signal(number, signals.SIG_IGN)
    raise Stopped(signum)


def stop_on_signals() -> None:
    for number in _STOPS:
        if signals.getsignal(number) != signals.SIG_IGN:
            signals.signal(number, _stop)

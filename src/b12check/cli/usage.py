"""A usage error raised by the command bodies without importing click.

``commands.py`` and ``engine.py`` run on the click-free fast path (``fast.py``) too, so they
raise ``UsageProblem`` instead of ``click.UsageError``. Whichever layer ran the command turns it
into the click exception it stands for (``for_click``), so click writes the message, with the
usage line of the command, exactly as it always has.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import click


class UsageProblem(Exception):
    """``click.UsageError(message)``, or ``click.BadParameter`` when ``param_hint`` names the
    option at fault (e.g. ``--column``)."""

    def __init__(self, message: str, param_hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param_hint = param_hint

    def for_click(self) -> "click.UsageError":
        import click

        if self.param_hint is None:
            return click.UsageError(self.message)
        return click.BadParameter(self.message, param_hint=self.param_hint)

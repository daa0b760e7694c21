"""Guided entry at a terminal: ``b12check check`` with no values asks for each test."""

from collections.abc import Callable, Iterator

from b12check.core.evaluate import Settings, evaluate
from b12check.core.vocab import STATUS_ERROR
from b12check.readers.typed import TYPED_FILE
from b12check.render.safe import visible


def guided_arguments(
    settings: Settings,
    ask: Callable[[str], str],
    say: Callable[[str], None],
) -> Iterator[str]:
    """Ask for each analyte in turn; Enter skips, a value that cannot be read is asked again.

    Names and units may come from an overlay and a reason quotes what was typed, so every
    prompt and message goes through ``visible()``."""
    say("Type each result with its unit (e.g. 250 pg/mL); press Enter to skip a test.")
    for analyte in settings.reference.analytes.values():
        prompt = visible(f"{analyte.name} [{', '.join(analyte.factors)}]")
        while True:
            answer = ask(prompt).strip()
            if not answer:
                break
            record = evaluate(settings, file=TYPED_FILE, line=0, name=analyte.id, value_text=answer)
            if record.status == STATUS_ERROR:
                reason = visible(record.reason or "")
                say(f"  Could not read that: {reason}. Try again, or press Enter to skip.")
                continue
            yield f"{analyte.id}={answer}"
            break

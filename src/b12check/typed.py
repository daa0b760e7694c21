"""Values typed on the command line (``NAME=VALUE``) and guided entry at a terminal."""

from collections.abc import Callable, Iterator

from b12check.evaluate import Settings, apply_patterns, evaluate
from b12check.records import Record
from b12check.render.safe import visible
from b12check.vocab import STATUS_ERROR

TYPED_FILE = "argv"


def split_argument(argument: str) -> tuple[str, str] | None:
    name, sep, value = argument.partition("=")
    if not sep or not name.strip():
        return None
    return name.strip(), value.strip()


def typed_records(settings: Settings, arguments: tuple[str, ...]) -> list[Record]:
    """One record per argument, in order; patterns across the typed values are noted."""
    records = []
    for position, argument in enumerate(arguments, start=1):
        parts = split_argument(argument)
        if parts is None:
            records.append(
                Record(
                    status=STATUS_ERROR,
                    file=TYPED_FILE,
                    line=position,
                    value_text=argument,
                    reason=f"{argument!r} is not NAME=VALUE (for example b12=250pg/mL)",
                )
            )
            continue
        name, value = parts
        records.append(
            evaluate(settings, file=TYPED_FILE, line=position, name=name, value_text=value)
        )
    apply_patterns(records, settings.reference, settings.notes)
    return records


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

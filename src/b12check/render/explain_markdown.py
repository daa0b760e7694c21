"""``b12check explain ANALYTE --format markdown``: the explain data as a Markdown page to paste.

Every piece of text goes through ``visible()`` and has Markdown's markup characters escaped;
intervals, flags and ids are code spans.
"""

from typing import Any

from b12check.core.vocab import DISCLAIMER
from b12check.render.explain_data import (
    ARTICLE_CAVEAT,
    KIND_HEADINGS,
    NOTE_KINDS,
    SPANS,
    cite,
    factor_text,
    roles_text,
    unit_facts,
)


def _md(text: str) -> str:
    """Plain text for a markdown line or table cell: visible, with markup characters escaped."""
    from b12check.render.safe import visible

    escaped = visible(str(text))
    for char in "\\`*_[]<>|#":
        escaped = escaped.replace(char, "\\" + char)
    return escaped


def _code(text: str) -> str:
    """A code span (intervals, flags, ids): nothing inside it is markup."""
    from b12check.render.safe import visible

    plain = visible(str(text)).replace("`", "'")
    return f"`{plain}`"


def _md_flags(flags: list[str], bands: list[str] | str | None = None) -> str:
    text = "any flag" if flags == ["*"] else ", ".join(_code(flag) for flag in flags)
    if bands == "other":
        return f"{text} (other bands)"
    if bands:
        return f"{text} (band {' or '.join(_md(band) for band in bands)})"
    return text


def explain_markdown(data: dict[str, Any]) -> str:
    unit = data["canonical_unit"]
    lines = [
        f"# {_md(data['name'])} ({_code(data['id'])})",
        "",
        _md(data["measures"]),
        "",
        f"- **Recognised names:** {_md(', '.join(data['aliases'])) or '-'}",
        f"- **LOINC codes:** {', '.join(_code(code) for code in data['loinc']) or '-'}",
        "",
        "## Units",
        "",
        f"| Unit | Role | 1 unit in {_md(unit)} | How the factor is derived |",
        "|---|---|---|---|",
    ]
    for row in data["units"]:
        lines.append(
            f"| {_md(row['unit'])} | {roles_text(row['roles'])} "
            f"| {factor_text(row['factor'])} | {_md(row['derivation'])} |"
        )
    lines.append("")
    lines.extend(f"- {_md(fact)}" for fact in unit_facts(data))
    lines.extend(
        f"- {title}: {_code(data[key])} {_md(unit)} ({meaning})" for key, title, meaning in SPANS
    )
    lines += [
        "",
        f"## Bands ({_md(unit)})",
        "",
        "| Range | Flag | Label | FHIR | Sex | Source |",
        "|---|---|---|---|---|---|",
    ]
    for band in data["bands"]:
        lines.append(
            f"| {_code(band['range'])} | {_code(band['flag'])} | {_md(band['label'])} "
            f"| {_md(band['interpretation'])} | {_md(band['sex'] or 'any')} "
            f"| {_md(band['source'])} |"
        )
    lines += ["", f"From: {_md(', '.join(data['origins']))}", "", "## Notes", ""]
    lines += [_md(ARTICLE_CAVEAT), ""]
    for kind in NOTE_KINDS:
        notes = data["notes"].get(kind) or []
        if notes:
            lines += [f"### {KIND_HEADINGS[kind]}", ""]
            lines.extend(
                f"- {_md_flags(n['flags'], n.get('bands'))}: {_md(n['text'])} ({_md(cite(n))})"
                for n in notes
            )
            lines.append("")
    if data["patterns"]:
        lines += ["## Patterns with other tests", ""]
        for pattern in data["patterns"]:
            when = "; ".join(
                [
                    *(
                        f"{_code(analyte)} {' or '.join(_code(f) for f in flags)}"
                        for analyte, flags in pattern["when"].items()
                    ),
                    *(f"no {_code(analyte)} result" for analyte in pattern["absent"]),
                ]
            )
            lines.append(
                f"- **{_md(pattern['title'])}** (when {when}): "
                f"{_md(pattern['text'])} ({_md(cite(pattern))})"
            )
        lines.append("")
    lines += [f"> **{_md(DISCLAIMER)}**", ""]
    return "\n".join(lines)

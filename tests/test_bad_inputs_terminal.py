"""Terminal safety everywhere (bad-input catalogue, fixtures 50-56).

Outside text (cells, file names, typed arguments, overlay text) reaches a terminal only as
text: no control character, escape sequence, bidi control, zero-width, filler, tag or
variation character from it is written, and each is shown by a visible placeholder, so text
that is spelled differently looks different. Tables still print at nonsense widths
(``COLUMNS=0``) and on streams that are not UTF (``PYTHONIOENCODING=cp1252``).

What "unsafe" means here is written out below from the Unicode categories and the character
lists of issue 13, not taken from the code under test.
"""

import copy
import csv
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path

import pexpect
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from b12check.cli.guided import guided_arguments
from b12check.cli.main import cli
from b12check.core.evaluate import Settings
from b12check.core.refdata import load_reference
from b12check.render.safe import visible
from tests.conftest import REPO, run_cli

BAD = REPO / "tests" / "fixtures" / "bad"
HEADER = ["patient_id", "collected", "analyte", "value", "unit"]


def fx(name: str) -> str:
    return str(BAD / name)


def span(first: int, last: int) -> set[str]:
    return {chr(code) for code in range(first, last + 1)}


BIDI = {"\u061c", "\u200e", "\u200f"} | span(0x202A, 0x202E) | span(0x2066, 0x2069)
ZERO_WIDTH = (
    span(0x200B, 0x200D)
    | span(0x2060, 0x2064)
    | {"\ufeff", "\u180e", "\u3164", "\uffa0", "\u115f", "\u1160", "\u00ad", "\u034f"}
)
TAGS = span(0xE0000, 0xE007F)
VARIATION = span(0xFE00, 0xFE0F) | span(0xE0100, 0xE01EF)
LISTED = BIDI | ZERO_WIDTH | TAGS | VARIATION
UNSAFE_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")  # controls, format, surrogates, separators


def unsafe(char: str) -> bool:
    return char in LISTED or unicodedata.category(char) in UNSAFE_CATEGORIES


def unsafe_in(text: str, *, allowed: str = "") -> list[str]:
    return sorted({char for char in text if unsafe(char) and char not in allowed})


def terminal_unsafe(text: str) -> list[str]:
    """Unsafe characters in terminal output, where line breaks are the output's own."""
    return unsafe_in(text, allowed="\n")


# --- strategies: any text, with the tricks over-represented -----------------------------------

SEQUENCES = [
    "\x1b[31m",  # CSI colour
    "\x1b[2J",  # clear screen
    "\x1b]8;;http://evil.example/\x1b\\",  # OSC 8 hyperlink
    "\x1b]52;c;cm0gLXJm\x07",  # OSC 52 clipboard
    "\x1b]0;title\x07",  # window title
    "\x9b1A",  # C1 CSI
    "\x1bP+q\x1b\\",  # DCS
    "[link=mailto:x@example.com]",
    "[bold red]",
    ":warning:",
    "\r\n",
]
TRICKS = sorted(LISTED - TAGS) + ["\U000e0041", "\U000e0001", "\U000e007f", "\u2028", "\u0085"]
CHARS = st.one_of(
    st.characters(),  # any code point but surrogates
    st.characters(max_codepoint=0x9F),  # C0, ASCII, DEL, C1
    st.sampled_from(TRICKS),
    st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF),  # undecodable argv bytes
)
PIECES = st.one_of(st.text(CHARS, max_size=6), st.sampled_from(SEQUENCES), st.sampled_from(TRICKS))
TEXTS = st.lists(PIECES, max_size=5).map("".join)
# what a file or an argv can hold: no NUL, and only the surrogates that stand for bytes
# what a file can hold: no NUL, and of the lone surrogates only U+DC80..U+DCFF (the bytes that
# were not UTF-8, written back as those bytes); any other surrogate cannot be written at all
PORTABLE = TEXTS.filter(
    lambda t: "\x00" not in t and not re.search("[\ud800-\udc7f\udd00-\udfff]", t)
)
HIDDEN = st.one_of(
    st.sampled_from(TRICKS + ["\x1b", "\x07", "\x00", "\x7f", "\x9b", "\r"]),
    st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF),
    st.characters(categories=["Cc", "Cf"]).filter(lambda c: c not in "\t\n"),
)


# --- visible() itself ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["Vitamin B12", "250 pg/mL", "30 µg/L", "Eisensättigung", "Zoë 中文", "≤0.5", "B12 [x]"]
)
def test_ordinary_text_is_shown_as_it_is(text: str) -> None:
    assert visible(text) == text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("P005\x1b]0;pwned\x07", "P005␛]0;pwned␇"),  # control pictures for C0
        ("a\x00b\x7fc", "a␀b␡c"),
        ("P003\x9b31m", "P003<U+009B>31m"),  # C1
        ("P007\u202eLATOT", "P007<U+202E>LATOT"),  # bidi override
        ("P\u061c001", "P<U+061C>001"),
        ("P001\u200b", "P001<U+200B>"),  # zero-width space
        ("P001\U000e0041", "P001<U+E0041>"),  # tag character
        ("P00\u00ad1", "P00<U+00AD>1"),  # soft hyphen
        ("P001\u3164", "P001<U+3164>"),  # Hangul filler
        ("P001\ufe0f", "P001<U+FE0F>"),  # variation selector
        ("r\udcffx.csv", "r\\xFFx.csv"),  # a byte that was not UTF-8
        ("two\nlines\tand\r\nCRLF", "two lines and CRLF"),  # line breaks become spaces
    ],
)
def test_hidden_characters_get_visible_placeholders(text: str, shown: str) -> None:
    assert visible(text) == shown


@settings(max_examples=300)
@given(TEXTS)
def test_visible_leaves_nothing_a_terminal_could_act_on(text: str) -> None:
    shown = visible(text)
    assert unsafe_in(shown) == []
    assert visible(shown) == shown  # what it returns needs nothing more


@settings(max_examples=300)
@given(st.text(st.characters(categories=["L", "N"]), max_size=5), HIDDEN, HIDDEN)
def test_different_hidden_characters_look_different(prefix: str, first: str, second: str) -> None:
    assume(first != second)
    plain = visible(f"{prefix}x")
    one, other = visible(f"{prefix}{first}x"), visible(f"{prefix}{second}x")
    assert one != other
    assert plain not in (one, other)  # a hidden character never vanishes


# --- 50, 51: ids that look alike ----------------------------------------------------------------


def runner_invoke(
    args: Sequence[str], *, env: Mapping[str, str | None] | None = None, charset: str = "utf-8"
) -> Result:
    """The CLI in-process, colour neither forced nor forbidden (piped, so rich adds none)."""
    full_env: dict[str, str | None] = {"FORCE_COLOR": None, "NO_COLOR": None, "COLUMNS": "100"}
    full_env.update(env or {})
    return CliRunner(charset=charset).invoke(cli, list(args), env=full_env, catch_exceptions=False)


def group_titles(out: str) -> list[str]:
    return [line.split(" · ")[0] for line in out.splitlines() if " · 2025-" in line]


def test_50_zero_width_ids_display_differently() -> None:
    result = runner_invoke(["scan", fx("50-zero-width-ids.csv"), "--notes", "none"])
    assert result.exit_code == 0, result.stderr
    titles = group_titles(result.stdout)
    assert len(titles) == 9 and len(set(titles)) == 9  # nine patients, nine different looks
    assert titles[0] == "P001" and all("<U+" in title for title in titles[1:])
    assert terminal_unsafe(result.stdout) == [] and "\x1b" not in result.stdout


def test_51_bidi_controls_are_shown_not_obeyed() -> None:
    result = runner_invoke(["scan", fx("51-bidi-controls.csv"), "--notes", "none"])
    assert result.exit_code == 0, result.stderr
    assert terminal_unsafe(result.stdout) == []
    titles = group_titles(result.stdout)
    assert titles[0] == "P<U+061C>001"
    assert "P007<U+202E>DI" in titles and "P009<U+2067>X<U+2068>Y<U+2069>" in titles
    assert len(set(titles)) == 9


# --- 52: escape sequences in every column ------------------------------------------------------


def test_52_escape_sequences_never_reach_the_terminal(tmp_path: Path) -> None:
    path = fx("52-escape-sequences.csv")
    piped = run_cli(["scan", path], input=b"", env={"NO_COLOR": ""})
    assert piped.returncode == 3  # lines 7 and 8 cannot be read
    for stream in (piped.stdout, piped.stderr):
        text = stream.decode("utf-8")
        assert terminal_unsafe(text) == [] and "\x1b" not in text
    out = piped.stdout.decode()
    assert "P001␛]8;;http://evil.example/␛\\click" in out  # shown, not a link
    assert "P002␛]52;c;cm0gLXJmIH4=␇" in out and "P003<U+009B>31mred" in out
    assert "Vitamin B12␛[8m" in out  # the test name, skipped but shown

    # On a real terminal: colour from rich only (SGR), never the file's sequences.
    errors = tmp_path / "stderr.txt"
    command = f"exec {sys.executable} -m b12check scan {path} --notes none 2>{errors}"
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(TERM="xterm-256color", COLUMNS="120")
    child = pexpect.spawn("/bin/sh", ["-c", command], env=env, timeout=30)
    child.expect(pexpect.EOF)
    child.close()
    shown = (child.before or b"").decode("utf-8")
    assert child.exitstatus == 3
    assert "\x1b[" in shown and "●" in shown  # colours and the gauge on a terminal
    assert "\x1b" not in re.sub(r"\x1b\[[0-9;]*m", "", shown)  # nothing but SGR
    assert terminal_unsafe(shown.replace("\x1b", "").replace("\r", "")) == []
    assert "\x1b" not in errors.read_text(encoding="utf-8")


# --- 53: file names, in the table and in the progress bar ---------------------------------------

HOSTILE_NAMES = [  # (file name, how it must be shown)
    ("[link=mailto:x@example.com]r.csv", "[link=mailto:x@example.com]r.csv"),  # not markup
    ("r\x1b]8;;mailto:x@example.com\x07.csv", "r␛]8;;mailto:x@example.com␇.csv"),
    ("r\x1b]0;pwned\x07.csv", "r␛]0;pwned␇.csv"),
    ("r\u202eP001.csv", "r<U+202E>P001.csv"),
    ("r\udcffx.csv", "r\\xFFx.csv"),  # the byte 0xFF, not UTF-8
]


@pytest.mark.parametrize(("name", "shown"), HOSTILE_NAMES)
def test_53_file_names_in_the_table(tmp_path: Path, name: str, shown: str) -> None:
    path = tmp_path / name
    shutil.copy(fx("53-file-name-markup.csv"), path)
    done = run_cli(["scan", str(path), "--notes", "none"], input=b"", env={"COLUMNS": "1000"})
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode("utf-8")
    assert terminal_unsafe(out) == [] and "\x1b" not in out
    assert f"  {tmp_path}/{shown}: 3 data rows" in out


@pytest.mark.parametrize(("name", "shown"), HOSTILE_NAMES)
def test_53_file_names_in_the_progress_bar(tmp_path: Path, name: str, shown: str) -> None:
    path = tmp_path / name
    shutil.copy(fx("53-file-name-markup.csv"), path)
    command = [sys.executable, "-m", "b12check", "scan", str(path), "--format", "csv"]
    command += ["-o", str(tmp_path / "out.csv")]  # stdout and stderr on the terminal
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    child = pexpect.spawn(command[0], command[1:], env={**env, "TERM": "xterm"}, timeout=30)
    child.expect(pexpect.EOF)
    child.close()
    drawn = (child.before or b"").decode("utf-8")
    assert child.exitstatus == 0
    assert "bytes" in drawn  # the bar was drawn
    assert "\x1b]" not in drawn and "\x07" not in drawn  # no OSC 8 link, no title, no BEL
    assert shown in drawn


# --- 54: nonsense widths ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "width", "wide"),
    [
        ("0", 80, True),
        ("-1", 80, True),
        ("abc", 80, True),
        ("", 80, True),
        ("1", 40, False),
        ("12", 40, False),
        ("99999999999", 1000, True),
    ],
)
def test_54_nonsense_widths_still_print_the_table(columns: str, width: int, wide: bool) -> None:
    done = run_cli(
        ["scan", fx("54-columns-nonsense.csv"), "--notes", "none"],
        input=b"",  # stdin not a terminal either, so rich cannot ask one for its width
        env={"COLUMNS": columns},
    )
    assert done.returncode == 1, done.stderr  # ferritin 9 is deficient
    out = done.stdout.decode("utf-8")
    assert "P001 · 2025-01-10" in out and "Ferritin" in out and "B12" in out
    assert "2 results, 0 errors, 0 skipped" in out
    assert ("Gauge" in out) is wide
    lines = out.splitlines()
    assert all(len(line) <= width for line in lines)
    if width == 80:
        assert max(len(line) for line in lines) > 60  # laid out for 80, not for 40


def test_54_columns_zero_in_process() -> None:
    result = runner_invoke(["check", "b12=250pg/mL", "ferritin=9"], env={"COLUMNS": "0"})
    assert result.exit_code == 1
    assert "B12" in result.stdout and "Ferritin" in result.stdout and "Gauge" in result.stdout


# --- 55: stdout that is not UTF ----------------------------------------------------------------


def test_55_cp1252_stdout_gets_ascii_stand_ins() -> None:
    done = run_cli(
        ["scan", fx("55-narrow-encoding.csv"), "--notes", "none"],
        input=b"",
        env={"PYTHONIOENCODING": "cp1252"},
    )
    assert done.returncode == 1 and done.stderr == b""  # flags, not exit 70
    out = done.stdout.decode("cp1252")  # strictly: every byte is cp1252
    assert "Zoë-<U+4E2D> · 2025-01-10" in out  # ë is in cp1252, 中 is not
    assert "P<U+001B>[2J<U+200B> · 2025-06-10" in out  # the ESC is named, not written
    assert re.search(r"^B12 +\| 238 pg/mL +\| indeterminate +\| ---~\*~===\+\+\+ ", out, re.M)
    assert re.search(r"^-+\+-+\+", out, re.M)  # an ASCII box
    assert "<=0.5 µmol/L" in out and "| --<~~~===+++!!!" in out  # ≤ and ◀
    assert "B12: 238 -> 561 pg/mL (+323, up) _#; borderline -> normal" in out  # → and ▁█
    assert "Not medical advice — discuss results" in out  # — is in cp1252


def test_55_ascii_stdout_and_cp1252_in_process() -> None:
    done = run_cli(
        ["scan", fx("55-narrow-encoding.csv"), "--notes", "none"],
        input=b"",
        env={"PYTHONIOENCODING": "ascii"},
    )
    assert done.returncode == 1 and done.stderr == b""
    out = done.stdout.decode("ascii")
    assert "Zo<U+00EB>-<U+4E2D>" in out and "<=0.5 umol/L" in out
    assert "Not medical advice - discuss" in out

    result = runner_invoke(["scan", fx("55-narrow-encoding.csv")], charset="cp1252")
    assert result.exit_code == 1
    assert "Zoë-<U+4E2D>" in result.stdout and "●" not in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["explain", "b12"],
        ["explain", "b12", "--format", "markdown"],
        ["ranges", "b12"],
        ["check", "b12=<150pg/mL", "mma=≥0.5umol/L"],
    ],
)
def test_55_other_views_on_ascii_stdout(args: list[str]) -> None:
    ranges = ["--ranges", fx("56-ranges-hostile-text.yaml")]
    done = run_cli([*args, *ranges], input=b"", env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode in (0, 1), done.stderr
    out = done.stdout.decode("ascii")
    assert "\x1b" not in out and "<U+001B>" in out  # the overlay's ESC, named


# --- 56: overlay text in explain, ranges and the table ------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["ranges", "b12"],
        ["explain", "b12"],
        ["check", "b12=250pg/mL", "b12=100pg/mL", "b12=2000pg/mL"],
    ],
)
def test_56_overlay_text_is_shown_not_obeyed(args: list[str]) -> None:
    done = run_cli([*args, "--ranges", fx("56-ranges-hostile-text.yaml")], input=b"")
    assert done.returncode in (0, 1), done.stderr
    out = done.stdout.decode("utf-8")
    assert terminal_unsafe(out) == [] and "\x1b" not in out
    assert "␛" in out  # the overlay's escapes, named
    if args[0] != "check":
        assert "<U+202E>" in out  # the bidi override in a band's source
    else:  # the flag column is not folded: the overlay's label whole
        assert "within␛[2J␛[31m lab range" in out and "above<U+3164>lab range" in out


def test_56_ranges_validate_shows_the_file_name_safely(tmp_path: Path) -> None:
    path = tmp_path / "lab\x1b]0;x\x07.yaml"
    shutil.copy(fx("56-ranges-hostile-text.yaml"), path)
    done = run_cli(["ranges", "validate", str(path)], input=b"")
    assert done.returncode == 0
    assert done.stdout.decode("utf-8").startswith(f"{tmp_path}/lab␛]0;x␇.yaml: valid")


# --- guided entry -------------------------------------------------------------------------------


def test_guided_prompts_show_overlay_names_and_reasons_safely() -> None:
    reference = copy.copy(load_reference())
    b12 = copy.copy(reference.analytes["b12"])
    b12.name = "Vitamin B12\x1b]8;;http://evil.example/\x07"
    reference.analytes = {**reference.analytes, "b12": b12}
    answers = iter(["250\u3164", ""])
    prompts: list[str] = []
    said: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers, "")

    values = list(guided_arguments(Settings(reference), ask=ask, say=said.append))
    assert values == []
    assert prompts[0] == "Vitamin B12␛]8;;http://evil.example/␇ [pg/mL, ng/L, pmol/L]"
    assert any("<U+3164>" in line for line in said)
    assert unsafe_in("".join(prompts + said)) == []


# --- properties through the whole CLI -----------------------------------------------------------


def write_csv(folder: Path, cells: dict[str, str]) -> Path:
    """One B12 row and one vitamin D row, with ``cells`` replacing columns of the first."""
    path = folder / "cells.csv"
    first = {"patient_id": "P001", "collected": "2025-01-10", "analyte": "Vitamin B12"}
    first.update({"value": "500", "unit": "pg/mL", **cells})
    with path.open("w", encoding="utf-8", errors="surrogateescape", newline="") as handle:
        writer = csv.DictWriter(handle, HEADER)
        writer.writeheader()
        writer.writerow(first)
        writer.writerow({**first, "analyte": "Vitamin D", "value": "30", "unit": "ng/mL"})
    return path


CELLS = st.dictionaries(st.sampled_from(["patient_id", "analyte", "value", "unit"]), PORTABLE)
SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_terminal_safe(stdout: str, stderr: str) -> None:
    assert "\x1b" not in stdout and terminal_unsafe(stdout) == []
    assert "\x1b" not in stderr and terminal_unsafe(stderr) == []


@FAST
@given(CELLS)
def test_any_cell_in_process(cells: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder), cells)
        result = runner_invoke(["scan", str(path), "--format", "table"])
    assert result.exit_code in (0, 1, 3)
    assert_terminal_safe(result.stdout, result.stderr)


@SLOW
@given(CELLS)
def test_any_cell_in_a_real_process(cells: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder), cells)
        done = run_cli(["scan", str(path), "--format", "table"], input=b"")
    assert done.returncode in (0, 1, 3)
    assert_terminal_safe(done.stdout.decode("utf-8"), done.stderr.decode("utf-8"))


FILE_NAMES = PORTABLE.map(lambda t: "f" + t.replace("/", "") + ".csv").filter(
    lambda name: len(os.fsencode(name)) <= 200
)


@FAST
@given(FILE_NAMES)
def test_any_file_name_in_process(name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        shutil.copy(fx("53-file-name-markup.csv"), path)
        result = runner_invoke(["scan", str(path), str(Path(folder) / f"missing-{name}")])
    assert result.exit_code == 3  # the second file does not exist
    assert_terminal_safe(result.stdout, result.stderr)


@SLOW
@given(FILE_NAMES)
def test_any_file_name_in_a_real_process(name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        shutil.copy(fx("53-file-name-markup.csv"), path)
        done = run_cli(["scan", str(path)], input=b"")
    assert done.returncode == 0
    assert_terminal_safe(done.stdout.decode("utf-8"), done.stderr.decode("utf-8"))


TYPED = PORTABLE.flatmap(
    lambda t: st.sampled_from([f"b12={t}", f"vit{t}=250", f"ferritin={t}ng/mL", f"x{t}"])
)


@FAST
@given(st.lists(TYPED, min_size=1, max_size=3))
def test_any_typed_argument_in_process(arguments: list[str]) -> None:
    result = runner_invoke(["check", *arguments, "--units", "conventional"])
    assert result.exit_code in (0, 1, 3)
    assert_terminal_safe(result.stdout, result.stderr)


@SLOW
@given(TYPED)
def test_any_typed_argument_in_a_real_process(argument: str) -> None:
    done = run_cli(["check", argument, "--units", "conventional"], input=b"")
    assert done.returncode in (0, 1, 3)
    assert_terminal_safe(done.stdout.decode("utf-8"), done.stderr.decode("utf-8"))


def test_usage_errors_show_arguments_safely() -> None:
    """A usage error quotes the argument (cli.py's job, through visible())."""
    done = run_cli(["scan", "--\x1b]8;;http://evil.example/\x07"], input=b"")
    assert done.returncode == 2
    assert_terminal_safe(done.stdout.decode("utf-8"), done.stderr.decode("utf-8"))

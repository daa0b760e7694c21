"""The regex engine code saved at build time (core/lazyre.py, core/recode.py): a pattern built
from it is the very pattern ``re.compile`` makes, and the saved file is up to date."""

import json
import re
from pathlib import Path

import pytest

from b12check.core import lazyre
from b12check.core.lazyre import CODE_FILE, MADE, LazyPattern, engine_tag
from b12check.core.recode import render_code

SAVED = json.loads(Path(CODE_FILE).read_text(encoding="utf-8"))


def test_the_saved_code_is_what_the_build_makes_now() -> None:
    assert render_code() == Path(CODE_FILE).read_text(encoding="utf-8")


def test_every_pattern_b12check_makes_is_saved() -> None:
    render_code()  # (imports every module, so every pattern has been made)
    saved = {(source, flags) for source, flags, *_ in SAVED["patterns"]}
    assert {(pattern.source, pattern.flags) for pattern in MADE} <= saved


@pytest.mark.parametrize(("source", "flags"), [(p[0], p[1]) for p in SAVED["patterns"]])
def test_a_pattern_from_saved_code_is_the_one_re_compiles(source: str, flags: int) -> None:
    built = lazyre._from_saved(source, flags)
    if SAVED["engine"] != engine_tag():  # another interpreter: the saved code is not used
        assert built is None
        return
    assert built is not None
    compiled = re.compile(source, flags)
    # (Pattern equality compares the engine code as well as the source and flags)
    assert (built, built.groups, built.groupindex) == (
        compiled,
        compiled.groups,
        compiled.groupindex,
    )


def test_a_pattern_not_saved_is_compiled_as_usual(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lazyre, "MADE", [])  # (not one of b12check's own: kept out of the build)
    pattern = LazyPattern(r"(?P<word>zz+)-not-in-the-file")
    assert lazyre._from_saved(pattern.source, pattern.flags) is None
    match = pattern.fullmatch("zzz-not-in-the-file")
    assert match is not None and match["word"] == "zzz"


def test_saved_code_for_another_interpreter_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = {**SAVED, "engine": "cpython-2.7-0-4-little"}
    path = tmp_path / "regex_code.json"
    path.write_text(json.dumps(other), encoding="utf-8")
    monkeypatch.setattr(lazyre, "CODE_FILE", str(path))
    assert lazyre._load_saved() == {}


def test_damaged_saved_code_is_compiled_as_usual(monkeypatch: pytest.MonkeyPatch) -> None:
    source, flags, final_flags, code, *rest = next(p for p in SAVED["patterns"] if "P<" in p[0])
    damaged = code[:-16] + "05000000" + code[-8:]  # an opcode the engine refuses
    monkeypatch.setattr(lazyre, "_saved", {(source, flags): [final_flags, damaged, *rest]})
    monkeypatch.setattr(lazyre, "MADE", [])
    assert lazyre._from_saved(source, flags) is None
    assert LazyPattern(source, flags).compiled == re.compile(source, flags)

"""Guided entry at a real terminal: asks for each test, re-asks a bad entry, Enter skips."""

import json
import sys

import pexpect

from tests.conftest import REPO


def test_guided_entry_through_a_pseudo_terminal() -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "b12check", "check", "--format", "json", "--notes", "none"],
        cwd=str(REPO),
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
        encoding="utf-8",
        timeout=20,
    )
    child.expect("Sex")
    child.sendline("female")
    child.expect(r"Vitamin B12 \[pg/mL, ng/L, pmol/L\]")
    child.sendline("lots")  # not a number: asked again
    child.expect("Could not read that")
    child.expect("Vitamin B12")
    child.sendline("250 pg/mL")
    child.expect("25-hydroxyvitamin D")
    child.sendline("")  # Enter skips
    child.expect("Magnesium")
    child.sendline("")
    child.expect("Ferritin")
    child.sendline("170")
    for _ in range(5):  # iron, TIBC, TSAT, MMA, homocysteine: skipped
        child.expect(r"\]")
        child.sendline("")
    child.expect(pexpect.EOF)
    child.close()
    output = child.before
    data = json.loads(output[output.index("{") :])
    flags = [(r["analyte"], r["flag"]) for r in data["records"]]
    assert flags == [("b12", "borderline"), ("ferritin", "high")]  # female: 170 is high
    assert child.exitstatus == 1


def test_no_values_and_no_terminal_says_how_to_pass_values() -> None:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "b12check", "check"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 2
    assert b"NAME=VALUE" in done.stderr

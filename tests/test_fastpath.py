"""The click-free fast path (cli/fast.py, cli/fastparse.py): it reads a command line exactly
as click does or leaves it to click, and a run ends with the same bytes and status either way."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from b12check.cli import build
from b12check.cli.ending import DEBUG_KEY
from b12check.cli.fastparse import TABLE_FILE, parse
from b12check.cli.main import cli
from b12check.cli.paramtable import render_table

from .conftest import EXAMPLES, NO_CACHE

FAST = ("check", "scan", "explain")
TABLE = json.loads(Path(TABLE_FILE).read_text(encoding="utf-8"))


def click_reads(args: list[str]) -> tuple[dict[str, Any], bool] | None:
    """The parameters click's make_context gives the command, and whether --debug was
    seen; None when click refuses the line (or answers it, as --help does)."""
    name, rest = args[0], args[1:]
    try:
        parent = cli.make_context("b12check", list(args))
        ctx = cli.commands[name].make_context(name, list(rest), parent=parent)
    except (click.ClickException, click.exceptions.Exit):
        return None
    return ctx.params, bool(ctx.meta.get(DEBUG_KEY))


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("places")
    (root / "lab.csv").write_text("test,result,unit\nB12,250,pg/mL\n", encoding="utf-8")
    (root / "folder").mkdir()
    return {
        "file": str(root / "lab.csv"),
        "dir": str(root / "folder"),
        "missing": str(root / "nowhere.csv"),
    }


TRICKY = ["-", "--", "-h", "--help", "-x", "--nope", "=", "", "a=b", "-qf", "--format=", "-5"]


def values_for(param: dict[str, Any], places: dict[str, str]) -> st.SearchStrategy[str]:
    """Texts for a parameter: ones click accepts and ones it refuses."""
    kind = param["type"]["kind"]
    anything = st.sampled_from(TRICKY) | st.text(max_size=6)
    if kind == "choice":
        return st.sampled_from(param["type"]["choices"]) | st.sampled_from(["JSON", "x"])
    if kind == "float_range":
        numbers = ["0", "130", "45.5", "-1", "131", "nan", "inf", "1_0", " 7 ", "1e2", "x"]
        return st.sampled_from(numbers) | anything
    if kind == "path":
        return st.sampled_from(list(places.values()) + ["-"])
    if param["name"] == "sex":
        return st.sampled_from(["female", "M", "f", "x", "MALE"]) | anything
    return st.sampled_from(["b12=250pg/mL", "ferritin=30", "test=Assay", "b12"]) | anything


@st.composite
def command_lines(draw: st.DrawFn, places: dict[str, str]) -> list[str]:
    name = draw(st.sampled_from(FAST))
    params = TABLE["commands"][name]["params"]
    options = [p for p in params if p["kind"] == "option"]
    args: list[str] = [name]
    for _ in range(draw(st.integers(0, 7))):
        piece = draw(st.sampled_from(["option", "option", "positional", "tricky", "dashdash"]))
        if piece == "positional":
            args.append(draw(st.sampled_from([places["file"], "b12=250pg/mL", "-", "b12"])))
        elif piece == "tricky":
            args.append(draw(st.sampled_from(TRICKY)))
        elif piece == "dashdash":
            args.append("--")
        else:
            param = draw(st.sampled_from(options))
            opt = draw(st.sampled_from(param["opts"]))
            if param["flag"]:
                args.append(opt)
                continue
            value = draw(values_for(param, places))
            if opt.startswith("--") and draw(st.booleans()):
                args.append(f"{opt}={value}")
            else:
                args.extend([opt, value])
    return args


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_fast_parser_declines_or_reads_exactly_as_click(
    data: st.DataObject, places: dict[str, str]
) -> None:
    args = data.draw(command_lines(places))
    fast = parse(args, {})
    if fast is None:
        return  # click takes the run: always safe
    clicked = click_reads(args)
    assert clicked is not None, f"the fast path accepted what click refuses: {args}"
    name, params, meta = fast
    assert name == args[0]
    assert (params, bool(meta.get(DEBUG_KEY))) == clicked


@pytest.mark.parametrize(
    "args",
    [
        ["check", "b12=250pg/mL", "ferritin=30", "--format", "json"],
        ["check", "-f", "csv", "--sex", "F", "--age", "40", "b12=250", "--debug", "-q"],
        ["scan", "--format=csv", "--", "-"],
        ["scan", "--column", "test=Assay", "--column=result=Reading", "-o", "-", "x.csv"],
        ["scan", "--ranges", "a.yaml", "--ranges", "b.yaml", "--analyte", "b12", "f.csv"],
    ],
)
def test_common_command_lines_take_the_fast_path(args: list[str]) -> None:
    fast = parse(args, {})
    assert fast is not None
    assert (fast[1], bool(fast[2].get(DEBUG_KEY))) == click_reads(args)


@pytest.mark.parametrize(
    ("args", "environ"),
    [
        (["check", "b12=250", "--help"], {}),
        (["check", "b12=250", "-qf", "json"], {}),  # a bundle of short options
        (["check", "b12=250", "--sex", "x"], {}),  # click's message for a sex it cannot read
        (["check", "b12=250", "--age", "nan"], {}),
        (["check", "b12=250", "--format"], {}),
        (["check", "b12=250", "--quiet=yes"], {}),
        (["scan", "--patients", "/no/such/file.csv", "x.csv"], {}),
        (["check", "b12=250"], {"B12CHECK_RANGES": "lab.yaml"}),  # click reads the variable
        (["check", "b12=250"], {"_B12CHECK_COMPLETE": "bash_complete"}),
        (["--version"], {}),
        (["ranges"], {}),
    ],
)
def test_anything_unsure_is_left_to_click(args: list[str], environ: dict[str, str]) -> None:
    assert parse(args, environ) is None


def test_the_table_is_what_click_says_now() -> None:
    """Rebuilt from click's objects, the table is the shipped one (python -m b12check.cli.build)."""
    assert render_table() == Path(TABLE_FILE).read_text(encoding="utf-8")


def test_build_check_fails_when_the_table_is_stale(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert build.main(["--check"]) == 0
    stale = json.dumps({"commands": {}})  # e.g. an option added to click, the table not rebuilt
    monkeypatch.setattr("b12check.cli.paramtable.render_table", lambda: stale)
    assert build.main(["--check"]) == 1
    assert "cli_params.json is out of date" in capsys.readouterr().err


ENTRIES = {  # the console entry point (the fast path first), or straight into click
    "entry": "from b12check.cli.entry import main; main()",
    "click": "from b12check.cli.main import main; main()",
}


def run(entry: str, args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
    """``args`` through the console entry point or straight through click."""
    code = ENTRIES[entry]
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", NO_CACHE: "", **env}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_a_plain_check_never_imports_click(tmp_path: Path) -> None:
    probe = (
        "import atexit, sys;"
        "atexit.register(lambda: sys.stderr.write('click loaded' if 'click' in sys.modules"
        " else 'no click'));"
        "sys.argv[1:] = ['check', 'b12=250pg/mL', 'ferritin=30', '--format', 'json'];"
        "from b12check.cli.entry import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, cwd=tmp_path, timeout=120, check=False
    )
    assert done.returncode == 1  # both values are borderline
    assert json.loads(done.stdout)["summary"]["records"] == 2
    assert done.stderr.decode().endswith("no click")


SAMPLE = str(EXAMPLES / "us-portal-export.csv")


@pytest.mark.parametrize(
    "args",
    [
        ["check", "b12=250pg/mL", "ferritin=30", "--format", "json"],
        ["check", "b12=250", "--format", "html", "--compare"],
        ["check", "b12=250pg/mL", "--guideline", "no-such-guideline"],
        ["check", "b12=250pg/mL", "--ranges", "bad.yaml"],
        ["check", "b12=250pg/mL", "-o", "no/such/dir/out.json"],
        ["check", "b12=250pg/mL", "--sex", "x"],
        ["check", "b12=250pg/mL", "--format", "nope"],
        ["check", "b12=250pg/mL", "extra", "--quiet"],
        ["scan", SAMPLE, "--format", "csv"],
        ["scan", SAMPLE, "--column", "foo"],
        ["scan", SAMPLE, "--analyte", "zz"],
        ["scan", SAMPLE, "--events", "events.csv"],
        ["scan", SAMPLE, "--per-patient", "--format", "html"],
        ["scan", SAMPLE, "--date-format", "%Y%Q"],
        ["scan", SAMPLE, "--encoding", "no-such-codec"],
        ["scan", "missing.csv", "--format", "ndjson"],
        ["scan", SAMPLE, "-o", SAMPLE],
        ["explain", "b12", "--format", "json"],
        ["explain", "no-such-test"],
        ["explain", "b12", "ferritin"],
    ],
)
def test_the_fast_path_ends_as_click_does(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("analytes: [\n", encoding="utf-8")
    (tmp_path / "events.csv").write_text("date,text\n2025-02-01,started\n", encoding="utf-8")
    fast, slow = run("entry", args, tmp_path), run("click", args, tmp_path)
    assert (fast.stdout, fast.stderr, fast.returncode) == (
        slow.stdout,
        slow.stderr,
        slow.returncode,
    )
    if fast.returncode == 2:
        assert fast.stderr.startswith(b"Usage: b12check ") or fast.stderr.startswith(b"b12check: ")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_ends_the_fast_path_as_it_ends_click(signum: int, code: int) -> None:
    """Stopped while reading stdin: the same lines on stderr and the same status."""
    ended = []
    for entry in ("entry", "click"):
        with subprocess.Popen(
            [sys.executable, "-c", ENTRIES[entry], "scan", "-", "--format", "csv"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "NO_COLOR": "1", NO_CACHE: ""},
        ) as process:
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(b"test,result,unit\n" + b"B12,250,pg/mL\n" * 2000)
            process.stdin.flush()
            process.stdout.readline()  # results are coming: the run is under way
            process.send_signal(signum)
            _, err = process.communicate(timeout=60)
        ended.append((err, process.returncode))
    assert ended[0] == ended[1]
    assert ended[0][1] == code

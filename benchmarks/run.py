"""Run every performance target of PRODUCT.md side by side with its reference.

Usage: ``python benchmarks/run.py [--quick] [--pairs N] [--rows N]``

Each timed target runs alternately with its reference (A B A B ...) in the same run, the
ratio A/B is taken pair by pair, and the median ratio (with min-max) is compared with the
threshold. Peak memory comes from ``/usr/bin/time -v`` (or, without it, from
``resource.getrusage(RUSAGE_CHILDREN)`` in a small child wrapper per run). The report is
a Markdown table on stdout; progress goes to stderr. The exit status is 0 whatever the
numbers (machines are noisy; CI must not fail on timing); the last line says
``all targets met`` or ``N target(s) missed``. See benchmarks/README.md.
"""

import argparse
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
SEED = 12
TIME_BIN = Path("/usr/bin/time")
KIB_PER_MIB = 1024
OK_CODES = (0, 1)  # b12check exits 1 when a value is flagged: still a successful run
PARTIAL_CODE = 3  # some input could not be read: measured, but reported
# Settings of the calling shell that change what is measured (unbuffered stdout costs the
# floor ~35 %, no bytecode cache costs start-up): measured commands run without them.
ENV_DROP = (
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONDEVMODE",
    "PYTHONPROFILEIMPORTTIME",
    "PYTHONTRACEMALLOC",
    "PYTHONMALLOC",
    "PYTHONMALLOCSTATS",
    "PYTHONVERBOSE",
    "PYTHONDEBUG",
    "PYTHONINSPECT",
    "PYTHONWARNINGS",
    "PYTHONASYNCIODEBUG",
    "PYTHONFAULTHANDLER",
)
RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "with open(sys.argv[1], 'w') as f:\n"
    "    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(rc)\n"
)
FLOOR_NAME = "`python benchmarks/floor.py`"
RSS_PATTERN = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")


class RunError(Exception):
    """A measured command could not run or failed; the message is one short line."""


@dataclass(frozen=True)
class Config:
    quick: bool
    startup_pairs: int
    startup_warmups: int
    throughput_pairs: int
    throughput_warmups: int
    memory_runs: int
    small_rows: int
    mid_rows: int | None  # the 100k file for RSS growth; None in quick mode
    big_rows: int
    timeout: float


@dataclass(frozen=True)
class Run:
    seconds: float
    rss_kib: int | None
    note: str | None  # set when the command exited with PARTIAL_CODE


@dataclass(frozen=True)
class Pair:
    a: Run
    b: Run


@dataclass(frozen=True)
class Row:
    target: str
    measured: str
    threshold: str
    status: str  # PASS | FAIL | ERROR | n/a


class Runner:
    """Runs one command with output to /dev/null, timing it and optionally its peak RSS."""

    def __init__(self, memory_method: str, env: dict[str, str], scratch: Path, timeout: float):
        self.memory_method = memory_method  # "time" or "getrusage"
        self.env = env
        self.rss_path = scratch / "rss.txt"
        self.timeout = timeout

    def argv(self, cmd: Sequence[str], rss: bool) -> list[str]:
        if not rss:
            return list(cmd)
        if self.memory_method == "time":
            return [str(TIME_BIN), "-v", "-o", str(self.rss_path), *cmd]
        return [sys.executable, "-c", RSS_WRAPPER, str(self.rss_path), *cmd]

    def run(self, cmd: Sequence[str], rss: bool = False) -> Run:
        self.rss_path.unlink(missing_ok=True)
        with tempfile.TemporaryFile() as err:
            seconds, code = self._timed(self.argv(cmd, rss), err)
            stderr = read_head_tail(err)
        check_outcome(code, stderr)
        note = f"exit {code}: {summarize(stderr)}" if code == PARTIAL_CODE else None
        return Run(seconds, self._rss_kib() if rss else None, note)

    def preflight(self, cmd: Sequence[str]) -> None:
        """One untimed run that must write something to stdout: an exit status of 1 alone
        cannot tell "a value was flagged" from "No module named b12check"."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            _, code = self._timed(list(cmd), err, out)
            stderr = read_head_tail(err)
            written = out.seek(0, os.SEEK_END)
        check_outcome(code, stderr)
        if written == 0:
            raise RunError(summarize(stderr) or f"nothing on stdout (exit status {code})")

    def _timed(
        self, argv: list[str], err: IO[bytes], out: IO[bytes] | int = subprocess.DEVNULL
    ) -> tuple[float, int]:
        # A blocking wait: Popen.wait(timeout=...) polls with growing sleeps, which would
        # round every measured time up to the polling step. A timer thread, started before
        # the clock, kills a hang.
        started: list[subprocess.Popen[bytes]] = []
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            for proc in started:
                kill_group(proc)

        watchdog = threading.Timer(self.timeout, kill)
        watchdog.start()
        try:
            start = time.perf_counter()
            proc = self._spawn(argv, err, out)
            started.append(proc)
            try:
                code = proc.wait()
            except BaseException:  # e.g. Ctrl-C: do not leave the command running
                kill_group(proc)
                proc.wait()
                raise
            elapsed = time.perf_counter() - start
        finally:
            watchdog.cancel()
        if killed.is_set():
            raise RunError(f"timed out after {self.timeout:.0f} s")
        return elapsed, code

    def _spawn(
        self, argv: list[str], err: IO[bytes], out: IO[bytes] | int
    ) -> subprocess.Popen[bytes]:
        try:
            return subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=self.env,
                start_new_session=True,  # own process group: a kill also reaches the
            )  # command under /usr/bin/time or the wrapper
        except OSError as exc:
            raise RunError(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc

    def _rss_kib(self) -> int:
        try:
            text = self.rss_path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise RunError(f"no peak-memory figure: {exc}") from exc
        if self.memory_method == "getrusage":
            return int(text.strip())
        match = RSS_PATTERN.search(text)
        if match is None:
            raise RunError("no 'Maximum resident set size' line from /usr/bin/time -v")
        return int(match.group(1))


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the command's process group (it was started in a session of its own)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def read_head_tail(handle: IO[bytes], head: int = 65536, tail: int = 16384) -> str:
    """The start and the end of a (possibly huge) stderr capture."""
    size = handle.seek(0, os.SEEK_END)
    handle.seek(0)
    data = handle.read(head)
    if size > head:
        handle.seek(max(head, size - tail))
        data += b"\n" + handle.read()
    return data.decode("utf-8", errors="replace")


def summarize(stderr: str) -> str:
    """One line for a table cell: the exception line of a traceback, else the first line
    that starts with "error" (click puts it after the usage lines), else the first line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("Command exited with non-zero")]
    if not lines:
        return ""
    errors = [line for line in lines if line.lower().startswith("error")]
    if "Traceback (most recent call last)" in stderr:
        line = lines[-1]
    else:
        line = errors[0] if errors else lines[0]
    return line if len(line) <= 160 else line[:157] + "..."


def check_outcome(code: int, stderr: str) -> None:
    """Raise RunError unless the command ran to completion (0, 1 or 3, no traceback)."""
    if "Traceback (most recent call last)" in stderr:
        raise RunError(summarize(stderr) or "traceback")
    if code not in OK_CODES and code != PARTIAL_CODE:
        raise RunError(summarize(stderr) or f"exit status {code}")


def measure_pairs(
    runner: Runner,
    a_cmd: Sequence[str],
    b_cmd: Sequence[str],
    pairs: int,
    warmups: int,
    rss: bool = False,
) -> list[Pair]:
    """Run A B A B ...; the first ``warmups`` pairs are discarded."""
    kept = []
    for index in range(warmups + pairs):
        a = runner.run(a_cmd, rss)
        try:
            b = runner.run(b_cmd, rss)
        except RunError as exc:
            raise RunError(f"reference failed: {exc}") from exc
        if index >= warmups:
            kept.append(Pair(a, b))
    return kept


def fmt_seconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fmt_mib(kib: float) -> str:
    return f"{kib / KIB_PER_MIB:.1f} MiB"


def cell(text: str) -> str:
    """Make text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def error_row(target: str, threshold: str, message: str) -> Row:
    return Row(target, cell(f"ERROR: {message}"), threshold, "ERROR")


def ratio_row(target: str, threshold: float, ref_name: str, pairs: list[Pair]) -> Row:
    """Median and min-max of the pairwise ratios, with the median seconds of each side."""
    ratios = [pair.a.seconds / pair.b.seconds for pair in pairs]
    median = statistics.median(ratios)
    a_med = statistics.median(pair.a.seconds for pair in pairs)
    b_med = statistics.median(pair.b.seconds for pair in pairs)
    measured = (
        f"{median:.2f}× ({min(ratios):.2f}–{max(ratios):.2f}); "
        f"{fmt_seconds(a_med)} vs {fmt_seconds(b_med)}, {len(pairs)} pairs"
    )
    notes = sorted({pair.a.note for pair in pairs if pair.a.note})
    if notes:
        measured += f"; WARNING {notes[0]}"
    status = "PASS" if median <= threshold else "FAIL"
    return Row(target, cell(measured), f"≤ {threshold:g}× {ref_name}", status)


def limit_row(
    target: str, value_kib: float, limit_mib: float, detail: str, signed: bool = False
) -> Row:
    status = "PASS" if value_kib <= limit_mib * KIB_PER_MIB else "FAIL"
    sign = "+" if signed and value_kib >= 0 else ""
    measured = f"{sign}{fmt_mib(value_kib)} ({detail})"
    return Row(target, cell(measured), f"≤ {limit_mib:g} MiB", status)


def b12check_command() -> tuple[list[str], str]:
    """The console script next to sys.executable, else ``sys.executable -m b12check``."""
    bindir = Path(sys.executable).parent
    for name in ("b12check", "b12check.exe"):
        script = bindir / name
        if script.is_file() and os.access(script, os.X_OK):
            return [str(script)], f"console script `{script}`"
    return (
        [sys.executable, "-m", "b12check"],
        f"`{sys.executable} -m b12check` (no console script in `{bindir}`)",
    )


def memory_method(requested: str) -> tuple[str, str]:
    """Pick how peak RSS is read, and say how in the report."""
    have_time = TIME_BIN.is_file() and os.access(TIME_BIN, os.X_OK)
    if requested == "time" or (requested == "auto" and have_time):
        if not have_time:
            raise SystemExit(f"{TIME_BIN} not found; use --memory getrusage")
        return "time", f"`{TIME_BIN} -v` (Maximum resident set size), on both sides of each pair"
    reason = "requested" if requested == "getrusage" else f"{TIME_BIN} not found"
    return "getrusage", (
        f"{reason}: `resource.getrusage(RUSAGE_CHILDREN).ru_maxrss` from a child python "
        "wrapper around each measured run (both sides of each throughput pair are wrapped; "
        "reads about 1 MiB above `/usr/bin/time -v`)"
    )


def child_env() -> tuple[dict[str, str], list[str]]:
    env = dict(os.environ)
    dropped = [name for name in ENV_DROP if name in env]
    for name in dropped:
        del env[name]
    return env, dropped


def data_file(rows: int, env: dict[str, str], shape: str = "long") -> Path:
    """benchmarks/out/lab_<rows>_s<seed>.csv (``lab_<shape>_<rows>_s<seed>.csv`` for the other
    shapes), generated with gen_csv.py when missing."""
    name = f"lab_{rows}_s{SEED}.csv" if shape == "long" else f"lab_{shape}_{rows}_s{SEED}.csv"
    path = OUT_DIR / name
    if path.is_file():
        return path
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    progress(f"generating {path.relative_to(BENCH_DIR.parent)} ({rows:,} values)")
    subprocess.run(
        [
            sys.executable,
            str(BENCH_DIR / "gen_csv.py"),
            str(rows),
            str(partial),
            "--seed",
            str(SEED),
            "--shape",
            shape,
        ],
        check=True,
        env=env,
    )
    partial.replace(path)
    return path


def fhir_file(rows: int, env: dict[str, str]) -> Path:
    """benchmarks/out/obs_<rows>_s<seed>.ndjson (FHIR R4 NDJSON), made by gen_fhir.py."""
    path = OUT_DIR / f"obs_{rows}_s{SEED}.ndjson"
    if path.is_file():
        return path
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    progress(f"generating {path.relative_to(BENCH_DIR.parent)} ({rows:,} Observations)")
    command = [sys.executable, str(BENCH_DIR / "gen_fhir.py"), str(rows), str(partial)]
    subprocess.run([*command, "--seed", str(SEED)], check=True, env=env)
    partial.replace(path)
    return path


def fhir_rows(runner: Runner, cfg: Config, b12: list[str], env: dict[str, str]) -> list[Row]:
    """``scan`` of FHIR NDJSON against its floor (json.loads per line, bisect), and its
    peak RSS."""
    n = f"{cfg.big_rows:,}"
    t_target = f"`b12check scan` {n} Observations, FHIR NDJSON, `--format ndjson`"
    m_target = f"peak RSS, FHIR NDJSON {n} Observations"
    floor_name = "`python benchmarks/floor_fhir.py`"
    small, big = fhir_file(cfg.small_rows, env), fhir_file(cfg.big_rows, env)
    floor = [sys.executable, str(BENCH_DIR / "floor_fhir.py")]
    progress(f"throughput: {t_target}")
    try:
        runner.preflight([*b12, "scan", str(small), "--format", "ndjson"])
        pairs = measure_pairs(
            runner,
            [*b12, "scan", str(big), "--format", "ndjson"],
            [*floor, str(big)],
            max(1, min(cfg.throughput_pairs, 3)),
            cfg.throughput_warmups,
            rss=True,
        )
    except RunError as exc:
        return [
            error_row(t_target, f"≤ 3× {floor_name}", str(exc)),
            error_row(m_target, "≤ 40 MiB", str(exc)),
        ]
    throughput = ratio_row(t_target, 3.0, floor_name, pairs)
    if cfg.quick:
        throughput = replace(throughput, measured=f"{throughput.measured} (quick)", status="n/a")
    peak = max(pair.a.rss_kib or 0 for pair in pairs)
    floor_rss = max(pair.b.rss_kib or 0 for pair in pairs)
    detail = f"max of {len(pairs)} runs; floor {fmt_mib(floor_rss)}"
    return [throughput, limit_row(m_target, peak, 40, detail)]


def progress(message: str) -> None:
    print(f"[run.py] {message}", file=sys.stderr, flush=True)


def short(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def startup_rows(
    runner: Runner, cfg: Config, b12: list[str], small: Path
) -> tuple[list[Row], list[float]]:
    """The four start-up targets, each paired with ``python -c pass``."""
    baseline = [sys.executable, "-c", "pass"]
    specs: list[tuple[str, list[str], float]] = [
        ("`b12check --version`", ["--version"], 4.0),
        ("`b12check --help`", ["--help"], 4.0),
        (
            "`b12check check b12=250pg/mL ferritin=30 --format json`",
            ["check", "b12=250pg/mL", "ferritin=30", "--format", "json"],
            6.0,
        ),
        (
            f"`b12check scan {short(small)} --format csv` ({cfg.small_rows} rows)",
            ["scan", str(small), "--format", "csv"],
            6.0,
        ),
    ]
    rows: list[Row] = []
    base_seconds: list[float] = []
    for target, args, threshold in specs:
        progress(f"start-up: {target}")
        try:
            runner.preflight([*b12, *args])
            pairs = measure_pairs(
                runner, [*b12, *args], baseline, cfg.startup_pairs, cfg.startup_warmups
            )
        except RunError as exc:
            rows.append(error_row(target, f"≤ {threshold:g}× `python -c pass`", str(exc)))
            continue
        base_seconds.extend(pair.b.seconds for pair in pairs)
        rows.append(ratio_row(target, threshold, "`python -c pass`", pairs))
    return rows, base_seconds


@dataclass(frozen=True)
class ScanResult:
    rows: list[Row]
    floor_seconds: list[float]
    floor_rss_kib: list[int]


def scan_rows(
    runner: Runner, cfg: Config, b12: list[str], files: tuple[Path, Path, Path | None], fmt: str
) -> ScanResult:
    """Throughput (vs the floor), peak RSS and RSS growth of ``scan`` to one format."""
    n = f"{cfg.big_rows:,}"
    t_target = f"`b12check scan` {n} rows `--format {fmt}`"
    m_target = f"peak RSS, `scan` {n} rows `--format {fmt}`"
    grown = n if cfg.mid_rows else "1,000,000"
    g_target = f"RSS growth, `scan` 100,000 → {grown} rows `--format {fmt}`"
    small, big, mid = files
    floor = [sys.executable, str(BENCH_DIR / "floor.py")]
    progress(f"throughput: {t_target}")
    try:
        runner.preflight([*b12, "scan", str(small), "--format", fmt])
        try:
            runner.preflight([*floor, str(small)])
        except RunError as exc:
            raise RunError(f"reference failed: {exc}") from exc
        floor.append(str(big))
        pairs = measure_pairs(
            runner,
            [*b12, "scan", str(big), "--format", fmt],
            floor,
            cfg.throughput_pairs,
            cfg.throughput_warmups,
            rss=True,
        )
    except RunError as exc:
        return ScanResult(
            [
                error_row(t_target, f"≤ 1.5× {FLOOR_NAME}", str(exc)),
                error_row(m_target, "≤ 40 MiB", str(exc)),
                growth_na(g_target, cfg) or error_row(g_target, "≤ 2 MiB", str(exc)),
            ],
            [],
            [],
        )
    peak = max(pair.a.rss_kib or 0 for pair in pairs)
    floor_rss = [pair.b.rss_kib or 0 for pair in pairs]
    throughput = ratio_row(t_target, 1.5, FLOOR_NAME, pairs)
    if cfg.quick:  # at 10,000 rows start-up outweighs throughput: shown, not judged
        throughput = replace(throughput, measured=f"{throughput.measured} (quick)", status="n/a")
    rows = [
        throughput,
        limit_row(m_target, peak, 40, f"max of {len(pairs)} runs; floor {fmt_mib(max(floor_rss))}"),
        growth_na(g_target, cfg) or growth_row(runner, cfg, g_target, b12, mid, fmt, peak),
    ]
    return ScanResult(rows, [pair.b.seconds for pair in pairs], floor_rss)


def growth_na(target: str, cfg: Config) -> Row | None:
    if cfg.quick:
        return Row(target, "n/a (quick)", "≤ 2 MiB", "n/a")
    if cfg.mid_rows is None:
        return Row(target, "n/a (--rows ≤ 100,000)", "≤ 2 MiB", "n/a")
    return None


def growth_row(
    runner: Runner,
    cfg: Config,
    target: str,
    b12: list[str],
    mid: Path | None,
    fmt: str,
    big_kib: int,
) -> Row:
    """RSS at the big file minus RSS at the 100k file (max of a few runs each)."""
    assert mid is not None and cfg.mid_rows is not None
    progress(f"memory: {target}")
    try:
        runs = [
            runner.run([*b12, "scan", str(mid), "--format", fmt], rss=True)
            for _ in range(cfg.memory_runs)
        ]
    except RunError as exc:
        return error_row(target, "≤ 2 MiB", str(exc))
    mid_kib = max(run.rss_kib or 0 for run in runs)
    detail = f"{fmt_mib(mid_kib)} → {fmt_mib(big_kib)}, max of {len(runs)} runs at 100k"
    return limit_row(target, big_kib - mid_kib, 2, detail, signed=True)


@dataclass(frozen=True)
class Case:
    """One more shape of export or way of running ``scan``, against the floor of its layout."""

    label: str
    shape: str
    args: tuple[str, ...]
    threshold: float


CASES = (
    *(
        Case(f"{what}, `--format {fmt}`", shape, ("--format", fmt), 2.0)
        for shape, what in (
            ("lab", "long + lab range + lab flag"),
            ("loinc", "long + LOINC"),
            ("birth", "long + birth date"),
            ("wide", "wide (against the wide floor)"),
        )
        for fmt in ("csv", "ndjson")
    ),
    Case("long, `--format json` (default notes)", "long", ("--format", "json"), 3.0),
    Case(
        "long, `--format csv --notes brief`", "long", ("--format", "csv", "--notes", "brief"), 3.0
    ),
)


def case_rows(
    runner: Runner, cfg: Config, b12: list[str], case: Case, env: dict[str, str]
) -> list[Row]:
    """Throughput against the floor of the case's layout, and its peak RSS and growth."""
    n = f"{cfg.big_rows:,}"
    t_target = f"`b12check scan` {n} values, {case.label}"
    grown = f" and growth 100,000 → {n}" if cfg.mid_rows else ""
    m_target = f"peak RSS{grown}, {case.label}"
    small = data_file(cfg.small_rows, env, case.shape)
    big = data_file(cfg.big_rows, env, case.shape)
    floor = [sys.executable, str(BENCH_DIR / "floor.py")]
    progress(f"throughput: {t_target}")
    try:
        runner.preflight([*b12, "scan", str(small), *case.args])
        pairs = measure_pairs(
            runner,
            [*b12, "scan", str(big), *case.args],
            [*floor, str(big)],
            max(1, min(cfg.throughput_pairs, 3)),
            cfg.throughput_warmups,
            rss=True,
        )
    except RunError as exc:
        return [
            error_row(t_target, f"≤ {case.threshold:g}× {FLOOR_NAME}", str(exc)),
            error_row(m_target, "≤ 40 MiB, ≤ 2 MiB growth", str(exc)),
        ]
    throughput = ratio_row(t_target, case.threshold, FLOOR_NAME, pairs)
    peak = max(pair.a.rss_kib or 0 for pair in pairs)
    if cfg.quick:
        throughput = replace(throughput, measured=f"{throughput.measured} (quick)", status="n/a")
        memory = Row(m_target, cell(f"peak {fmt_mib(peak)}; growth n/a (quick)"), "≤ 40 MiB", "n/a")
        return [throughput, memory]
    mid_kib = 0
    if cfg.mid_rows:
        mid = data_file(cfg.mid_rows, env, case.shape)
        try:
            runs = [
                runner.run([*b12, "scan", str(mid), *case.args], rss=True)
                for _ in range(cfg.memory_runs)
            ]
        except RunError as exc:
            return [throughput, error_row(m_target, "≤ 40 MiB, ≤ 2 MiB growth", str(exc))]
        mid_kib = max(run.rss_kib or 0 for run in runs)
    growth = peak - mid_kib if cfg.mid_rows else 0
    ok = peak <= 40 * KIB_PER_MIB and growth <= 2 * KIB_PER_MIB
    detail = f"peak {fmt_mib(peak)}" + (
        f"; {fmt_mib(mid_kib)} → {fmt_mib(peak)}, {'+' if growth >= 0 else ''}{fmt_mib(growth)}"
        if cfg.mid_rows
        else "; growth n/a"
    )
    memory = Row(m_target, cell(detail), "≤ 40 MiB, ≤ 2 MiB growth", "PASS" if ok else "FAIL")
    return [throughput, memory]


def print_table(rows: list[Row]) -> None:
    print("| target | measured (median, min–max) | threshold | result |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row.target} | {row.measured} | {row.threshold} | {row.status} |")


def build_config(args: argparse.Namespace) -> Config:
    quick: bool = args.quick
    big = args.rows if args.rows is not None else (10_000 if quick else 1_000_000)
    mid = None if quick or big <= 100_000 else 100_000
    return Config(
        quick=quick,
        startup_pairs=args.pairs or (3 if quick else 15),
        startup_warmups=1 if quick else 2,
        throughput_pairs=args.pairs or (1 if quick else 5),
        throughput_warmups=1,
        memory_runs=1 if quick else 2,
        small_rows=10,
        mid_rows=mid,
        big_rows=big,
        timeout=10.0 if quick else 600.0,
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="b12check performance targets vs references.")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI smoke mode: 10 and 10,000 rows, 3/1 pairs, no growth rows",
    )
    parser.add_argument("--pairs", type=int, help="pairs per timed row (overrides defaults)")
    parser.add_argument("--rows", type=int, help="rows in the big file (default 1,000,000)")
    parser.add_argument(
        "--cohort-rows", type=int, help="rows of the gzipped cohort file (default 10,000,000)"
    )
    parser.add_argument(
        "--memory",
        choices=("auto", "time", "getrusage"),
        default="auto",
        help="how peak RSS is read (default: /usr/bin/time -v if present)",
    )
    args = parser.parse_args(argv)
    if args.pairs is not None and args.pairs < 1:
        parser.error("--pairs must be >= 1")
    if args.rows is not None and args.rows < 1:
        parser.error("--rows must be >= 1")
    return args


def print_header(cfg: Config, b12_how: str, mem_how: str, dropped: list[str]) -> None:
    mode = "quick smoke run, not a measurement" if cfg.quick else "full run"
    print(f"# b12check benchmarks: {mode}\n")
    print(
        f"- python: `{sys.executable}` {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"- b12check: {b12_how}")
    print(f"- peak memory: {mem_how}")
    print(
        f"- pairs: start-up {cfg.startup_pairs} after {cfg.startup_warmups} warm-up, "
        f"throughput {cfg.throughput_pairs} after {cfg.throughput_warmups} warm-up; "
        "A B A B, ratio per pair; output to /dev/null"
    )
    if dropped:
        print(f"- removed from the measured commands' environment: {', '.join(dropped)}")
    print()


def print_context(
    base: list[float], floor_s: list[float], floor_kib: list[int], big_rows: int
) -> None:
    print()
    if base:
        print(f"- `python -c pass`: median {fmt_seconds(statistics.median(base))}")
    if floor_s:
        median = statistics.median(floor_s)
        print(
            f"- floor, {big_rows:,} rows: median {fmt_seconds(median)} "
            f"({big_rows / median:,.0f} rows/s), peak RSS {fmt_mib(max(floor_kib))}"
        )
    print("- ratios, not seconds, are the result: the machine is shared and noisy")


def print_verdict(rows: list[Row]) -> None:
    missed = sum(row.status in ("FAIL", "ERROR") for row in rows)
    skipped = sum(row.status == "n/a" for row in rows)
    print()
    if skipped:
        print(f"{skipped} target(s) not measured in this mode")
    print("all targets met" if missed == 0 else f"{missed} target(s) missed")


def cohort_default(cfg: Config) -> int:
    return 20_000 if cfg.quick else 10_000_000


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = build_config(args)
    env, dropped = child_env()
    mem, mem_how = memory_method(args.memory)
    b12, b12_how = b12check_command()
    small = data_file(cfg.small_rows, env)
    big = data_file(cfg.big_rows, env)
    mid = data_file(cfg.mid_rows, env) if cfg.mid_rows else None
    with tempfile.TemporaryDirectory(prefix="b12check-bench-") as scratch:
        runner = Runner(mem, env, Path(scratch), cfg.timeout)
        rows, base = startup_rows(runner, cfg, b12, small)
        scans = [scan_rows(runner, cfg, b12, (small, big, mid), fmt) for fmt in ("csv", "ndjson")]
        more = [row for case in CASES for row in case_rows(runner, cfg, b12, case, env)]
        more.extend(fhir_rows(runner, cfg, b12, env))
        from engine_rows import engine_rows  # (issue 17: DuckDB and Spark)

        more.extend(engine_rows(runner, cfg, b12, env, args.cohort_rows or cohort_default(cfg)))
    for kind in range(3):  # throughput rows, then peak RSS rows, then growth rows
        rows.extend(scan.rows[kind] for scan in scans)
    rows.extend(more)  # the other shapes and modes, each with its memory
    floor_s = [seconds for scan in scans for seconds in scan.floor_seconds]
    floor_kib = [kib for scan in scans for kib in scan.floor_rss_kib]
    print_header(cfg, b12_how, mem_how, dropped)
    print_table(rows)
    print_context(base, floor_s, floor_kib, cfg.big_rows)
    print_verdict(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

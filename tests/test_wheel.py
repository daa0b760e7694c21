"""The installed wheel carries its data and works outside the repository."""

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel, install it in a fresh virtual environment, return its bin folder."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("b12check-*.whl")
    env_dir = root / "env"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    return env_dir / "bin"


def _outside_env() -> dict[str, str]:
    """The environment without PYTHONPATH, so the installed wheel runs and not the source tree."""
    return {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}


def test_wheel_runs_from_another_directory(installed: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(installed / "b12check"), "check", "b12=250pg/mL", "--format", "json"],
        capture_output=True,
        cwd=tmp_path,
        check=False,
        env=_outside_env(),
    )
    assert done.returncode == 1, done.stderr.decode()
    record = json.loads(done.stdout)["records"][0]
    assert record["flag"] == "borderline"
    assert record["notes"]


def test_wheel_carries_the_yaml_and_compiled_data(installed: Path, tmp_path: Path) -> None:
    probe = (
        "from b12check.core.build import shipped_ranges_path, compile_data, render;"
        "from b12check.core.build import COMPILED;"
        "p = shipped_ranges_path(); print(p);"
        "assert render(compile_data(p)) == COMPILED.read_text(encoding='utf-8')"
    )
    done = subprocess.run(
        [str(installed / "python"), "-c", probe],
        capture_output=True,
        cwd=tmp_path,
        check=False,
        env=_outside_env(),
    )
    assert done.returncode == 0, done.stderr.decode()
    assert "site-packages/b12check/data/reference_ranges.yaml" in done.stdout.decode()

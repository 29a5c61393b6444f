"""Install anywhere (issue 12): the wheel holds everything the harness needs, and installed into a
fresh venv that cannot see this checkout, `kipu-harness run` passes the conformance suite and
`kipu-harness mocks up` serves the mocks and stops on Ctrl-C.

The wheel is built from a copy of the tracked files (nothing is left in the checkout). The fresh
venv gets the harness's dependencies without the network: a .pth file in it names a folder of
links to this venv's site-packages, minus the editable installs (this checkout's and the example
driver's: their dist-info and __editable__ finders), so kipu_harness can only come from the wheel;
a path a .pth names has its own .pth files ignored, so no finder of an editable install runs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import tomllib
import zipfile
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent


def tracked(root: Path = ROOT) -> list[str]:
    done = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"not a git checkout: {done.stderr.strip()}")
    return [path for path in done.stdout.split("\0") if path and (root / path).is_file()]


def wheel_path(path: str, folders: dict[str, str]) -> str | None:
    """Where a tracked file lies in the wheel (pyproject's package-dir: ``harness/x.py`` ->
    ``kipu_harness/x.py``), or None when it is outside every packaged folder."""
    for folder in sorted(folders, key=len, reverse=True):
        if path.startswith(folder + "/"):
            return folders[folder].replace(".", "/") + path[len(folder):]
    return None


def editable(entry: Path) -> bool:
    """An entry of site-packages that belongs to an editable install."""
    if entry.name.startswith("__editable__"):
        return True
    direct_url = entry / "direct_url.json"
    if entry.suffix == ".dist-info" and direct_url.exists():
        return json.loads(direct_url.read_text()).get("dir_info", {}).get("editable", False)
    return False


def dependencies_of_this_venv(folder: Path) -> Path:
    """A folder of links to this venv's site-packages without the editable installs."""
    folder.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not editable(entry) and entry.suffix != ".pth" and entry.name != "__pycache__":
            (folder / entry.name).symlink_to(entry)
    return folder


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the fresh venv's bin folder, the wheel's file names, the tracked files it must hold)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    files = tracked()
    for path in files:
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, source / path)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                            "-w", str(base / "dist"), str(source)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    [wheel] = (base / "dist").glob("kipu_harness-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    deps = dependencies_of_this_venv(base / "deps")
    (Path(purelib) / "kipu-harness-test-deps.pth").write_text(f"{deps}\n")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                           "--no-index", str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    folders = {folder: package for package, folder in config["tool"]["setuptools"]["package-dir"].items()}
    needed = {path: wheel_path(path, folders) for path in files if wheel_path(path, folders)}
    return venv / "bin", set(zipfile.ZipFile(wheel).namelist()), needed


def environment(tmp_path: Path) -> dict[str, str]:
    """A user's shell: none of this run's pytest settings, nothing of the checkout on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))}
    return {**env, "HOME": str(tmp_path)}


def test_the_wheel_holds_every_file_of_the_packaged_folders(installed):
    _, names, needed = installed
    missing = sorted(path for path, name in needed.items() if name not in names)
    assert not missing, f"tracked files missing from the wheel (a package or package-data rule?): {missing}"
    assert {"kipu_harness/facility.toml", "kipu_harness/requirements.csv", "kipu_harness/scenarios/pytest.ini"} <= names
    assert any(name.startswith("kipu_harness/scenarios/steps/") for name in names)


def test_the_fresh_venv_imports_the_wheel_not_the_checkout(installed, tmp_path):
    bin_dir, _, _ = installed
    code = ("import kipu_harness, kipu_harness.scenarios.paths as p, importlib.metadata as m;"
            "print(kipu_harness.__file__); print(p.FEATURES); print(m.distribution('kipu-harness').locate_file(''))")
    done = subprocess.run([str(bin_dir / "python"), "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env=environment(tmp_path), timeout=60)
    assert done.returncode == 0, done.stderr
    venv = str(bin_dir.parent)
    module, features, distribution = done.stdout.split("\n")[:3]
    assert module.startswith(venv) and features.startswith(venv) and distribution.startswith(venv), done.stdout
    assert str(ROOT) not in done.stdout


def test_kipu_harness_run_passes_the_suite_from_the_wheel(installed, tmp_path):
    bin_dir, _, _ = installed
    done = subprocess.run([str(bin_dir / "kipu-harness"), "run", "--reports", str(tmp_path / "reports")],
                          capture_output=True, text=True, cwd=tmp_path, env=environment(tmp_path), timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout.splitlines()[-2]
    assert (tmp_path / "reports" / "junit.xml").exists()


def test_mocks_up_serves_from_the_wheel_and_stops_on_ctrl_c(installed, tmp_path):
    bin_dir, _, _ = installed
    ports = [a for option in ("crm", "emr", "rcm", "payer", "mllp", "console") for a in (f"--{option}-port", "0")]
    process = subprocess.Popen([str(bin_dir / "kipu-harness"), "mocks", "up", "--memory", *ports], cwd=tmp_path,
                               env=environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(120, process.kill)  # a mocks up that never comes up fails, not hangs
    watchdog.start()
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C to stop"):
                break
        up = "".join(lines)
        assert "Ctrl-C to stop" in up, up + process.stderr.read()
        crm = next(line.split()[1] for line in lines if line.split()[:1] == ["CRM"])
        health = requests.get(f"{crm}/_mock/health", timeout=30)
        assert health.status_code == 200, health.text
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        watchdog.cancel()
    assert process.returncode == 0, err
    assert out.rstrip().endswith("stopped.")

"""Re-runs the calling script inside Benchmarks/peers/.venv, creating the virtualenv and
installing requirements.txt from PyPI first when needed. Used by catsim_compare.py and
locust_compare.py; no other side effect. Also holds what both scripts print about the
repository they ran from."""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"
REQUIREMENTS = HERE / "requirements.txt"
# Bounds on the set-up steps.
VENV_CREATE_TIMEOUT_SECONDS = 300
PIP_INSTALL_TIMEOUT_SECONDS = 900
PIP_NETWORK_TIMEOUT_SECONDS = 60


def _inside_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def ensure(probe_modules: list[str]) -> None:
    """Returns when running inside the peers' virtualenv with `probe_modules` importable;
    otherwise prepares the virtualenv and re-executes the current script in it."""
    if _inside_venv():
        missing = [m for m in probe_modules if not _importable(m)]
        if not missing:
            return
        _pip_install(Path(sys.executable))
        return
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"peers: creating virtualenv {VENV}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=VENV_CREATE_TIMEOUT_SECONDS)
    probe = "; ".join(f"import {m}" for m in probe_modules)
    if subprocess.run([str(python), "-c", probe], capture_output=True, timeout=120).returncode != 0:
        _pip_install(python)
    os.execv(str(python), [str(python), str(Path(sys.argv[0]).resolve()), *sys.argv[1:]])


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _pip_install(python: Path) -> None:
    print(f"peers: pip install -r {REQUIREMENTS.name} into {VENV}", file=sys.stderr)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--timeout", str(PIP_NETWORK_TIMEOUT_SECONDS),
         "-r", str(REQUIREMENTS)],
        check=True, timeout=PIP_INSTALL_TIMEOUT_SECONDS)


def repository_label(repo: Path) -> str:
    """The repository's HEAD as the scripts print it, noting uncommitted changes under Sources/
    (the tree when the script runs: the binary given may have been built before or after)."""
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--", "Sources"],
                               capture_output=True, text=True, timeout=30).stdout.strip()
        return f"HEAD {head}" + (" (tree has uncommitted Sources/ changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"

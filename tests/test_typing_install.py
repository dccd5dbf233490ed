"""A user's mypy finds the installed vermilion, and its ``py.typed``, from outside the repository.

After the README's ``pip install -e .``, setuptools used to install an import hook that only
Python itself follows: a user's type checker reported ``Cannot find implementation or library
stub for module named "vermilion"``.  ``pyproject.toml``'s ``package-dir = {"" = "."}`` makes the
editable install a plain path entry instead.  If this test fails in an old environment, reinstall
with ``pip install -e .``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

pytest.importorskip("mypy")

USER_CODE = '''\
import vermilion as vm
import vermilion.aio

tasks = vm.List(["a", "b"], key="tasks")
count: int = len(tasks)
reveal_type(vm.List)
reveal_type(vermilion.aio.List)
'''


def run_mypy(tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "user.py").write_text(code)
    (tmp_path / "mypy.ini").write_text("[mypy]\n")  # not the repository's configuration
    env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "PYTHONPATH")}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--no-incremental",
         "--python-executable", sys.executable, "user.py"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)


def test_mypy_finds_the_installed_package_and_its_py_typed(tmp_path: Path) -> None:
    try:
        dist = metadata.distribution("vermilion")
    except metadata.PackageNotFoundError:
        pytest.skip("vermilion is not installed in this environment (pip install -e .)")
    p = run_mypy(tmp_path, USER_CODE)
    assert "import-not-found" not in p.stdout and "missing library stubs" not in p.stdout, (
        f"mypy cannot see the installed vermilion {dist.version} (reinstall with "
        f"pip install -e .):\n{p.stdout}{p.stderr}")
    assert p.returncode == 0, p.stdout + p.stderr
    revealed = [line for line in p.stdout.splitlines() if "Revealed type" in line]
    assert len(revealed) == 2, p.stdout
    for line in revealed:  # real types from the package, not Any from an unresolved import
        assert "vermilion." in line and '"Any"' not in line, line


def test_mypy_reports_a_type_error_in_user_code(tmp_path: Path) -> None:
    """The package's types are used, not ignored: misuse of its API is an error."""
    p = run_mypy(tmp_path, "import vermilion as vm\n\nvm.List(key=42)\n")
    assert p.returncode == 1, p.stdout + p.stderr
    assert 'Argument "key" to "List" has incompatible type "int"' in p.stdout, p.stdout

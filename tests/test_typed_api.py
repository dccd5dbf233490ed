"""The typed API as a user's type checker sees it: ``mypy --strict`` on user code.

``tests/typing/user_code.py`` pins, with ``assert_type``, what each operation returns on both
faces (``T`` on the sync face, ``Awaitable[T]`` on asyncio) for generic containers.  A second
snippet with mistakes must be rejected, so the check can fail.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # mypy takes a few seconds per run

HERE = Path(__file__).parent
ROOT = HERE.parent


def _mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
         "--no-incremental", "--python-version", "3.10", *args],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )


def test_user_code_type_checks_strictly() -> None:
    out = _mypy(str(HERE / "typing" / "user_code.py"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Success" in out.stdout


def test_type_errors_in_user_code_are_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import vermilion as vm\n"
        "import vermilion.aio as vma\n"
        "lst: vm.List[int] = vm.List(key='l')\n"
        "lst.append('x')\n"                       # wrong item type
        "n: str = lst.pop()\n"                    # pop returns int
        "async def f() -> None:\n"
        "    a = vma.List[int](key='l')\n"
        "    m: int = a.pop()\n"                  # an Awaitable, not an int
    )
    out = _mypy(str(bad))
    assert out.returncode == 1
    errors = [line for line in out.stdout.splitlines() if "bad.py" in line and ": error:" in line]
    assert len(errors) == 3, out.stdout
    assert "bad.py:4" in errors[0] and "bad.py:5" in errors[1] and "bad.py:8" in errors[2]

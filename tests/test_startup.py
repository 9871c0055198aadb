"""`cspay --help` starts fast because the command line imports nothing heavy until a command runs."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pydantic", "yaml", "rich", "decimal", "csv", "cspay.engine", "cspay.policy", "cspay.inputs")


def imported_by(code: str) -> set[str]:
    """The modules (of HEAVY) that running `code` in a fresh interpreter imports."""
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    names = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(names.stdout.split())
    return {name for name in HEAVY if name in loaded}


def test_importing_the_command_line_loads_nothing_heavy() -> None:
    """`import cspay.cli` (what `cspay --help` does) loads no pydantic, yaml, rich, decimal or engine."""
    assert set() == imported_by("import cspay.cli")


def test_help_loads_nothing_heavy() -> None:
    """Printing the help, as `cspay --help` does, loads none of them either."""
    code = (
        "import contextlib, io\nfrom cspay.cli import main\nsys.argv = ['cspay', '--help']\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n    main()"
    )
    assert set() == imported_by(code)

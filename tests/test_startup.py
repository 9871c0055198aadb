"""`cspay --help` starts fast because the command line imports nothing heavy until a command runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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


def test_a_month_end_job_without_a_ledger_loads_no_ledger() -> None:
    """compute without --ledger or --record pays as it did before the ledger's controls: it loads none of
    cspay.ledger (nor sqlite3), in every output format."""
    code = (
        f"import contextlib, io, pathlib, tempfile\nfrom cspay.cli import main\nroot = pathlib.Path('{ROOT}')\n"
        "out = pathlib.Path(tempfile.mkdtemp()) / 'pay.xlsx'\n"
        "for extra in ([], ['-f', 'csv'], ['-f', 'json'], ['-f', 'xlsx', '-o', str(out)]):\n"
        "    data = root / 'tests' / 'data'\n"
        "    sys.argv = ['cspay', 'compute', str(data / 'standard.yaml'), str(data / 'month.csv'), *extra]\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n        main()\n"
        "print(sorted(name for name in sys.modules if name.startswith(('cspay.ledger', 'sqlite3'))), file=sys.stderr)"
    )
    probe = subprocess.run([sys.executable, "-c", f"import sys\n{code}"], capture_output=True, text=True, check=True)
    assert "[]" == probe.stderr.strip().splitlines()[-1]

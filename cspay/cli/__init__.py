"""The cspay command line: parse flags, call the library, print, choose the exit code.

Each command group has its own module, which registers its commands on the shared Typer app when
imported; each imports its heavy dependencies inside its commands, so `cspay --help` stays fast.
"""

from __future__ import annotations

from typing import Any

from cspay.cli import (  # noqa: F401 - they register commands
    compute,
    controls,
    disputes,
    exports,
    ledger,
    payments,
    policy,
    review,
    rollout,
    statements,
)
from cspay.cli.common import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the `cspay` script."""
    import sys

    from cspay.cli import logs
    from cspay.errors import CspayError
    from cspay.outputs.files import ClosedOutput

    _stop_cleanly_on_termination()
    if sys.stdout is None:  # started with `>&-`: what a command prints becomes an error, not lost
        sys.stdout = ClosedOutput()
    if logs.asks_for_json(sys.argv[1:]):
        logs.log_as_json()
    try:
        app()
    except CspayError as error:  # raised outside a command, e.g. --help or --version on a closed stdout
        for line in error.lines():
            print(f"Error: {line}", file=sys.stderr)
        raise SystemExit(error.exit_code) from None
    finally:
        logs.finish()


def _stop_cleanly_on_termination() -> None:
    # By default SIGTERM and SIGHUP end the process at once, skipping `finally`: a half-written
    # temporary output file would stay behind. Exiting instead (128 + the signal's number, as a shell
    # reports it) unwinds, so atomic_output removes it; the file being replaced is never touched.
    import signal

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)

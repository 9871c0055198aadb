"""The cspay command line: parse flags, call the library, print, choose the exit code."""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.exceptions import TyperException

app = typer.Typer(
    name="cspay",
    help="Pay for customer-service agents: a YAML pay policy and a month of KPI metrics in, payslips out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class ReportFormat(StrEnum):
    text = "text"
    json = "json"


def _fail(lines: list[str], code: int) -> typer.Exit:
    for line in lines:
        typer.echo(f"Error: {line}", err=True)
    return typer.Exit(code)


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn cspay's errors into `Error:` lines and exit 1; never show a traceback or local values."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        from .errors import CspayError

        try:
            return command(*args, **kwargs)
        except CspayError as error:
            raise _fail(error.lines(), error.exit_code) from None
        except (typer.Exit, typer.Abort, TyperException, KeyboardInterrupt):
            raise  # usage errors and exits belong to Typer
        except BrokenPipeError:  # the reader stopped early (`| head`): stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error from the last flush
            raise typer.Exit(141) from None  # 128 + SIGPIPE, as a shell reports it
        except Exception as error:  # the last guard before a user's terminal
            if os.environ.get("CSPAY_DEBUG"):
                raise
            where = _origin(error)
            raise _fail([f"internal error ({type(error).__name__} {where}); no pay data is shown. "
                         f"Set CSPAY_DEBUG=1 to see the traceback."], 1) from None

    return run


def _origin(error: BaseException) -> str:
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return ""
    return f"at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"


def _console(stream: Any = None) -> Any:
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # a reader that stopped early: handled by reports_errors like any output

    file = stream or sys.stdout
    wide = None if file.isatty() else 400  # piped output: never wrap or cut amounts
    return _Console(file=file, width=wide, no_color="NO_COLOR" in os.environ, soft_wrap=False)


@app.command()
@reports_errors
def compute(
    policy: Annotated[Path, typer.Argument(help="The pay policy (YAML).")],
    metrics: Annotated[Path, typer.Argument(help="One month of agent metrics (CSV).")],
    format: Annotated[Format, typer.Option("--format", "-f", help="table, csv or json.")] = Format.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output file.")] = False,
    encoding: Annotated[str | None, typer.Option(help="Force the CSV encoding (utf-8, gb18030 …).")] = None,
    delimiter: Annotated[str | None, typer.Option(help="Force the CSV delimiter (default: detected).")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of cspay's own words: en or zh "
                                                          "(default: the policy's locale, else en).")] = None,
) -> None:
    """Compute every agent's payslip for the month.

    Example: cspay compute policies/standard.yaml examples/standard-2026-11.csv
    """
    from .bulk import pay_to_csv
    from .engine import Summary, iter_payslips
    from .engine import compute as run_policy
    from .export import atomic_output, check_target, write_json
    from .loader import load_policy
    from .metrics import MetricsReader
    from .progress import advancing, progress_bar

    if delimiter is not None and len(delimiter) != 1:
        raise typer.BadParameter("expected one character, e.g. ';' or a tab", param_hint="--delimiter")
    if format is Format.table and output is not None:
        raise typer.BadParameter("--output needs --format csv or json", param_hint="--output")
    check_target(output, force)
    loaded = load_policy(policy)
    words = _words(lang, loaded)
    rows = MetricsReader(metrics, loaded, encoding=encoding, delimiter=_unescape(delimiter))
    if format is Format.table:
        with progress_bar(rows, words) as advance:
            result = run_policy(loaded, advancing(rows, advance))
        _print_run(loaded, result.payslips, result.summary, words)
        return
    summary = Summary()
    with atomic_output(output, force=force) as handle, progress_bar(rows, words) as advance:
        if format is Format.csv:
            pay_to_csv(rows, handle, summary, advance)
        else:
            payslips = _counted(iter_payslips(loaded, advancing(rows, advance)), summary)
            write_json(handle, loaded, payslips, summary)
    if output is not None:
        typer.echo(words("compute.wrote", count=summary.headcount, path=output,
                         gross=words.money(summary.gross, loaded.currency)), err=True)


def _unescape(delimiter: str | None) -> str | None:
    return "\t" if delimiter in ("\\t", "tab") else delimiter


def _counted(payslips: Iterator[Any], summary: Any) -> Iterator[Any]:
    for slip in payslips:
        summary.add(slip)
        yield slip


def _print_run(policy: Any, payslips: list[Any], summary: Any, words: Any) -> None:
    from .render import payslip_table, summary_table

    console = _console()
    console.print(payslip_table(policy, payslips, words))
    console.print(summary_table(policy, summary, words))


def _words(lang: str | None, policy: Any) -> Any:
    """cspay's words in the language asked for, else the policy's locale, else English."""
    from .i18n import Words, languages

    language = lang or policy.locale or "en"
    if language not in languages():
        raise typer.BadParameter(f"expected one of {', '.join(languages())}, got {language!r}",
                                 param_hint="--lang")
    return Words(language)


_LOCATED = re.compile(r"^(?P<file>.*?):(?P<line>\d+):(?P<column>\d+): (?P<message>.*)$")


@app.command("validate-policy")
@reports_errors
def validate_policy(
    policies: Annotated[list[Path], typer.Argument(help="Policy files to check.")],
    format: Annotated[ReportFormat, typer.Option("--format", "-f", help="text or json.")] = ReportFormat.text,
) -> None:
    """Check pay policies before they are used; every problem is reported with file:line:col.

    Example: cspay validate-policy policies/*.yaml
    """
    from .errors import PolicyError
    from .loader import load_policy

    reports = []
    for path in policies:
        try:
            policy = load_policy(path)
        except PolicyError as error:
            reports.append({"file": str(path), "valid": False, "errors": error.lines()})
            continue
        reports.append({"file": str(path), "valid": True, "errors": [], "summary": _policy_summary(policy)})
    if format is ReportFormat.json:
        typer.echo(json.dumps([_structured(report) for report in reports], ensure_ascii=False, indent=2))
    else:
        for report in reports:
            if report["valid"]:
                typer.echo(f"{report['file']}: ok: {report['summary']}")
            for line in report["errors"]:
                typer.echo(f"Error: {line}", err=True)
    if not all(report["valid"] for report in reports):
        raise typer.Exit(1)


def _policy_summary(policy: Any) -> str:
    return (f"{policy.policy} {policy.version}, {len(policy.roles)} roles, {len(policy.kpis)} KPIs, "
            f"{len(policy.grades)} grades, {len(policy.gates)} gates, {len(policy.adjustments)} adjustments")


def _structured(report: dict[str, Any]) -> dict[str, Any]:
    errors = []
    for line in report["errors"]:
        match = _LOCATED.match(line)
        if match:
            errors.append({"file": match["file"], "line": int(match["line"]),
                           "column": int(match["column"]), "message": match["message"]})
        else:
            errors.append({"file": report["file"], "line": None, "column": None, "message": line})
    return {**report, "errors": errors}


def main() -> None:
    """Entry point of the `cspay` script."""
    _stop_cleanly_on_termination()
    app()


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



# Commands kept in their own modules (cspay/cli_<topic>.py) register themselves on `app` when
# imported; each imports its heavy dependencies inside its commands, so `cspay --help` stays fast.
COMMAND_MODULES: tuple[str, ...] = ()

for _module in COMMAND_MODULES:
    import_module(_module)

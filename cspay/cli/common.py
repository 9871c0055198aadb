"""What every command shares: the Typer app, the error guard, the console and the options read alike."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.exceptions import TyperException

if TYPE_CHECKING:  # the library loads with the commands that use it: `cspay --help` needs none of it
    from cspay.i18n import Words
    from cspay.inputs.source import Source
    from cspay.inputs.sql_engine import EngineSettings
    from cspay.policy.model import Policy

app = typer.Typer(
    name="cspay",
    help="Pay for customer-service agents: a YAML pay policy and a month of KPI metrics in, payslips out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(shown: bool) -> None:
    if shown:
        from cspay import __version__

        typer.echo(f"cspay {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print cspay's version and exit.")
    ] = False,
) -> None:
    """Pay for customer-service agents: a YAML pay policy and a month of KPI metrics in, payslips out."""


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


class ListFormat(StrEnum):
    """The formats of a command that lists records: no workbook."""

    table = "table"
    csv = "csv"
    json = "json"


class LogFormat(StrEnum):
    text = "text"
    json = "json"


def log_format_option(value: LogFormat) -> LogFormat:
    """--log-format json turns stderr into JSON lines from here on, before any other option is checked."""
    if value is LogFormat.json:
        from cspay.cli.logs import log_as_json

        log_as_json()
    return value


def _fail(lines: list[str], code: int) -> typer.Exit:
    for line in lines:
        typer.echo(f"Error: {line}", err=True)
    return typer.Exit(code)


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn cspay's errors into `Error:` lines and exit 1; never show a traceback or local values."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        from cspay.errors import CspayError, UsageProblem

        try:
            return command(*args, **kwargs)
        except UsageProblem as problem:  # the inputs or the policy cannot do what the options ask
            raise typer.BadParameter(str(problem), param_hint=problem.option) from None
        except CspayError as error:
            raise _fail(error.lines(), error.exit_code) from None
        except (typer.Exit, typer.Abort, TyperException, KeyboardInterrupt):
            raise  # usage errors and exits belong to Typer
        except UnicodeEncodeError as error:
            if not _stdout_cannot_hold(error):
                raise _internal(error) from None
            from cspay.outputs.files import cannot_encode  # a terminal or pipe whose encoding cannot hold a name

            raise _fail(cannot_encode(error).lines(), 1) from None
        except BrokenPipeError:  # the reader stopped early (`| head`): stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error from the last flush
            raise typer.Exit(141) from None  # 128 + SIGPIPE, as a shell reports it
        except Exception as error:  # the last guard before a user's terminal
            raise _internal(error) from None

    return run


def _internal(error: Exception) -> typer.Exit:
    if os.environ.get("CSPAY_DEBUG"):
        raise error
    where = _origin(error)
    return _fail(
        [
            f"internal error ({type(error).__name__} {where}); no pay data is shown. "
            f"Set CSPAY_DEBUG=1 to see the traceback."
        ],
        1,
    )


def _stdout_cannot_hold(error: UnicodeEncodeError) -> bool:
    """Whether the text that failed is text standard output's encoding cannot hold: only then is the error
    the user's terminal's (a codec may name itself differently, e.g. cp1252 reports "charmap")."""
    encoding = getattr(sys.stdout, "encoding", None)
    text = error.object[error.start : error.end]
    try:
        text.encode(encoding or "utf-8")
    except UnicodeEncodeError:
        return True
    except LookupError:
        return False
    return False


def _origin(error: BaseException) -> str:
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return ""
    return f"at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"


def console(stream: Any = None) -> Any:
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # a reader that stopped early: handled by reports_errors like any output

    from cspay.outputs.files import standard_output

    file = stream or standard_output()
    wide = None if file.isatty() else 400  # piped output: never wrap or cut amounts
    plain = "NO_COLOR" in os.environ  # no colour and no other ANSI codes either (bold, underline)
    # People's text (names, teams, policy labels) is shown as written: no markup, emoji codes or highlighting.
    return _Console(
        file=file,
        width=wide,
        no_color=plain,
        color_system=None if plain else "auto",
        soft_wrap=False,
        markup=False,
        emoji=False,
        highlight=False,
    )


def delimiter_option(text: str | None) -> str | None:
    """--delimiter as the character it names (`tab` or `\\t` for a tab); exit 2 unless it is one character."""
    delimiter = "\t" if text in ("\\t", "tab") else text
    if delimiter is not None and len(delimiter) != 1:
        raise typer.BadParameter("expected one character, e.g. ';' or a tab", param_hint="--delimiter")
    return delimiter


def period_option(text: str | None, hint: str = "--period") -> Any:
    """--period (or a PERIOD argument) as a Period, None when not given; exit 2 when it names no period."""
    if text is None:
        return None
    from cspay.periods import parse_period

    try:
        return parse_period(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=hint) from None


ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Your name, recorded beside your operating-system account (for shared accounts)."),
]


def who_is(by: str | None) -> Any:
    """Who takes a step now: the operating-system account, and the name given with --by, which must show
    something as a reason must (exit 2 when it is blank or invisible)."""
    from cspay.cells import visible
    from cspay.ledger.reads import Who

    if by is not None and not visible(by):
        raise typer.BadParameter('expected a visible name, e.g. --by "Zhou Min"', param_hint="--by")
    return Who.now(by.strip() if by else None)


def text_of(value: str, option: str, example: str) -> str:
    """A reason, note or claim for the audit trail: it must show something (exit 2 when it is only spaces,
    zero-width or other invisible characters); kept without its surrounding spaces."""
    from cspay.cells import visible

    if not visible(value):
        raise typer.BadParameter(f'expected some visible text, e.g. {option} "{example}"', param_hint=option)
    return value.strip()


@contextmanager
def writing(path: Path) -> Iterator[Any]:
    """The ledger for a control step, held by this run's lock (exit 75 while a record holds it), its control
    tables checked; it must exist: a step never starts a ledger, nor leaves a lock file beside one that is
    not there."""
    from cspay.ledger.book import Ledger, check_exists
    from cspay.run.locks import locked

    check_exists(path)
    with locked([path]), Ledger(path, whole_check=False) as book:
        yield book


def add_row(table: Any, *cells: str) -> None:
    """A row of a table of the ledger's records, each control character shown as an escape: a reason or a
    user name never moves the cursor, clears the screen or turns the text around."""
    from cspay.cells import escape_controls

    table.add_row(*(escape_controls(cell) for cell in cells))


def words_for(lang: str | None, policy: Policy | None = None) -> Words:
    """cspay's words in the language asked for, else the policy's locale, else English."""
    from cspay.i18n import Words, languages

    language = lang or (policy.locale if policy is not None else None) or "en"
    if language not in languages():
        raise typer.BadParameter(f"expected one of {', '.join(languages())}, got {language!r}", param_hint="--lang")
    return Words(language)


# ---- the options every command that pays takes, read one way -------------------------------------

PolicyArgument = Annotated[Path, typer.Argument(help="The pay policy (YAML).")]
InputsArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="METRICS...",
        help="One month of agent metrics (CSV); for a quarterly or annual policy, its monthly "
        "files or a folder of them; for a policy with a metrics: section, the raw export (CSV or Parquet), "
        "left out with --derived.",
    ),
]
PeriodOption = Annotated[
    str | None,
    typer.Option(
        "--period", help="The period paid: 2026-11, 2026-Q4 or 2026; checked against the policy and any period column."
    ),
]
RosterOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--roster",
        help="Agents' roles, teams and worked days (CSV), when the policy derives METRICS from a raw "
        "export; once per month, or once with a period column.",
    ),
]
ChangesOption = Annotated[
    Path | None,
    typer.Option(
        "--changes",
        help="Agents' changes of role or team within the period (CSV: id, from, to, role, team); each part is "
        "paid by its days. Needs --period.",
    ),
]
TeamMetricsOption = Annotated[
    Path | None,
    typer.Option("--team-metrics", help="Each team's metrics (CSV), for a policy whose teams.score is team_metrics."),
]


def _text_encoding(name: str | None) -> str | None:
    """--encoding names a text encoding, or it is bad usage (exit 2)."""
    if name is None:
        return None
    from cspay.encodings import text_encoding

    try:
        return text_encoding(name)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--encoding") from None


EncodingOption = Annotated[
    str | None, typer.Option(help="Force the CSV encoding (utf-8, gb18030 …).", callback=_text_encoding)
]
DelimiterOption = Annotated[str | None, typer.Option(help="Force the CSV delimiter (default: detected).")]
DerivedOption = Annotated[
    Path | None,
    typer.Option(
        "--derived",
        help="The policy's derived metrics made elsewhere (CSV or Parquet, the columns `cspay metrics --format "
        "csv` writes, e.g. the result of `cspay metrics --sql` in a warehouse), in place of the raw export.",
    ),
]
MemoryOption = Annotated[
    str,
    typer.Option(
        "--memory-limit",
        envvar="CSPAY_MEMORY_LIMIT",
        help="The most memory the engine reading a raw export may use, like 512MB or 4GB; it spills to a "
        "temporary folder beyond that.",
    ),
]
ThreadsOption = Annotated[
    int, typer.Option("--threads", envvar="CSPAY_THREADS", help="Threads the engine reading a raw export may use.")
]
LangOption = Annotated[
    str | None,
    typer.Option("--lang", help="Language of cspay's own words: en or zh (default: the policy's locale, else en)."),
]
OpeningOption = Annotated[
    Path | None,
    typer.Option(
        "--opening",
        help="Each agent's year to date before cspay (CSV), for income tax withheld cumulatively: the months "
        "of the year neither the ledger nor this file covers cannot be paid.",
    ),
]
LedgerOption = Annotated[
    Path | None,
    typer.Option(
        "--ledger",
        envvar="CSPAY_LEDGER",
        help="The ledger whose corrections, true-ups and recorded grades the run takes in (needs --period).",
    ),
]


@dataclass(frozen=True)
class Inputs:
    """The options naming a run's inputs, as every command that pays takes them."""

    paths: list[Path] | None
    period: str | None = None
    rosters: list[Path] | None = None
    encoding: str | None = None
    delimiter: str | None = None
    derived: Path | None = None
    memory_limit: str = "1GB"
    threads: int = 2
    opening: Path | None = None
    changes: Path | None = None
    team_metrics: Path | None = None

    def engine(self) -> EngineSettings:
        from cspay.inputs.sql_engine import EngineSettings

        return EngineSettings(self.memory_limit, self.threads).check()


def open_source(policy: Policy, inputs: Inputs) -> Source:
    """The inputs named on the command line, resolved as every command resolves them."""
    from cspay.inputs.resolve import open_inputs

    if not inputs.paths and inputs.derived is None:
        raise typer.BadParameter("give the metrics file(s), or --derived FILE", param_hint="METRICS...")
    source = open_inputs(
        policy,
        inputs.paths or [],
        period_option(inputs.period),
        rosters=inputs.rosters or (),
        opening=inputs.opening,
        changes=inputs.changes,
        team_metrics=inputs.team_metrics,
        encoding=inputs.encoding,
        delimiter=delimiter_option(inputs.delimiter),
        derived=inputs.derived,
        engine=inputs.engine(),
    )
    settled()
    return source


def settled() -> None:
    """The inputs read stay until the command ends: the garbage collector stops walking them (a raw
    export's figures are millions of objects) and keeps collecting what comes after."""
    import gc

    gc.freeze()


def ledger_read(ledger: Path | None, period_known: bool, *, created: bool = False) -> Path | None:
    """The ledger a run takes in: one named for a known period. It must exist unless this run creates it
    (--record): a mistyped --ledger never pays a run as if nothing had been recorded."""
    if ledger is None or not period_known:
        return None
    if not created:
        from cspay.ledger.book import Ledger

        Ledger(ledger, read_only=True).close()  # LedgerError when there is no ledger there, or not a sound one
    return ledger


NOTES_SHOWN = 20  # notes of one kind printed in full; past them, one line counts the rest
# What counts the rest, for the notes made one per agent; any other kind is counted by "note.more".
MORE_NOTES = {"note.role_changed": "note.role_changed.more", "note.currency_changed": "note.currency_changed.more"}


def print_notes(source: Source, words: Words, quiet: bool = False) -> None:
    """What the analyst should know about the inputs, on stderr. Past NOTES_SHOWN notes of one kind (one
    per agent who changed role, say, in a month of reorganisation), one line counts the rest instead of
    filling a log with thousands."""
    if quiet:
        return
    counted: dict[str, int] = {}
    for note in source.notes:
        counted[note.key] = counted.get(note.key, 0) + 1
        if counted[note.key] <= NOTES_SHOWN:
            typer.echo(words(note.key, **note.values), err=True)
    for key, count in counted.items():
        if count > NOTES_SHOWN:
            typer.echo(words(MORE_NOTES.get(key, "note.more"), count=count - NOTES_SHOWN, total=count), err=True)

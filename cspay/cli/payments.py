"""`cspay export-pay`: an approved run written as a payroll import, a bank file or a journal, by a profile."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cspay.cli.common import ByOption, app, period_option, reports_errors, who_is, words_for
from cspay.cli.ledger import LangOption, LedgerOption


@app.command("export-pay")
@reports_errors
def export_pay(
    period: Annotated[str, typer.Argument(help="The approved period to pay: 2026-11.")],
    profile: Annotated[Path, typer.Option("--profile", help="The payment profile (YAML): the target's layout.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write.")],
    roster: Annotated[
        Path | None,
        typer.Option("--roster", help="Agents' bank accounts, cost centres … (CSV), when the profile reads them."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    by: ByOption = None,
    ledger: LedgerOption = Path("cspay.db"),
    lang: LangOption = "en",
) -> None:
    """Write an approved run in the layout another system imports: a payroll import, a bank file or a journal.

    Example: cspay export-pay 2026-11 --profile profiles/payroll-import.yaml --roster roster.csv -o pay.csv
    """
    from cspay.ledger.book import Ledger, check_exists
    from cspay.outputs.files import atomic_output, check_target
    from cspay.outputs.payfile import read_roster, write_payment_file
    from cspay.outputs.profile import load_profile
    from cspay.run.locks import locked

    words, label, who = words_for(lang), period_option(period, "PERIOD").label, who_is(by)
    loaded = load_profile(profile)
    needed = loaded.roster_columns()
    if needed and roster is None:
        raise typer.BadParameter(
            f"the profile {profile} reads {', '.join(needed)} from a roster", param_hint="--roster"
        )
    sidecar = output.with_name(output.name + ".sha256") if loaded.checksum else None
    check_target(output, force)
    check_target(sidecar, force)
    check_exists(ledger)  # no ledger there: an error, and none is made
    with locked([ledger, output]), Ledger(ledger, whole_check=False) as book:
        state = book.run_to_pay(label)
        if len(state.run.totals) > 1:  # a payment file's amounts and totals are in one currency
            raise typer.BadParameter(
                f"{label} version {state.run.version} pays {', '.join(state.run.grosses())}; a payment file holds "
                f"one currency, and export-pay does not split a run by currency",
                param_hint="PERIOD",
            )
        people = read_roster(roster, loaded) if roster is not None and needed else None
        with atomic_output(output, force=force, binary=True) as handle:
            written = write_payment_file(handle, loaded, state, book.recorded_payslips(state.run.id), people)
            if sidecar is not None:
                with atomic_output(sidecar, force=force) as check:
                    check.write(f"{written.sha256}  {output.name}\n")
            note = f"{loaded.profile}: {output.name}, {written.rows} rows, sha256 {written.sha256}"
            book.log_export(state.run.id, note, who)  # in the ledger before the file is in place
    run = state.run
    typer.echo(
        words(
            "export.wrote",
            rows=written.rows,
            path=output,
            profile=loaded.profile,
            period=label,
            version=run.version,
            agents=written.headcount,
            gross=words.money(written.gross, run.currency),
        )
    )
    if loaded.layout == "journal":
        typer.echo(words("export.balanced", debit=words.money(written.debit, run.currency)))
    if sidecar is not None:
        typer.echo(words("export.checksum", path=sidecar))

"""Commands for people who write policies: `cspay schema`."""

from __future__ import annotations

import typer

from .cli import app, reports_errors


@app.command("schema")
@reports_errors
def schema_command() -> None:
    """Print the JSON Schema of the policy format, for editors (YAML language server) and checks.

    Example: cspay schema > schema/policy.schema.json
    """
    from .schema import schema_text

    typer.echo(schema_text(), nl=False)

"""Commands for people who write policies: `cspay schema` and `cspay init`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from .cli import app, reports_errors


@app.command("schema")
@reports_errors
def schema_command() -> None:
    """Print the policy format's JSON Schema.

    For editors (the YAML language server completes and checks keys) and for checks in scripts.

    Example: cspay schema > schema/policy.schema.json
    """
    from .schema import schema_text

    typer.echo(schema_text(), nl=False)


@app.command()
@reports_errors
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter policy (YAML).")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a commented starter policy.

    Roles, four KPIs, grades and one gate, passing validate-policy --strict; never over an existing file.

    Example: cspay init policies/my-plan.yaml
    """
    from importlib import resources

    from .export import atomic_output
    from .i18n import Words

    text = (resources.files("cspay") / "starter.yaml").read_text(encoding="utf-8")
    with atomic_output(path, force=force) as handle:
        handle.write(text)
    _readable_by_umask(path)
    typer.echo(Words()("init.wrote", path=path), err=True)


def _readable_by_umask(path: Path) -> None:
    # Temporary files are private (0600); a policy is shared configuration, so let umask decide.
    mask = os.umask(0)
    os.umask(mask)
    path.chmod(0o666 & ~mask)

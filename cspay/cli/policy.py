"""Commands for people who write policies: `cspay validate-policy`, `cspay schema` and `cspay init`."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cspay.cli.common import app, reports_errors, words_for


class ReportFormat(StrEnum):
    text = "text"
    json = "json"


_LOCATED = re.compile(r"^(?P<file>.*?):(?P<line>\d+):(?P<column>\d+): (?P<message>.*)$")


@app.command("validate-policy")
@reports_errors
def validate_policy(
    policies: Annotated[list[Path], typer.Argument(help="Policy files to check.")],
    format: Annotated[ReportFormat, typer.Option("--format", "-f", help="text or json.")] = ReportFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when any warning is not silenced.")] = False,
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="Language of the warnings: en or zh (default: the policy's locale, else en)."),
    ] = None,
) -> None:
    """Check pay policies for errors and pitfalls.

    Errors (exit 1) and warnings about known pay-design pitfalls (CSP101 …), each with file:line:col.

    Example: cspay validate-policy --strict policies/*.yaml
    """
    if lang is not None:
        words_for(lang, None)  # a bad --lang is a usage error even when no policy loads
    reports = [_checked(path, lang) for path in policies]
    if format is ReportFormat.json:
        typer.echo(json.dumps([_structured(report) for report in reports], ensure_ascii=False, indent=2))
    else:
        for report in reports:
            _print_report(report)
    if not all(report["valid"] for report in reports):
        raise typer.Exit(1)
    if strict and any(report["warnings"] for report in reports):
        raise typer.Exit(1)


def _checked(path: Path, lang: str | None) -> dict[str, Any]:
    """One policy file's errors, or its summary and pitfall findings in the reader's language; a statutory
    pack file (its top level has `pack:`) is checked as a pack."""
    from cspay.errors import PolicyError
    from cspay.policy.loader import load_policy
    from cspay.rollout.lint import lint, warnings_of

    if _is_pack(path):
        return _checked_pack(path, lang)
    try:
        policy = load_policy(path)
    except PolicyError as error:
        return {"file": str(path), "valid": False, "errors": error.lines(), "warnings": [], "silenced": []}
    from cspay.policy.timeline import timeline_of

    words = words_for(lang, policy)
    findings = lint(policy, words)
    return {
        "file": str(path),
        "valid": True,
        "errors": [],
        "summary": _policy_summary(policy),
        "timeline": [
            {"from": day.isoformat(), "changes": [{"key": key, "old": old, "new": new} for key, old, new in items]}
            for day, items in timeline_of(policy.versions, policy.timelines)
        ],
        "warnings": warnings_of(findings),
        "silenced": [f for f in findings if f.reason is not None],
        "warning_word": words("lint.warning"),
        "words": words,
    }


def _is_pack(path: Path) -> bool:
    from cspay.errors import PolicyError
    from cspay.policy.loader import load_document

    try:
        data = load_document(path).data
    except PolicyError:
        return False  # reported as the policy's error
    return isinstance(data, dict) and "pack" in data and "policy" not in data


def _checked_pack(path: Path, lang: str | None) -> dict[str, Any]:
    """A statutory pack's errors, or its summary and its warning when its values are examples."""
    from cspay.errors import PolicyError
    from cspay.policy.loader import load_pack
    from cspay.rollout.lint import pack_findings

    try:
        pack = load_pack(path)
    except PolicyError as error:
        return {"file": str(path), "valid": False, "errors": error.lines(), "warnings": [], "silenced": []}
    words = words_for(lang)
    taxes = [name for name in ("income_tax", "one_time_bonus") if getattr(pack, name) is not None]
    parts: list[tuple[int, str]] = [(len(pack.bases), "base"), (len(pack.contributions), "contribution")]
    counts = ", ".join(f"{count} {noun}{'' if count == 1 else 's'}" for count, noun in parts)
    return {
        "file": str(path),
        "valid": True,
        "errors": [],
        "summary": f"statutory pack {pack.pack}, {counts}{''.join(f', {name}' for name in taxes)}",
        "warnings": pack_findings(pack, words),
        "silenced": [],
        "warning_word": words("lint.warning"),
    }


def _print_report(report: dict[str, Any]) -> None:
    if report["valid"]:
        typer.echo(f"{report['file']}: ok: {report['summary']}")
        words = report["words"]
        for index, day in enumerate(report["timeline"]):
            changes = "; ".join(_change(words, change, first=index == 0) for change in day["changes"])
            typer.echo("  " + words("timeline.from", day=day["from"], changes=changes))
    for finding in report["warnings"]:
        typer.echo(f"{report['warning_word']}: {finding}", err=True)
    for line in report["errors"]:
        typer.echo(f"Error: {line}", err=True)


def _change(words: Any, change: dict[str, Any], *, first: bool) -> str:
    """How one dated value's change reads: `key 5200 → 5400`, `key 100 (new)`, `key 100 → ends`; on the
    policy's first day, each value as it starts: `key 5200`."""
    if first:
        return f"{change['key']} {change['new']}"
    if change["old"] is None:
        return str(words("timeline.new", name=change["key"], new=change["new"]))
    if change["new"] is None:
        return str(words("timeline.ended", name=change["key"], old=change["old"]))
    return str(words("timeline.changed", name=change["key"], old=change["old"], new=change["new"]))


def _policy_summary(policy: Any) -> str:
    parts = [
        (policy.roles, "role"),
        (policy.kpis, "KPI"),
        (policy.grades, "grade"),
        (policy.gates, "gate"),
        (policy.adjustments, "adjustment"),
    ]
    counts = ", ".join(f"{len(items)} {noun}{'' if len(items) == 1 else 's'}" for items, noun in parts)
    return f"{policy.policy} {policy.version}, {counts}"


def _structured(report: dict[str, Any]) -> dict[str, Any]:
    errors = []
    for line in report["errors"]:
        match = _LOCATED.match(line)
        if match:
            errors.append(
                {
                    "code": None,
                    "file": match["file"],
                    "line": int(match["line"]),
                    "column": int(match["column"]),
                    "message": match["message"],
                }
            )
        else:
            errors.append({"code": None, "file": report["file"], "line": None, "column": None, "message": line})
    report = {key: value for key, value in report.items() if key not in ("warning_word", "words")}
    return {
        **report,
        "errors": errors,
        "warnings": [f.data() for f in report["warnings"]],
        "silenced": [f.data() for f in report["silenced"]],
    }


@app.command("schema")
@reports_errors
def schema_command(
    pack: Annotated[bool, typer.Option("--pack", help="The statutory pack format's schema instead.")] = False,
) -> None:
    """Print the policy format's JSON Schema (or, with --pack, the statutory pack format's).

    For editors (the YAML language server completes and checks keys) and for checks in scripts.

    Example: cspay schema > schema/policy.schema.json
    """
    from cspay.policy.schema import pack_schema_text, schema_text

    typer.echo(pack_schema_text() if pack else schema_text(), nl=False)


@app.command()
@reports_errors
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter policy (YAML).")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    lang: Annotated[
        str, typer.Option("--lang", help="Language of the starter: en, or zh for Chinese names, columns and comments.")
    ] = "en",
) -> None:
    """Write a commented starter policy.

    Roles, four KPIs, grades and one gate, passing validate-policy --strict; never over an existing file.

    Example: cspay init policies/my-plan.yaml --lang zh
    """
    from importlib import resources

    from cspay.outputs.files import atomic_output

    words = words_for(lang)
    text = (resources.files("cspay") / "starters" / f"{words.language}.yaml").read_text(encoding="utf-8")
    with atomic_output(path, force=force, private=False) as handle:  # a policy is configuration, not pay data
        handle.write(text)
    typer.echo(words("init.wrote", path=path), err=True)

"""Pitfalls of pay-for-performance design found in a valid policy, each a warning with a stable code.

Each rule yields hits (a code, the policy path it concerns, a message key and its values); `lint` turns
them into located findings in the reader's language and marks those the policy silences in `lint.ignore`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cspay.i18n import Words
from cspay.policy.model import Policy
from cspay.policy.values import HUNDRED
from cspay.rollout.lint_rules import RULE_CHECKS, Context, Hit, Path_, percent
from cspay.rollout.lint_statutory import STATUTORY_CHECKS

# The rules, by code; a code is never reused for another rule.
RULES = {
    "CSP101": "bonus share out of range",
    "CSP102": "one KPI weighs too much",
    "CSP103": "speed without quality",
    "CSP104": "cliff",
    "CSP105": "unreachable or dead rule",
    "CSP106": "non-monotone scoring",
    "CSP107": "floor dominates",
    "CSP108": "statutory example values",
    "CSP109": "one-time bonus dead zone",
}
LINT_CODE = "CSP100"  # about the lint section itself; it cannot be silenced


@dataclass(frozen=True)
class Finding:
    """A located warning; `reason` is the policy's reason when it silences the rule."""

    code: str
    file: str
    line: int
    column: int
    message: str
    reason: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.code}: {self.message}"

    def data(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            **({"reason": self.reason} if self.reason else {}),
        }


def lint(policy: Policy, words: Words | None = None) -> list[Finding]:
    """Every pitfall warning of a valid policy in file order, silenced ones carrying their reason; a policy
    whose values change on dates is checked as it stands in each stretch, each warning once."""
    findings: dict[tuple[str, int, int, str], Finding] = {}
    for version in [version.policy for version in policy.versions] or [policy]:
        context = Context(version, words or Words())
        hits = [hit for check in (*RULE_CHECKS, *STATUTORY_CHECKS) for hit in check(context)]
        hits += _lint_section(version, {hit.code for hit in hits})
        for finding in (_finding(context, hit) for hit in hits):
            findings.setdefault((finding.code, finding.line, finding.column, finding.message), finding)
    return sorted(findings.values(), key=lambda f: (f.line, f.column, f.code))


def warnings_of(findings: list[Finding]) -> list[Finding]:
    """The findings the policy does not silence."""
    return [finding for finding in findings if finding.reason is None]


def _lint_section(policy: Policy, fired: set[str]) -> Iterator[Hit]:
    """A silence must name a rule, and a rule the policy still triggers."""
    for code in policy.lint.ignore:
        if code not in RULES:
            yield Hit(LINT_CODE, ("lint", "ignore", code), "unknown", {"code": code, "codes": ", ".join(RULES)})
        elif code not in fired:
            yield Hit(LINT_CODE, ("lint", "ignore", code), "stale", {"code": code})


def _finding(context: Context, hit: Hit) -> Finding:
    file, line, column = _where(context.policy, hit.path, hit.document)
    values = {"cliff": percent(context.policy.lint.cliff / HUNDRED), **hit.values}
    words = context.words
    message = words(
        "lint.joined",
        finding=words(f"lint.{hit.code}.{hit.key}", **values),
        why=words(f"lint.{hit.code}.why", **values),
    )
    reason = context.policy.lint.ignore.get(hit.code) if hit.code != LINT_CODE else None
    return Finding(hit.code, file, line, column, message, reason)


def _where(policy: Policy, path: Path_, document: Any = None) -> tuple[str, int, int]:
    """The file, line and column of the deepest key (else value) of `path` the file holds: the policy's,
    or another file's `document` (a statutory pack's)."""
    document = document or policy.document
    if document is None:
        return policy.path, 1, 1
    for end in range(len(path), -1, -1):
        mark = document.keys.get(path[:end]) or document.values.get(path[:end])
        if mark is not None:
            return document.path, mark.line, mark.column
    return document.path, 1, 1


def pack_findings(pack: Any, words: Words | None = None) -> list[Finding]:
    """The warnings of a statutory pack checked on its own: its values left as examples (CSP108)."""
    words = words or Words()
    findings = []
    if pack.example:
        values = {"pack": pack.pack, "file": pack.path}
        message = words(
            "lint.joined", finding=words("lint.CSP108.example", **values), why=words("lint.CSP108.why", **values)
        )
        mark = pack.document.keys.get(("example",)) if pack.document is not None else None
        findings.append(Finding("CSP108", pack.path, mark.line if mark else 1, mark.column if mark else 1, message))
    return findings

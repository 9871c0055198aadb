"""The one family of errors cspay raises; each carries messages a person can act on."""

from __future__ import annotations

from collections.abc import Iterable

MAX_REPORTED = 50


class CspayError(Exception):
    """A problem with the user's input or environment, with one or more located messages."""

    exit_code = 1

    def __init__(self, problems: str | Iterable[str], *, hidden: int = 0) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.hidden = hidden
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """Every message, then a count of those left out for brevity."""
        more = [f"... and {self.hidden} more problems"] if self.hidden else []
        return self.problems + more


class PolicyError(CspayError):
    """The policy file cannot be read or breaks a rule of the policy format."""


class MetricsError(CspayError):
    """The metrics file cannot be read or has cells that are not what the policy expects."""


class OutputError(CspayError):
    """An output file or folder cannot be written as asked."""


class CaseError(CspayError):
    """A policy test case file cannot be read or does not follow the case format."""


class ExportError(CspayError):
    """A payment file cannot be made: the roster or the run lacks what the profile needs for some agent."""


class PayError(CspayError):
    """An agent's pay cannot be computed exactly: an amount would need more than Decimal's 28 digits."""


class LedgerError(CspayError):
    """The ledger cannot be opened (missing, damaged, not a ledger …), or refuses a write (a closed period …)."""


class UsageProblem(CspayError):
    """The command asks for what the policy or its inputs cannot do: a usage error, exit 2, like a wrong
    option. `option` names the option or argument at fault (--period, METRICS …)."""

    exit_code = 2

    def __init__(self, message: str, option: str) -> None:
        super().__init__(message)
        self.option = option


class Problems:
    """Collects located messages, keeping the first MAX_REPORTED and counting the rest."""

    def __init__(self, limit: int = MAX_REPORTED) -> None:
        self.limit = limit
        self.messages: list[str] = []
        self.hidden = 0
        self._stop: tuple[int, str, type[CspayError]] | None = None

    def stop_after(self, count: int, message: str, error: type[CspayError]) -> None:
        """Raise `error` as the `count`th problem is added, with `message` shown last: a source that bad is
        not worth reading on (and a device would never end)."""
        self._stop = (count, message, error)

    def add(self, message: str) -> None:
        if len(self.messages) < self.limit:
            self.messages.append(message)
        else:
            self.hidden += 1
        if self._stop is not None and self.count >= self._stop[0]:
            more = [f"... and {self.hidden} more problems"] if self.hidden else []
            raise self._stop[2]([*self.messages, *more, self._stop[1]])

    def extend(self, more: Problems) -> None:
        """Add another collection's problems after these: the same shown and the same count as adding each."""
        for message in more.messages:
            self.add(message)
        self.hidden += more.hidden

    def __bool__(self) -> bool:
        return bool(self.messages)

    @property
    def count(self) -> int:
        """Every problem added, shown or not."""
        return len(self.messages) + self.hidden

    def raise_if_any(self, error: type[CspayError]) -> None:
        if self.messages:
            raise error(self.messages, hidden=self.hidden)

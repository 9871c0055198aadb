"""Payment profiles: how another system (a payroll import, a bank's batch file, a general-ledger journal)
wants a run laid out. A profile is YAML, read as safely as a policy and validated with every problem
located at its file:line:col.

A `rows` profile writes one row per agent; a `journal` profile writes entries summed by a group (a cost
centre) and payslip line, debits and credits balancing. Each column takes its value from one source: a
payslip (or entry) `field`, a `roster` column, the amount of a `line` or the sum of several `lines`
(codes, `*` matching any text), or a fixed `text`.
"""

from __future__ import annotations

import codecs
import fnmatch
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Tag, field_validator, model_validator

from cspay.policy.forms import either
from cspay.policy.loader import Document, load_document, validated
from cspay.policy.values import Text

ROW_FIELDS = ("agent_id", "name", "role", "team", "grade", "score", "gross", "net", "period", "period_start",
              "period_end", "currency", "version")  # fmt: skip
JOURNAL_FIELDS = ("group", "account", "line", "label", "description", "debit", "credit", "amount", "period",
                  "period_start", "period_end", "currency", "version")  # fmt: skip
AMOUNT_FIELDS = ("gross", "net", "debit", "credit", "amount")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldColumn(Model):
    """A payslip's field (a `rows` profile) or an entry's (a `journal` profile)."""

    form: ClassVar[str] = "field"
    header: Text
    field: Text
    width: int | None = Field(None, gt=0)


class RosterColumn(Model):
    """A roster column, e.g. the bank account; an empty cell is an error unless `required: false`."""

    form: ClassVar[str] = "roster"
    header: Text
    roster: Text
    required: bool = True
    width: int | None = Field(None, gt=0)


class LinesColumn(Model):
    """The amount of one payslip line (`line: bonus`), or the sum of several (`lines: [bonus, true_up]`,
    `lines: "allowance.*"`); 0 for an agent without them."""

    form: ClassVar[str] = "lines"
    header: Text
    lines: list[Text] = Field(min_length=1)

    @field_validator("lines", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def takes(self, code: str) -> bool:
        return any(fnmatch.fnmatchcase(code, pattern) for pattern in self.lines)


class TextColumn(Model):
    """The same text on every row."""

    form: ClassVar[str] = "text"
    header: Text
    text: Text


def _line_to_lines(value: Any) -> Any:
    if isinstance(value, dict) and "line" in value and "lines" not in value:
        return {**{key: item for key, item in value.items() if key != "line"}, "lines": [value["line"]]}
    return value


_COLUMN_FORM, _COLUMN_CHECK = either(
    {"field": ("field",), "roster": ("roster",), "lines": ("lines",), "text": ("text",)},
    marks={"lines": ("line",)},
    others=("header", "width", "required"),
    none="a column takes its value from one of field, roster, line (or lines) or text",
)
Column = Annotated[
    Annotated[FieldColumn, Tag("=field")]
    | Annotated[RosterColumn, Tag("=roster")]
    | Annotated[LinesColumn, Tag("=lines")]
    | Annotated[TextColumn, Tag("=text")],
    _COLUMN_FORM,
    BeforeValidator(lambda value: _COLUMN_CHECK.func(_line_to_lines(value))),  # `line: x` is `lines: [x]`
]


class RosterSpec(Model):
    id: Text  # the roster column holding the agent's id


class Totals(Model):
    label: Text  # written in the first column of a last row holding the total of each amount column


class GroupBy(Model):
    """What a journal's entries are summed by besides the line: a roster column (a cost centre) or a payslip
    field (team, role)."""

    roster: Text | None = None
    field: Literal["team", "role"] | None = None

    @model_validator(mode="after")
    def _one(self) -> GroupBy:
        if (self.roster is None) == (self.field is None):
            raise ValueError("give roster: COLUMN or field: team|role (one of them)")
        return self


class Payable(Model):
    account: Text
    label: Text


class Journal(Model):
    group: GroupBy
    accounts: dict[str, Text] = Field(min_length=1)  # line code (or pattern) -> the account it is booked to
    payable: Payable  # the account credited with what each group is owed

    def account_of(self, code: str) -> str | None:
        """The account of a line code: the first pattern, in the profile's order, that matches it."""
        return next((account for pattern, account in self.accounts.items() if fnmatch.fnmatchcase(code, pattern)), None)


class Profile(Model):
    profile: Text
    title: Text | None = None
    layout: Literal["rows", "journal"] = "rows"
    encoding: Text = "utf-8"
    delimiter: Text = ","
    line_ending: Literal["crlf", "lf"] = "crlf"
    header: bool = True
    quote: Literal["minimal", "all"] = "minimal"
    decimals: int = Field(2, ge=0, le=8)
    decimal_separator: Literal[".", ","] = "."
    lines_add_up: bool = True
    roster: RosterSpec | None = None
    journal: Journal | None = None
    columns: list[Column] = Field(min_length=1)
    totals: Totals | None = None
    checksum: Literal["sha256"] | None = None

    _path: str = ""
    _document: Document | None = None

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, name: str) -> str:
        try:
            return codecs.lookup(name).name
        except LookupError:
            raise ValueError(f"unknown encoding {name!r}; e.g. utf-8, utf-8-sig (with a BOM) or gb18030") from None

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, text: str) -> str:
        delimiter = "\t" if text in ("tab", "\\t") else text
        if len(delimiter) != 1 or delimiter in '\r\n"':
            raise ValueError(f"expected one character such as , ; | or tab, got {text!r}")
        return delimiter

    @model_validator(mode="after")
    def _fits_its_layout(self) -> Profile:
        fields = ROW_FIELDS if self.layout == "rows" else JOURNAL_FIELDS
        for index, column in enumerate(self.columns):
            if isinstance(column, FieldColumn) and column.field not in fields:
                raise ValueError(f"columns[{index}]: field {column.field!r} is not one of a {self.layout} profile's: "
                                 f"{', '.join(fields)}")  # fmt: skip
            if self.layout == "journal" and isinstance(column, LinesColumn):
                raise ValueError(f"columns[{index}]: a journal has one entry per line code; use field: line or amount")
        if self.layout == "journal" and self.journal is None:
            raise ValueError("a journal profile needs a journal: section (group, accounts, payable)")
        if self.layout == "rows" and self.journal is not None:
            raise ValueError("journal: applies to layout: journal")
        needs_roster = any(isinstance(column, RosterColumn) for column in self.columns) or (
            self.journal is not None and self.journal.group.roster is not None
        )
        if needs_roster and self.roster is None:
            raise ValueError("the profile reads roster columns; add roster: {id: COLUMN} naming the agent id column")
        return self

    @property
    def path(self) -> str:
        return self._path

    def where(self, *path: str | int) -> str:
        """`file:line:col` of a key of the profile, for messages about what it asks."""
        return self._document.where(tuple(path)) if self._document is not None else self._path

    def roster_columns(self) -> list[str]:
        """The roster columns the profile reads, the id first."""
        names = [self.roster.id] if self.roster is not None else []
        names += [column.roster for column in self.columns if isinstance(column, RosterColumn)]
        if self.journal is not None and self.journal.group.roster is not None:
            names.append(self.journal.group.roster)
        return list(dict.fromkeys(names))


def load_profile(path: str | Path) -> Profile:
    """Read and validate a payment profile; every problem at once, located."""
    doc = load_document(path, "profile")
    profile = validated(doc, Profile)
    profile._path = doc.path
    profile._document = doc
    return profile

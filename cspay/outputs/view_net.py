"""From gross to net in one language's words: each deduction with how it was worked out (the base and its
floor or cap, the rate, the year's cumulative figures), net pay, and what the employer pays besides."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cspay.engine.explain import DeductionsExplained
from cspay.engine.statutory import BaseWorked, ContributionWorked, TaxWorked
from cspay.engine.types import Line
from cspay.i18n import Words
from cspay.outputs.wording import Wording


def deduction_label(words: Words, code: str, label: str) -> str:
    """A deduction's or employer contribution's label in the reader's words: `Pension insurance
    (employer)` for the employer's share of the pension."""
    kind, _, name = code.partition(".")
    if kind == "employer":
        return words("line.employer", label=words.line_label(f"contribution.{name}", label))
    return words.line_label(code, label)


def percent(share: Decimal) -> str:
    """A rate as people write it: 0.08 is 8%, 0.005 is 0.5%."""
    return f"{(share * 100).normalize():f}%"


def net_view(deductions: DeductionsExplained, wording: Wording) -> dict[str, Any]:
    """The texts of the deductions table, net, and the employer's contributions."""
    words, worked = wording.words, deductions.withholding
    contributions = {item.code: item for item in worked.contributions}
    bases = {item.name: item for item in worked.bases}

    def how(line: Line) -> str:
        kind, _, name = line.code.partition(".")
        if kind == "tax" and worked.tax is not None:
            return tax_how(worked.tax, wording)
        item = contributions.get(name)
        if item is None:
            return ""
        rate = item.employer_rate if kind == "employer" else item.employee_rate
        return contribution_how(item, bases[item.base], rate, wording)

    def rows(lines: tuple[Line, ...]) -> list[dict[str, str]]:
        return [
            {
                "label": deduction_label(words, line.code, line.label),
                "how": how(line),
                "amount": wording.money(line.amount),
            }
            for line in lines
        ]

    employer_total = sum((line.amount for line in deductions.employer), Decimal(0))
    return {
        "title": words("slip.deductions"),
        "lines": rows(deductions.lines),
        "net": {"label": words("col.net"), "amount": wording.money(deductions.net)},
        "employer": {
            "title": words("slip.employer"),
            "lines": rows(deductions.employer),
            "total": {"label": words("slip.employer_total"), "amount": wording.money(employer_total)},
        },
    }


def contribution_how(item: ContributionWorked, base: BaseWorked, rate: Decimal, wording: Wording) -> str:
    """`8% of the base 37,302.00; 40,000.00 declared, above the cap`."""
    words, money = wording.words, wording.money
    text = words("how.contribution", rate=percent(rate), base=money(item.base_amount))
    if base.cap is not None and base.declared > base.cap:
        return words("how.base_cap", how=text, declared=money(base.declared), cap=money(base.cap))
    if base.floor is not None and base.declared < base.floor:
        return words("how.base_floor", how=text, declared=money(base.declared), floor=money(base.floor))
    return text


def tax_how(tax: TaxWorked, wording: Wording) -> str:
    """The tax line's arithmetic, with the year's cumulative figures under the cumulative method."""
    words, money = wording.words, wording.money
    if tax.method == "one_time":
        return words(
            "how.tax.one_time",
            bonus=money(tax.income),
            months=tax.months,
            divided=money(tax.divided),
            rate=percent(tax.rate),
            quick=money(tax.quick_deduction),
        )
    other = words("how.tax.other", other=money(tax.other)) if tax.other else ""
    text = words(
        f"how.tax.{tax.method}",
        months=tax.months,
        income=money(tax.income),
        basic=money(tax.basic_deduction),
        contributions=money(tax.contributions),
        special=money(tax.special),
        other=other,
        taxable=money(tax.taxable),
        rate=percent(tax.rate),
        quick=money(tax.quick_deduction),
        due=money(tax.due),
        withheld=money(tax.withheld_before),
    )
    if tax.due < tax.withheld_before:
        return words("how.tax.no_refund", how=text)
    return text

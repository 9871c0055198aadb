"""A payslip as the engine makes it: its KPI results are put together only when first read (a CSV row
never reads them)."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any, cast

from cspay.engine.plans import KpiPlan, Scored
from cspay.engine.types import KpiResult, Payslip

_KPIS = Payslip.__dict__["kpis"]
_COMPARED = [field.name for field in fields(Payslip) if field.compare]  # the slot that holds a payslip's KPI results


class Computed(Payslip):
    """A payslip from the engine: its KPI results are put together when first read (a CSV never reads them).

    It is a Payslip in every other way, equal to one with the same fields, and pickled as one.
    """

    __slots__ = ("_pending",)
    _pending: tuple[list[KpiPlan], list[Scored | KpiResult], int, Decimal, dict[str, Decimal]] | None

    @property
    def kpis(self) -> tuple[KpiResult, ...]:
        pending = self._pending
        if pending is not None:
            self._pending = None
            plans, scored, mask, total_weight, numbers = pending
            _KPIS.__set__(
                self,
                tuple(
                    [plan.result(item, mask, total_weight, numbers) for plan, item in zip(plans, scored, strict=True)]
                ),
            )
        return cast(tuple[KpiResult, ...], _KPIS.__get__(self, Payslip))

    @kpis.setter
    def kpis(self, value: tuple[KpiResult, ...]) -> None:
        self._pending = None
        _KPIS.__set__(self, value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Payslip):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _COMPARED)

    __hash__ = None  # type: ignore[assignment]  # mutable, like Payslip

    def __repr__(self) -> str:
        return "Payslip" + Payslip.__repr__(self).removeprefix(type(self).__qualname__)

    def __reduce__(self) -> tuple[type[Payslip], tuple[Any, ...]]:
        return Payslip, tuple(getattr(self, name) for name in Payslip.__dataclass_fields__)

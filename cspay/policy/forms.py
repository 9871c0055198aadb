"""Either/or parts of a policy, as pydantic discriminated unions: a score is a linear curve *or* bands, a
gate tests a KPI *or* a column, a budget is a pool *or* a share.

The YAML names no tag: the keys a mapping uses say which form it is. `either` builds the union's
discriminator from those keys and a check that reports, at the mapping, a mix of forms or a form left
incomplete, in the words the policy author needs. Where a form's keys sit among the model's other keys
(a gate's `kpi` and `below`), `nested` gathers them into a sub-mapping first, so the model holds one
field per choice; cspay.policy.schema flattens them back for editors.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, BeforeValidator, Discriminator

Forms = Mapping[str, Sequence[str]]  # each form's tag -> the keys that write it (all required)


def _used(value: Mapping[str, Any], forms: Forms, marks: Forms) -> list[str]:
    return [tag for tag, keys in forms.items() if any(key in value for key in [*keys, *marks.get(tag, ())])]


def form_of(value: Any, forms: Forms, marks: Forms | None = None) -> str | None:
    """The union tag of the one form a mapping uses (or a model already is); None for no form or several.

    A tag is the form's name after "=", so that in an error's location it never reads as a key of the
    policy (a gate's form "kpi" is not its key `kpi`)."""
    if isinstance(value, BaseModel):
        form = getattr(value, "form", None)
        return None if form is None else f"={form}"
    if not isinstance(value, Mapping):
        return None
    used = _used(value, forms, marks or {})
    return f"={used[0]}" if len(used) == 1 else None


def either(
    forms: Forms, *, none: str, several: str | None = None, marks: Forms | None = None, others: Sequence[str] = ()
) -> tuple[Discriminator, BeforeValidator]:
    """The discriminator of a union written in one of `forms` (its required keys; `marks` are other keys
    that also show a form), and the check run before it: `none` when a mapping uses no form or leaves one
    incomplete, `several` when it mixes forms ({count} is how many forms it uses). A mapping that uses no
    form but a key no form has (nor `others`) is told about that key: it is most likely a misspelt form."""
    marked = marks or {}
    known = [
        *(key for keys in forms.values() for key in keys),
        *(key for keys in marked.values() for key in keys),
        *others,
    ]

    def check(value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        used = _used(value, forms, marked)
        unknown = [key for key in value if key not in known]
        if not used and unknown:
            close = difflib.get_close_matches(str(unknown[0]), known, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"expected one of {', '.join(dict.fromkeys(known))}"
            raise ValueError(f"unknown key {unknown[0]!r}; {hint}")
        if len(used) > 1:
            raise ValueError((several or none).format(count=len(used)))
        if not used or not all(key in value for key in forms[used[0]]):
            raise ValueError(none.format(count=len(used)))
        return value

    return (
        Discriminator(lambda value: form_of(value, forms, marked), custom_error_type="form", custom_error_message=none),
        BeforeValidator(check),
    )


def nested(groups: Mapping[str, Sequence[str]]) -> Callable[[Any], Any]:
    """A model's before-validator that gathers each group's keys into a sub-mapping named after the group:
    {kpi: csat, below: 80} becomes {subject: {kpi: csat}, condition: {below: 80}}."""

    def gather(data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        for name, keys in groups.items():
            data[name] = {key: data.pop(key) for key in keys if key in data}
        return data

    return gather

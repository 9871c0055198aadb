"""Policy rules about currencies: every amount an agent is paid from is written in the currency they are
paid in, every currency rounds to a step its coins and notes can pay, and nothing adds two currencies."""

from __future__ import annotations

from cspay.currencies import CurrencyProblem, minor_unit
from cspay.policy.model import CurrencyTerms, Policy

Problem = tuple[tuple[str | int, ...], str]


def currency_checks(policy: Policy) -> list[Problem]:
    """The currency rules, each with the path of the key it concerns."""
    problems: list[Problem] = []
    for code, terms in policy.currencies.items():
        problems += _terms_checks(policy, code, terms)
    for code in policy.paid_currencies[1:]:
        if code not in policy.currencies:
            problems += _amounts_needed(policy, code)
    if policy.budget is not None and len(policy.paid_currencies) > 1:
        problems.append(
            (
                ("budget",),
                f"a bonus pool is money of one currency, and this policy pays {', '.join(policy.paid_currencies)}; "
                f"a pool is never shared between currencies: pay each currency under a policy of its own to "
                f"give it a budget",
            )
        )
    return problems


def _terms_checks(policy: Policy, code: str, terms: CurrencyTerms) -> list[Problem]:
    where = ("currencies", code)
    try:
        unit = minor_unit(code)
    except CurrencyProblem as problem:
        return [(where, str(problem))]
    if code == policy.currency:
        return [(where, f"{code} is the policy's own currency: its amounts are those of roles, adjustments and floor")]
    problems: list[Problem] = []
    if terms.step is not None and terms.step % unit:
        problems.append(
            (
                (*where, "step"),
                f"{terms.step} is not a whole number of {code}'s minor unit {unit}; expected a multiple of it, "
                f"like 0.05 for cash rounding",
            )
        )
    for name in terms.roles:
        if name not in policy.roles:
            problems.append(
                ((*where, "roles", name), f"unknown role {name!r}; the roles are {', '.join(policy.roles)}")
            )
        elif policy.role_currency(name) == code:
            problems.append(
                ((*where, "roles", name), f"role {name} is paid in {code} already; its amounts are its own")
            )
    for name, given in terms.adjustments.items():
        rule = policy.adjustments.get(name)
        if rule is None:
            known = ", ".join(policy.adjustments) or "none"
            problems.append(
                ((*where, "adjustments", name), f"unknown adjustment {name!r}; the adjustments are {known}")
            )
        elif (rule.limit is None) != (given.limit is None) or (rule.limit or 0) * (given.limit or 0) < 0:
            problems.append(
                (
                    (*where, "adjustments", name),
                    f"expected a limit like adjustments.{name}'s ({rule.limit}): given exactly when it has one, "
                    f"with the same sign",
                )
            )
    if terms.floor is not None and policy.floor is None:
        problems.append(((*where, "floor"), "the policy has no floor; a floor in one currency only is not one floor"))
    return problems + _amounts_needed(policy, code)


def _amounts_needed(policy: Policy, code: str) -> list[Problem]:
    """An agent paid in `code` is paid adjustments and the floor in `code`: the policy must write them in it."""
    terms = policy.currencies.get(code, CurrencyTerms())
    missing = [name for name in policy.adjustments if name not in terms.adjustments]
    problems: list[Problem] = []
    if missing:
        problems.append(
            (
                ("currencies", code, "adjustments") if code in policy.currencies else ("adjustments",),
                f"agents paid in {code} need each adjustment's money in {code}; give "
                f"currencies.{code}.adjustments.{missing[0]} (per_unit, and limit where it has one)"
                + (f", and for {', '.join(missing[1:])}" if len(missing) > 1 else ""),
            )
        )
    if policy.floor is not None and terms.floor is None:
        problems.append(
            (
                ("currencies", code) if code in policy.currencies else ("floor",),
                f"agents paid in {code} need the floor in {code}; give currencies.{code}.floor (a minimum wage is "
                f"money of one currency)",
            )
        )
    return problems

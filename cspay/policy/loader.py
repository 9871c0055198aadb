"""Reading a policy's YAML safely, keeping the line and column of every key and value."""

from __future__ import annotations

import difflib
import hashlib
import re
import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from cspay.encodings import gb18030_doubt, read_limited
from cspay.errors import PolicyError
from cspay.policy.checks import cross_checks
from cspay.policy.metrics_spec import MetricsSpec
from cspay.policy.model import Policy
from cspay.policy.packs import combine_packs, pack_checks, policy_checks
from cspay.policy.statutory import Pack
from cspay.policy.timeline import DAY, Version, as_of, boundaries, read_timelines
from cspay.policy.values import dotted, shown

MAX_POLICY_BYTES = 1024 * 1024
MAX_DEPTH = 32

Path_ = tuple[str | int, ...]
ModelT = TypeVar("ModelT", bound=BaseModel)

_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_UNKNOWN_KEY = re.compile(r"unknown key '([^']*)'")
_PLAIN_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


class YamlNumber(Decimal):
    """A Decimal read from a YAML scalar, remembering the scalar's own text ("010" stays "010")."""

    text: str

    def __new__(cls, text: str) -> YamlNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


@dataclass
class Mark:
    """Where a node starts in the file, 1-based as editors count."""

    line: int
    column: int


@dataclass
class Document:
    """A policy file's data with the positions of its values (and of its mapping keys)."""

    path: str
    data: Any
    values: dict[Path_, Mark] = field(default_factory=dict)
    keys: dict[Path_, Mark] = field(default_factory=dict)
    raw: bytes = b""  # the file's bytes as read, for its fingerprint

    def where(self, path: Path_, *, key: bool = False) -> str:
        """`file:line:col` of the deepest known node on `path`."""
        table = self.keys if key and path in self.keys else self.values
        for end in range(len(path), -1, -1):
            mark = table.get(path[:end]) or self.values.get(path[:end])
            if mark is not None:
                return f"{self.path}:{mark.line}:{mark.column}"
        return f"{self.path}:1:1"


class _Composer(yaml.SafeLoader):
    """Composes nodes only: no implicit typing, no anchors, no aliases, bounded depth."""

    yaml_implicit_resolvers = {}  # noqa: RUF012 - a class table PyYAML reads; none here: no implicit typing

    def __init__(self, stream: str, kind: str = "policy") -> None:
        super().__init__(stream)
        self._depth = 0
        self._kind = kind

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused(event.start_mark, f"anchors and aliases (&, *) are not allowed in a {self._kind}")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(event.start_mark, f"nested deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Refused(Exception):
    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


def refused_node(text: str, kind: str) -> tuple[int, int, str] | None:
    """Line, column and what is wrong with the first node a YAML file of cspay's (a `kind`: policy, case
    file …) may not hold: anchors and aliases (a few bytes of them can expand to gigabytes), or nesting
    deeper than MAX_DEPTH. None when there is none, or when the text is not YAML (its reader says where)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            mark = event.start_mark
            where = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return *where, f"anchors and aliases (&, *) are not allowed in a {kind}"
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return *where, f"nested deeper than {MAX_DEPTH} levels"
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None


def read_bytes(path: Path, kind: str = "policy") -> bytes:
    """The file's bytes, at most 1 MiB of them whatever the file is (a device or a pipe never ends)."""
    try:
        return read_limited(path, MAX_POLICY_BYTES, f"a {kind} of at most 1 MiB")
    except OSError as error:
        raise PolicyError(f"{path}: cannot read the {kind}: {error.strerror or error}") from None
    except ValueError as error:
        raise PolicyError(f"{path}: {error}") from None


def read_text(path: Path, raw: bytes | None = None, kind: str = "policy") -> str:
    """The file's text: UTF-8 (with or without BOM), else GB18030 when it reads plausibly so."""
    raw = read_bytes(path, kind) if raw is None else raw
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        for number, line in enumerate(text.splitlines(), 1):
            if (doubt := gb18030_doubt(line)) is not None:
                raise PolicyError(f"{path}:{number}:1: {doubt}; save the file as UTF-8")
        return text
    raise PolicyError(f"{path}: the file is neither UTF-8 nor GB18030 text; save it as UTF-8")


def load_document(path: str | Path, kind: str = "policy") -> Document:
    """Parse a policy file (or another cspay YAML file, a `kind` of file) into plain data (dicts, lists,
    str, YamlNumber, bool, None), read as safely as a policy."""
    path = Path(path)
    raw = read_bytes(path, kind)
    text = read_text(path, raw, kind)
    doc = Document(str(path), None, raw=raw)
    try:
        node = _Composer(text, kind).get_single_node()
    except _Refused as refused:
        raise PolicyError(_at(doc.path, refused.mark, refused.message)) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise PolicyError(_at(doc.path, mark, f"not valid YAML: {error.problem}")) from None
    except yaml.YAMLError as error:
        raise PolicyError(f"{doc.path}: not valid YAML: {error}") from None
    if node is None:
        raise PolicyError(f"{doc.path}:1:1: the file is empty; expected a {kind} mapping")
    problems: list[str] = []
    doc.data = _build(node, (), doc, problems, kind)
    if problems:
        raise PolicyError(problems)
    return doc


def _at(path: str, mark: Any, message: str) -> str:
    if mark is None:
        return f"{path}: {message}"
    return f"{path}:{mark.line + 1}:{mark.column + 1}: {message}"


def _mark(node: Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def _build(node: Node, path: Path_, doc: Document, problems: list[str], kind: str) -> Any:
    doc.values[path] = _mark(node)
    if node.tag not in _PLAIN_TAGS:
        problems.append(_at(doc.path, node.start_mark, f"the tag {node.tag!r} is not allowed in a {kind}"))
        return None
    if isinstance(node, MappingNode):
        return _build_mapping(node, path, doc, problems, kind)
    if isinstance(node, SequenceNode):
        return [_build(item, (*path, i), doc, problems, kind) for i, item in enumerate(node.value)]
    assert isinstance(node, ScalarNode)
    return _scalar(node)


def _build_mapping(node: MappingNode, path: Path_, doc: Document, problems: list[str], kind: str) -> dict[Any, Any]:
    result: dict[Any, Any] = {}
    first_seen: dict[Any, Mark] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode):
            problems.append(_at(doc.path, key_node.start_mark, "a key must be plain text"))
            continue
        key = key_node.value
        if key == "<<":
            problems.append(_at(doc.path, key_node.start_mark, "merge keys (<<) are not allowed"))
            continue
        if key in first_seen:
            first = first_seen[key]
            problems.append(
                _at(doc.path, key_node.start_mark, f"duplicate key {key!r}; it was first given at line {first.line}")
            )
            continue
        first_seen[key] = _mark(key_node)
        doc.keys[(*path, key)] = first_seen[key]
        result[key] = _build(value_node, (*path, key), doc, problems, kind)
    return result


def _scalar(node: ScalarNode) -> Any:
    """Type a scalar by its text: numbers become YamlNumber, only true/false are booleans."""
    text = node.value
    if node.style is not None:  # quoted or block scalars are always text
        return text
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _NUMBER.fullmatch(text):
        return YamlNumber(text)
    return text


def load_policy(path: str | Path) -> Policy:
    """Read, parse and validate a policy file; every problem is reported at once, located."""
    doc = load_document(path)
    if not isinstance(doc.data, dict):
        raise PolicyError(f"{doc.where(())}: expected a policy mapping (key: value lines)")
    data, included = _include_metrics_file(doc)
    period = str(data["period"]) if data.get("period") in ("quarter", "year") else "month"
    timelines, problems = read_timelines(data, doc.where, period)
    if problems:
        raise PolicyError(problems)
    if not timelines:
        return _checked(doc, data, {}, included)
    days = boundaries(timelines)
    versions, problems = [], []
    for first, after in zip(days, [*days[1:], None], strict=True):
        day_data, placed = as_of(data, timelines, first)
        try:
            versions.append(
                Version(first, None if after is None else after - DAY, _checked(doc, day_data, placed, included))
            )
        except PolicyError as error:
            problems += [problem for problem in error.problems if problem not in problems]
    if problems:
        raise PolicyError(problems)
    policy: Policy = versions[-1].policy
    policy._versions, policy._timelines = versions, timelines
    return policy


def _checked(doc: Document, data: dict[str, Any], placed: dict[Path_, Path_], included: bytes) -> Policy:
    """The policy the data makes, every problem located (a dated value's at the entry in force, `placed`);
    its fingerprint covers the file, the metrics file it includes and the statutory packs it names."""
    policy = validated(doc, Policy, data, placed)
    problems = []
    for path, message in cross_checks(policy):
        where = _placed(path, placed)
        problems.append(f"{doc.where(where)}: {dotted(path)}: {message}")
    if problems:
        raise PolicyError(problems)
    packs = _load_packs(doc, policy, placed)
    policy._path = doc.path
    policy._sha256 = hashlib.sha256(doc.raw + included + packs).hexdigest()
    policy._document = doc
    return policy


def _load_packs(doc: Document, policy: Policy, placed: dict[Path_, Path_]) -> bytes:
    """Read the statutory packs the `deductions:` section names (relative to the policy's folder), check
    them with the policy, and return their bytes for the policy's fingerprint (a dated value's problem is
    located at the entry in force, `placed`)."""
    deductions = policy.deductions
    if deductions is None:
        return b""
    problems: list[str] = []
    for index, name in enumerate(deductions.packs):
        target = Path(doc.path).parent / name
        if not target.is_file():
            where = doc.where(_placed(("deductions", "packs", index), placed))
            problems.append(
                f"{where}: deductions.packs[{index}]: no file {target} (the path is relative to the policy's folder)"
            )
            continue
        try:
            deductions._loaded.append(load_pack(target))
        except PolicyError as error:
            problems += error.lines()
    if problems:
        raise PolicyError(problems)
    statutory = combine_packs(deductions.loaded)
    roles = {name: policy.role_currency(name) for name in policy.roles}
    checks = policy_checks(deductions, statutory, policy.currency, policy.period, roles)
    if checks:
        located = [(doc.where(_placed(path, placed)), path, message) for path, message in checks]
        raise PolicyError([f"{at}: {dotted(path)}: {message}" for at, path, message in located])
    return b"".join(pack._document.raw for pack in deductions.loaded)  # the bytes read, not read again


def load_pack(path: str | Path) -> Pack:
    """Read, parse and check a statutory pack file as safely as a policy; every problem at once, each at
    file:line:col."""
    doc = load_document(path, "statutory pack")
    if not isinstance(doc.data, dict):
        raise PolicyError(f"{doc.where(())}: expected a statutory pack mapping (key: value lines)")
    pack = validated(doc, Pack)
    problems = [f"{doc.where(where)}: {dotted(where)}: {message}" for where, message in pack_checks(pack)]
    if problems:
        raise PolicyError(problems)
    pack._path, pack._document = doc.path, doc
    return pack


def validated(doc: Document, model: type[ModelT], data: Any = None, placed: dict[Path_, Path_] | None = None) -> ModelT:
    """The document's data (or `data` read from it) as the model; every problem at once, each located at
    its file:line:col (a dated value's in the entry in force, `placed`) with the model's keys to suggest for a
    misspelt one."""
    try:
        return model.model_validate(doc.data if data is None else data)
    except ValidationError as error:
        items = _without_misspelt_missing([dict(item) for item in error.errors(include_url=False)], model)
        located = [{**item, "loc": _placed(item["loc"], placed or {})} for item in items]
        raise PolicyError([_located(doc, item, model) for item in located]) from None


def _placed(loc: tuple[Any, ...], placed: dict[Path_, Path_]) -> tuple[Any, ...]:
    """A location in the checked data as a location in the file: a dated value's, in the entry in force."""
    for path, entry in placed.items():
        if loc[: len(path)] == path:
            return (*entry, *loc[len(path) :])
    return loc


def _include_metrics_file(doc: Document) -> tuple[dict[str, Any], bytes]:
    """The policy's data with `metrics: {file: …}` replaced by that file's section, and the file's bytes.

    The file is resolved relative to the policy's folder and holds a top-level `metrics:` key, so
    its problems are reported at its own file:line:col.
    """
    section = doc.data.get("metrics")
    if not isinstance(section, dict) or "file" not in section:
        return doc.data, b""
    where = f"{doc.where(('metrics', 'file'))}: metrics.file"
    if set(section) != {"file"} or not isinstance(section["file"], str):
        raise PolicyError(f"{where}: expected only `file: a/path.yaml`; the section's keys go in that file")
    target = Path(doc.path).parent / section["file"]
    if not target.is_file():
        raise PolicyError(f"{where}: no file {target} (the path is relative to the policy's folder)")
    included = load_document(target)
    if not isinstance(included.data, dict) or set(included.data) != {"metrics"}:
        raise PolicyError(f"{included.where(())}: expected one top-level key, metrics:, holding source: and derived:")
    try:
        spec = MetricsSpec.model_validate(included.data["metrics"])
    except ValidationError as error:
        items: list[dict[str, Any]] = [
            {**item, "loc": ("metrics", *item["loc"])} for item in error.errors(include_url=False)
        ]
        raise PolicyError([_located(included, item) for item in items]) from None
    return {**doc.data, "metrics": spec}, included.raw


def _located(doc: Document, item: dict[str, Any], model: type[BaseModel] = Policy) -> str:
    path = _known_path(doc, item["loc"])
    kind = item["type"]
    if kind == "extra_forbidden":
        key = str(item["loc"][-1])
        return f"{doc.where(path, key=True)}: {dotted(path)}: unknown key {key!r}{_hint(item['loc'], key, model)}"
    message = item["msg"].removeprefix("Value error, ")
    misspelt = _UNKNOWN_KEY.match(message)
    if misspelt and (*path, misspelt[1]) in doc.keys:  # an either/or's misspelt form: point at the key itself
        path = (*path, misspelt[1])
        return f"{doc.where(path, key=True)}: {dotted(path)}: {message}"
    if kind == "missing":
        message = f"missing required key {item['loc'][-1]!r}"
        return f"{doc.where(path)}: {dotted(path)}: {message}"
    if kind in ("literal_error", "enum"):
        message = f"expected one of {item['ctx']['expected']}, got {shown(item['input'])}"
    elif kind in ("dict_type", "model_type", "list_type"):
        wanted = "a list" if kind == "list_type" else "a mapping (key: value)"
        message = f"expected {wanted}, got {shown(item['input'])}"
    return f"{doc.where(path)}: {dotted(path)}: {message}"


def _known_path(doc: Document, loc: tuple[Any, ...]) -> Path_:
    """The loc without the pydantic-only steps (union members, function names)."""
    path: Path_ = ()
    for step in loc:
        if (*path, step) in doc.values:
            path = (*path, step)
    return path


def _hint(loc: tuple[Any, ...], key: str, model: type[BaseModel] = Policy) -> str:
    close = _closest_key(loc, key, model)
    if close:
        return f"; did you mean {close!r}?"
    known = _keys_of(model, loc[:-1])
    return f"; expected one of {', '.join(known)}" if known else ""


def _closest_key(loc: tuple[Any, ...], key: str, model: type[BaseModel] = Policy) -> str | None:
    close = difflib.get_close_matches(key, _keys_of(model, loc[:-1]), n=1, cutoff=0.6)
    return close[0] if close else None


def _without_misspelt_missing(items: list[dict[str, Any]], model: type[BaseModel] = Policy) -> list[dict[str, Any]]:
    """Drop "missing key 'weight'" where the same mapping has a 'wieght' said to mean it, and "give exactly
    one of grade_at_least or grade_at_most" where it has a 'grade_atleast': one typo, one line."""
    meant = {
        (*item["loc"][:-1], _closest_key(item["loc"], str(item["loc"][-1]), model))
        for item in items
        if item["type"] == "extra_forbidden"
    }
    return [
        item
        for item in items
        if not (item["type"] == "missing" and tuple(item["loc"]) in meant)
        and not _meant_form(tuple(item["loc"]), meant, model)
    ]


def _meant_form(loc: tuple[Any, ...], meant: set[tuple[Any, ...]], model: type[BaseModel] = Policy) -> bool:
    """Whether `loc` is an either/or field written inline whose forms have a key a typo beside it meant."""
    if not loc or not isinstance(loc[-1], str):
        return False
    group = _keys_of(model, loc, every_form=True)
    return any((*loc[:-1], key) in meant for key in group)


def _keys_of(model: Any, loc: tuple[Any, ...], *, every_form: bool = False) -> list[str]:
    """The keys allowed by the model found by walking `loc` down from `model`: a union's tag step ("=kpi")
    picks its member, and a model's either/or fields written inline count with their members' keys.
    With `every_form`, a union at the end of `loc` gives every member's keys."""
    annotation: Any = model
    for step in loc:
        if isinstance(step, str) and step.startswith("="):
            annotation = _member(annotation, step[1:])
            continue
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = {f.alias or name: f.annotation for name, f in annotation.model_fields.items()}
            annotation = fields.get(step)
        elif typing.get_origin(annotation) in (list, dict):
            annotation = typing.get_args(annotation)[-1]
        else:
            return []
    if every_form:
        members = [_unwrap(member) for member in _members(annotation)]
        return [
            key
            for member in members
            if isinstance(member, type) and issubclass(member, BaseModel)
            for key in _keys_written(member)
        ]
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _keys_written(annotation)
    return []


def _keys_written(model: type[BaseModel]) -> list[str]:
    """The keys a model is written with: its fields', those of its inline either/or fields' forms in place
    of the fields themselves."""
    inline = getattr(model, "flattened", ())
    keys: list[str] = []
    for name, info in model.model_fields.items():
        if name in inline:
            members = [_unwrap(member) for member in _members(info.annotation)]
            keys += [key for member in members for key in _keys_written(member) if key not in keys]
        else:
            keys.append(info.alias or name)
    return keys


def _members(annotation: Any) -> list[Any]:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [member for member in typing.get_args(annotation) if member is not type(None)]
    return [annotation]


def _member(annotation: Any, form: str) -> Any:
    """The union member written in `form`."""
    for member in _members(annotation):
        if getattr(_unwrap(member), "form", None) == form:
            return member
    return annotation


def _unwrap(annotation: Any) -> Any:
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif typing.get_origin(annotation) in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [a for a in members if isinstance(a, type) and issubclass(a, BaseModel)]
            annotation = (models or members)[0]
        else:
            return annotation

"""A story's data contract: the fields its scenes and voice use, and how a record is read by it.

A contract is declared in the story (`contract:`, a mapping of dotted field -> type) or in a
schema file the story names (`contract: contracts/first_bill.yaml`). Every record, whatever its
source (JSON, YAML, CSV, an agent's push, a campaign row), is converted here and only here, by
declared type: strings stay strings, money is Decimal, a date is a date, a phone is E.164.
A value that does not fit is a `RecordProblem` naming the record and the field, in one line.

Records of stories without a contract still pass `read_record` untyped: blank strings count as
missing, NaN and infinity are refused, control characters and template syntax never get through.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from smartvideo.errors import SceneError, TemplateDataError

KINDS = ("text", "name", "money", "number", "integer", "percent", "date", "phone", "email", "boolean", "list")
_SPEC_KEYS = {"type", "optional", "default", "min", "max", "gt", "lt", "decimal_comma", "region",
              "max_length", "min_items", "max_items", "fields", "description"}
_NUMERIC = ("money", "number", "integer", "percent")
_LOCALE_REGIONS = {"nl": "NL", "en_GB": "GB", "en_IE": "IE", "en_US": "US", "de": "DE", "fr": "FR", "be": "BE"}
_DOT_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_COMMA_NUMBER = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
_TRUE = {"true", "yes", "1", "ja"}
_FALSE = {"false", "no", "0", "nee"}
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One declared field: its type, whether it must be there, its default and its bounds."""

    name: str  # dotted path below its parent (the record, or one item of a list)
    kind: str
    required: bool = True
    default: Any = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    above: Decimal | None = None  # gt: strictly greater than (a divisor: `gt: 0`)
    below: Decimal | None = None
    decimal_comma: bool | None = None  # None: as the story's locale says
    region: str | None = None  # phone numbers written without +country code
    max_length: int = 200
    min_items: int = 0
    max_items: int = 1000
    fields: tuple[FieldSpec, ...] = ()  # the fields of each item of a list
    file: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class DataContract:
    """The fields a story's scenes and voice lines may use."""

    fields: tuple[FieldSpec, ...]
    locale: str = "en"
    file: str = ""
    line: int = 0

    def field(self, dotted: str) -> FieldSpec | None:
        """The declared field at a dotted path; list items as `bill.lines.amount`."""
        specs = self.fields
        rest = dotted
        while rest:
            for spec in specs:
                if rest == spec.name:
                    return spec
                if rest.startswith(spec.name + ".") and spec.kind == "list":
                    specs, rest = spec.fields, rest[len(spec.name) + 1:]
                    break
            else:
                return None
        return None

    def declares(self, dotted: str) -> bool:
        """True when a template may read `dotted`: a declared field, a group of them, or a date's part."""
        if self.field(dotted) is not None:
            return True
        names = _names(self.fields)
        if any(name.startswith(dotted + ".") for name in names):
            return True
        parent = dotted.rsplit(".", 1)[0]
        spec = self.field(parent) if "." in dotted else None
        return spec is not None and spec.kind == "date"  # bill.due_date.year


def _names(specs: Sequence[FieldSpec], prefix: str = "") -> list[str]:
    out: list[str] = []
    for spec in specs:
        out.append(prefix + spec.name)
        if spec.kind == "list":
            out.extend(_names(spec.fields, prefix + spec.name + "."))
    return out


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """What is wrong with one field of one record."""

    record_id: str
    field: str
    expected: str
    found: str  # shortened repr of what the record holds

    def message(self) -> str:
        return f"customer {self.record_id}: {self.field}: expected {self.expected}, got {self.found}"


class RecordRejected(TemplateDataError):
    """A record breaks its story's contract; `problems` names each field, the message the first."""

    def __init__(self, problems: Sequence[RecordProblem]):
        self.problems = tuple(problems)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(self.problems[0].message() + more)


def shown(value: Any, limit: int = 40) -> str:
    """A short, printable repr of customer data for an error message (never raw control chars)."""
    if isinstance(value, str):
        text = value if len(value) <= limit else value[: limit - 1] + "…"
        return repr(text)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)}"
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- parsing a contract from YAML -------------------------------------------------------------


def _line(owner: Any, key: Any, fallback: int) -> int:
    line_of = getattr(owner, "line_of", None)
    return int(line_of(key)) if line_of else int(getattr(owner, "line", fallback))


def _bound(raw: Any, file: str, line: int, key: str) -> Decimal | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise SceneError(f"contract bound '{key}' must be a number", file, line)
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise SceneError(f"contract bound '{key}' must be a number, got {raw!r}", file, line) from None
    if not value.is_finite():
        raise SceneError(f"contract bound '{key}' must be finite", file, line)
    return value


def parse_field(name: str, raw: Any, file: str, line: int, locale: str) -> FieldSpec:
    """`money` or `{type: money, optional: true, default: 0, min: 0}` -> FieldSpec."""
    if not re.match(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$", name):
        raise SceneError(f"contract field '{name}' must be a dotted name like bill.total", file, line)
    spec: Mapping[str, Any] = {"type": raw} if isinstance(raw, str) else raw
    if not isinstance(spec, Mapping):
        raise SceneError(f"contract field '{name}': give a type ({', '.join(KINDS)}) or a mapping", file, line)
    unknown = sorted(set(spec) - _SPEC_KEYS)
    if unknown:
        raise SceneError(f"contract field '{name}': unknown key(s) {', '.join(unknown)} "
                         f"(allowed: {', '.join(sorted(_SPEC_KEYS))})", file, line)
    kind = spec.get("type")
    if kind not in KINDS:
        raise SceneError(f"contract field '{name}': type must be one of {', '.join(KINDS)}, got {kind!r}",
                         file, line)
    items: tuple[FieldSpec, ...] = ()
    if kind == "list":
        sub = spec.get("fields")
        if not isinstance(sub, Mapping) or not sub:
            raise SceneError(f"contract field '{name}': a list declares the `fields:` of its items", file, line)
        items = tuple(parse_field(str(k), v, file, _line(sub, k, line), locale) for k, v in sub.items())
    elif "fields" in spec:
        raise SceneError(f"contract field '{name}': only a list has `fields:`", file, line)
    numeric_keys = {"min", "max", "gt", "lt"} & set(spec)
    if numeric_keys and kind not in _NUMERIC:
        raise SceneError(f"contract field '{name}': bounds ({', '.join(sorted(numeric_keys))}) need a "
                         f"numeric type", file, line)
    optional = bool(spec.get("optional", False)) or "default" in spec
    field_spec = FieldSpec(
        name=name, kind=str(kind), required=not optional,
        minimum=_bound(spec.get("min"), file, line, "min"), maximum=_bound(spec.get("max"), file, line, "max"),
        above=_bound(spec.get("gt"), file, line, "gt"), below=_bound(spec.get("lt"), file, line, "lt"),
        decimal_comma=spec.get("decimal_comma"), region=spec.get("region"),
        max_length=int(spec.get("max_length", 100 if kind == "name" else 500)),
        min_items=int(spec.get("min_items", 0)), max_items=int(spec.get("max_items", 1000)),
        fields=items, file=file, line=line,
    )
    if spec.get("default") is not None:
        problems: list[RecordProblem] = []
        value = _convert(field_spec, spec["default"], "default", name, locale, problems)
        if problems:
            raise SceneError(f"contract field '{name}': default does not fit: expected {problems[0].expected}, "
                             f"got {problems[0].found}", file, line)
        field_spec = dataclasses.replace(field_spec, default=value)
    return field_spec


def parse_contract(data: Mapping[str, Any], file: str, line: int, locale: str) -> DataContract:
    """A `contract:` mapping (field -> type or spec) as a DataContract; SceneError with file:line."""
    fields = tuple(parse_field(str(k), v, file, _line(data, k, line), locale) for k, v in data.items())
    names = [f.name for f in fields]
    for a in names:
        for b in names:
            if b.startswith(a + "."):
                raise SceneError(f"contract fields '{a}' and '{b}' overlap: declare only the leaves", file,
                                 _line(data, b, line))
    return DataContract(fields=fields, locale=locale, file=file, line=line)


# ---- reading a record by its contract ---------------------------------------------------------


# Control characters (Cc but tab and newline), lone surrogates and private-use code points.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\U000f0000-\U0010ffff]")


def _bad_text(value: str) -> str | None:
    """Why a text may not reach drawing or speech, or None when it may."""
    if _CONTROL.search(value):
        return "text without control characters"
    if "{" in value and ("{{" in value or "{%" in value or "{#" in value):
        return "text without template syntax"
    return None


def _text(value: Any, spec: FieldSpec) -> tuple[Any, str | None]:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal) and not (
            isinstance(value, float) and math.isfinite(value)):
        return None, spec.kind
    text = " ".join(str(value).split())
    if not text:
        return None, spec.kind
    why = _bad_text(str(value))
    if why:
        return None, f"{spec.kind} ({why})"
    if len(text) > spec.max_length:
        return None, f"{spec.kind} of at most {spec.max_length} characters"
    if spec.kind == "name" and not any(unicodedata.category(ch).startswith("L") for ch in text):
        return None, "a name with letters"
    return text, None


def _decimal(value: Any, spec: FieldSpec, locale: str) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(str(value))
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        comma = spec.decimal_comma if spec.decimal_comma is not None else locale.split("_")[0] in ("nl", "de", "fr")
        if _DOT_NUMBER.match(text):
            if comma and re.match(r"^[+-]?\d{1,3}(\.\d{3})+$", text):
                return None  # '1.234' in a decimal-comma locale is ambiguous: refuse it
            number = Decimal(text)
        elif comma and _COMMA_NUMBER.match(text):
            number = Decimal(text.replace(".", "").replace(",", "."))
        else:
            return None
    else:
        return None
    return number if number.is_finite() else None


def _plain(number: Decimal) -> Decimal | int:
    """Exact, and printed without an exponent: 10 -> 10, 2.50 -> Decimal('2.5')."""
    if number == number.to_integral_value():
        return int(number)
    return Decimal(format(number.normalize(), "f"))


def _bounds(number: Decimal, spec: FieldSpec) -> str | None:
    if spec.minimum is not None and number < spec.minimum:
        return f"{spec.kind} of at least {spec.minimum}"
    if spec.maximum is not None and number > spec.maximum:
        return f"{spec.kind} of at most {spec.maximum}"
    if spec.above is not None and number <= spec.above:
        return f"{spec.kind} greater than {spec.above}"
    if spec.below is not None and number >= spec.below:
        return f"{spec.kind} less than {spec.below}"
    return None


def _number(value: Any, spec: FieldSpec, locale: str) -> tuple[Any, str | None]:
    if spec.kind == "percent" and isinstance(value, str) and value.strip().endswith("%"):
        number = _decimal(value.strip()[:-1], spec, locale)
        number = None if number is None else number / 100
    else:
        number = _decimal(value, spec, locale)
    if number is None:
        return None, spec.kind
    if spec.kind == "integer" and number != number.to_integral_value():
        return None, "integer"
    if spec.kind == "money":
        try:
            number = number.quantize(_CENT, rounding=ROUND_HALF_UP)
        except InvalidOperation:  # more digits than any bill holds
            return None, "money"
    why = _bounds(number, spec)
    if why:
        return None, why
    if spec.kind == "money":
        return number, None
    if spec.kind == "integer":
        return int(number), None
    return _plain(number), None


def _date(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}([T ].*)?$", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip()[:10]), None
        except ValueError:
            return None, "a real date (YYYY-MM-DD)"
    return None, "date (YYYY-MM-DD)"


def _phone(value: Any, spec: FieldSpec, locale: str) -> tuple[Any, str | None]:
    import phonenumbers

    if not isinstance(value, str) or not value.strip() or _bad_text(value):
        return None, "phone number (E.164, e.g. +31612345678)"
    region = spec.region or _LOCALE_REGIONS.get(locale) or _LOCALE_REGIONS.get(locale.split("_")[0])
    try:
        number = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException:
        return None, "phone number (E.164, e.g. +31612345678)"
    if not phonenumbers.is_valid_number(number):
        return None, "a valid phone number"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def _email(value: Any) -> tuple[Any, str | None]:
    from email_validator import EmailNotValidError, validate_email

    if not isinstance(value, str) or _bad_text(value):
        return None, "email address"
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized, None
    except EmailNotValidError:
        return None, "email address"


def _boolean(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool):
        return value, None
    if isinstance(value, int) and value in (0, 1):
        return bool(value), None
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE, None
    return None, "boolean (true or false)"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _convert(spec: FieldSpec, value: Any, record_id: str, where: str, locale: str,
             problems: list[RecordProblem]) -> Any:
    """The value read as spec says; on a misfit a problem is added and None returned."""
    kind = spec.kind
    if kind == "list":
        if not isinstance(value, list | tuple):
            problems.append(RecordProblem(record_id, where, "a list", shown(value)))
            return None
        if not spec.min_items <= len(value) <= spec.max_items:
            problems.append(RecordProblem(
                record_id, where, f"a list of {spec.min_items} to {spec.max_items} items", shown(value)))
            return None
        items = []
        for i, item in enumerate(value):
            if not isinstance(item, Mapping):
                problems.append(RecordProblem(record_id, f"{where}[{i}]", "a record", shown(item)))
                continue
            items.append(_convert_fields(spec.fields, item, record_id, f"{where}[{i}].", locale, problems))
        return items
    result: tuple[Any, str | None]
    if kind in ("text", "name"):
        result = _text(value, spec)
    elif kind in _NUMERIC:
        result = _number(value, spec, locale)
    elif kind == "date":
        result = _date(value)
    elif kind == "phone":
        result = _phone(value, spec, locale)
    elif kind == "email":
        result = _email(value)
    else:
        result = _boolean(value)
    converted, expected = result
    if expected is not None:
        problems.append(RecordProblem(record_id, where, expected, shown(value)))
        return None
    return converted


def _get(record: Mapping[str, Any], dotted: str) -> Any:
    if "." not in dotted:
        return record.get(dotted)
    node: Any = record
    for part in dotted.split("."):
        if not isinstance(node, dict | Mapping):
            return None
        node = node.get(part)
    return node


def _put(record: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = record
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = dict(child) if isinstance(child, Mapping) else {}
        node = child
    node[parts[-1]] = value


def _drop(record: dict[str, Any], dotted: str) -> None:
    parts = dotted.split(".")
    node: Any = record
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(parts[-1], None)


def _convert_fields(specs: Sequence[FieldSpec], record: Mapping[str, Any], record_id: str, prefix: str,
                    locale: str, problems: list[RecordProblem]) -> dict[str, Any]:
    out = _untyped(record, record_id, prefix.rstrip("."), problems, _declared_tree(specs))
    for spec in specs:
        raw = _get(record, spec.name)
        where = prefix + spec.name
        if _missing(raw):
            if spec.default is not None:
                _put(out, spec.name, spec.default)
            elif spec.required:
                problems.append(RecordProblem(record_id, where, spec.kind if spec.kind != "list" else "a list",
                                              "nothing" if raw is None else shown(raw)))
            else:
                _drop(out, spec.name)
            continue
        value = _convert(spec, raw, record_id, where, locale, problems)
        if value is not None:
            _put(out, spec.name, value)
        else:
            _drop(out, spec.name)
    return out


_Tree = dict[str, Any]  # key -> sub-tree of declared names below it, or None for a declared leaf
_TREES: dict[int, tuple[Sequence[FieldSpec], _Tree]] = {}


def _declared_tree(specs: Sequence[FieldSpec]) -> _Tree:
    """The declared dotted names as a tree, built once per contract (cached by identity)."""
    cached = _TREES.get(id(specs))
    if cached is not None and cached[0] is specs:
        return cached[1]
    tree: _Tree = {}
    for spec in specs:
        node = tree
        parts = spec.name.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            node = child
        node[parts[-1]] = None
    _TREES[id(specs)] = (specs, tree)
    return tree


def _untyped(value: Any, record_id: str, where: str, problems: list[RecordProblem],
             declared: _Tree | None = None) -> Any:
    """A copy with blank strings dropped (missing) and NaN, infinity, control characters refused.

    Fields in `declared` are left out: their declared type converts them.
    """
    if isinstance(value, dict | Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            key = str(key)
            path = f"{where}.{key}" if where else key
            if declared is not None and key in declared:
                below = declared[key]
                if below is not None and isinstance(item, dict | Mapping):
                    out[key] = _untyped(item, record_id, path, problems, below)
                continue  # declared: converted by its type
            converted = _untyped(item, record_id, path, problems)
            if converted is not None:
                out[key] = converted
        return out
    if isinstance(value, list | tuple):
        return [_untyped(item, record_id, f"{where}[{i}]", problems) for i, item in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        problems.append(RecordProblem(record_id, where, "a finite number", shown(value)))
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        problems.append(RecordProblem(record_id, where, "a finite number", shown(value)))
        return None
    if isinstance(value, str):
        if not value.strip():
            return None
        why = _bad_text(value)
        if why:
            problems.append(RecordProblem(record_id, where, why, shown(value)))
            return None
    return value


def record_id_of(record: Mapping[str, Any], fallback: str = "?") -> str:
    raw = record.get("id") if isinstance(record, Mapping) else None
    text = "" if raw is None else "".join(ch for ch in str(raw) if ch.isprintable()).strip()
    return text[:60] or fallback


def check_record(contract: DataContract | None, record: Mapping[str, Any],
                 fallback_id: str = "?") -> tuple[dict[str, Any], list[RecordProblem]]:
    """The record read by the contract (or untyped without one), and every problem found."""
    record_id = record_id_of(record, fallback_id)
    problems: list[RecordProblem] = []
    if not isinstance(record, Mapping):
        return {}, [RecordProblem(record_id, "(record)", "a record (mapping)", shown(record))]
    if contract is None:
        out = _untyped(record, record_id, "", problems)
    else:
        out = _convert_fields(contract.fields, record, record_id, "", contract.locale, problems)
    if "id" in record and record.get("id") is not None:
        out["id"] = record["id"] if isinstance(record["id"], str) else str(record["id"])
    return out, problems


def read_record(contract: DataContract | None, record: Mapping[str, Any], fallback_id: str = "?") -> dict[str, Any]:
    """The record read by the contract; RecordRejected (record id, field, expected, got) if it breaks it.

    Idempotent: a record already read reads the same again, so each entry point may call it.
    """
    out, problems = check_record(contract, record, fallback_id)
    if problems:
        raise RecordRejected(problems)
    return out


def template_references(source: str, expression: bool = False) -> list[str]:
    """The dotted data paths a template reads (`bill.total`, `bill.lines.amount`), loop variables resolved."""
    from jinja2 import nodes

    from smartvideo.render.templating import environment

    env = environment()
    tree = env.parse(f"{{{{ {source} }}}}" if expression else source)
    aliases: dict[str, str] = {}
    for loop in tree.find_all(nodes.For):
        if isinstance(loop.target, nodes.Name):
            path = _path_of(loop.iter, aliases)
            if path:
                aliases[loop.target.name] = path
    locals_ = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    found: list[str] = []

    def visit(node: nodes.Node) -> None:
        path = _path_of(node, aliases) if isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Name) else None
        if path is not None:
            root = path.split(".")[0]
            if root not in locals_ or root in aliases:
                found.append(path)
            return
        for child in node.iter_child_nodes():
            visit(child)

    visit(tree)
    return found


def _path_of(node: Any, aliases: Mapping[str, str]) -> str | None:
    from jinja2 import nodes

    parts: list[str] = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem):
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                parts.append(node.arg.value)
            elif not (isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, int)):
                return None
            node = node.node
        elif isinstance(node, nodes.Name) and node.ctx == "load":
            base = aliases.get(node.name, node.name)
            return ".".join([base, *reversed(parts)])
        elif isinstance(node, nodes.Filter) and node.name in ("last", "first") and node.node is not None:
            node = node.node  # (bill.lines | first).name reads bill.lines' name
        elif isinstance(node, nodes.Filter) and node.name == "sort" and node.node is not None:
            node = node.node
        else:
            return None



@dataclass(frozen=True, slots=True)
class ExportCheck:
    """What checking a whole export against a contract found."""

    records: int
    bad_records: int
    problems: tuple[RecordProblem, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "records": self.records, "bad_records": self.bad_records, "good_records": self.records - self.bad_records,
            "problems": [{"record": p.record_id, "field": p.field, "expected": p.expected, "found": p.found,
                          "message": p.message()} for p in self.problems],
        }


def _check_one(contract: DataContract | None, record: Any, n: int,
               defaults: Mapping[str, Any] | None) -> tuple[str, list[RecordProblem]]:
    """(the record's id, or '' when it has none; its problems) for record number n of an export."""
    if not isinstance(record, Mapping):
        return "", [RecordProblem(f"#{n}", "(record)", "a record (mapping)", shown(record))]
    if defaults:
        record = with_defaults(record, defaults)
    _, found = check_record(contract, record, f"#{n}")
    return record_id_of(record, ""), found


# The export a forked worker checks a slice of: set before the pool forks, so records are not pickled.
_FORKED: tuple[DataContract | None, Sequence[Any], Mapping[str, Any] | None] | None = None


def _check_slice(bounds: tuple[int, int]) -> list[tuple[str, list[RecordProblem]]]:
    assert _FORKED is not None
    contract, records, defaults = _FORKED
    return [_check_one(contract, records[i], i + 1, defaults) for i in range(*bounds)]


def check_export(contract: DataContract | None, records: Sequence[Any],
                 defaults: Mapping[str, Any] | None = None, processes: int = 1) -> ExportCheck:
    """Every record of an export read by the contract: each problem, named by record and field.

    A record without an id is named by its position (#3); an id seen twice is a problem too.
    processes > 1 checks slices of a large export in forked worker processes (CLI and bench only:
    forking a process that runs threads is unsafe).
    """
    global _FORKED
    if processes > 1 and len(records) >= 10_000:
        import multiprocessing

        step = -(-len(records) // (processes * 4))
        slices = [(i, min(i + step, len(records))) for i in range(0, len(records), step)]
        _FORKED = (contract, records, defaults)
        try:
            with multiprocessing.get_context("fork").Pool(processes) as pool:
                results = [one for part in pool.map(_check_slice, slices) for one in part]
        finally:
            _FORKED = None
    else:
        results = [_check_one(contract, record, n, defaults) for n, record in enumerate(records, start=1)]
    problems: list[RecordProblem] = []
    bad = 0
    seen: set[str] = set()
    for n, (rid, found) in enumerate(results, start=1):
        if isinstance(records[n - 1], Mapping):
            if not rid:
                found.insert(0, RecordProblem(f"#{n}", "id", "a customer id", shown(records[n - 1].get("id"))))
            elif rid in seen:
                found.insert(0, RecordProblem(rid, "id", "an id used once", f"{rid!r} again (record #{n})"))
            seen.add(rid)
        if found:
            bad += 1
            problems.extend(found)
    return ExportCheck(records=len(records), bad_records=bad, problems=tuple(problems))


def with_defaults(record: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the record with the story's `defaults:` filled where a field is missing or blank."""
    import copy

    data = copy.deepcopy(dict(record))
    for dotted, value in defaults.items():
        parts = dotted.split(".")
        node = data
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                break
            node = child
        else:
            if _missing(node.get(parts[-1])):
                node[parts[-1]] = value
    return data

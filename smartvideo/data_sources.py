"""Customer data sources: where a customer's record comes from.

`CustomerSource` is the interface a CRM or billing system implements; file sources (JSON, CSV,
YAML) ship here. Records are nested dicts with an `id`; CSV columns use dotted names
(`bill.total`, `bill.lines.0.name`) to build the same nesting. Values are not typed here: CSV
cells stay text and the story's data contract converts every field by its declared type.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import yaml

from smartvideo.errors import DataSourceError, UnknownCustomer


class CustomerSource(Protocol):
    """Anything that can hand over one customer's record by id."""

    def get(self, customer_id: str) -> dict[str, Any]: ...

    def ids(self) -> Iterator[str]: ...


def _cell(value: str) -> str | None:
    # Never guessed: '+31612345678', '0612345678', 'Nan' and 'True' stay text; the story's data
    # contract reads each field by its declared type (render/contract.py). Blank is missing.
    return value if value.strip() else None


def _nest(flat: Mapping[str, str]) -> dict[str, Any]:
    """{'bill.lines.0.name': 'Calls'} -> {'bill': {'lines': [{'name': 'Calls'}]}}."""
    root: dict[str, Any] = {}
    for dotted, raw in flat.items():
        if dotted is None:
            raise DataSourceError("a CSV row has more values than the header has columns")
        parts = dotted.strip().split(".")
        node: Any = root
        for part, nxt in zip(parts, parts[1:], strict=False):
            key: Any = int(part) if isinstance(node, list) else part
            if isinstance(node, list):
                while len(node) <= key:
                    node.append(None)
                if node[key] is None:
                    node[key] = [] if nxt.isdigit() else {}
                node = node[key]
            else:
                node = node.setdefault(key, [] if nxt.isdigit() else {})
        last = parts[-1]
        value = _cell(raw) if isinstance(raw, str) else raw
        if isinstance(node, list):
            index = int(last)
            while len(node) <= index:
                node.append(None)
            node[index] = value
        else:
            node[last] = value
    return root


def read_records(path: Path) -> list[dict[str, Any]]:
    """Read a JSON, YAML or CSV file of records (a list, or a mapping of id -> record)."""
    try:
        if path.suffix.lower() == ".csv":
            with path.open(newline="", encoding="utf-8-sig") as f:
                return [_nest(row) for row in csv.DictReader(f)]
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataSourceError(f"data file not found: {path}") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataSourceError(f"cannot read data file {path}: {exc}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise DataSourceError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None
    if isinstance(data, Mapping):
        if "customers" in data and isinstance(data["customers"], list):
            data = data["customers"]
        else:
            data = [{"id": str(k), **v} if isinstance(v, Mapping) else v for k, v in data.items()]
    if not isinstance(data, list):
        raise DataSourceError(f"{path}: expected a list of records or a mapping of id -> record")
    return data


class FileCustomerSource:
    """Customers from one JSON, YAML or CSV file, indexed by `id` once at open."""

    def __init__(self, path: Path):
        self.path = path
        self._records: dict[str, dict[str, Any]] = {}
        for n, record in enumerate(read_records(path), start=1):
            if not isinstance(record, Mapping) or record.get("id") in (None, ""):
                raise DataSourceError(f"{path}: record {n} has no 'id'")
            self._records[str(record["id"])] = dict(record)

    def get(self, customer_id: str) -> dict[str, Any]:
        try:
            return self._records[str(customer_id)]
        except KeyError:
            raise UnknownCustomer(f"no customer '{customer_id}' in {self.path.name}") from None

    def ids(self) -> Iterator[str]:
        return iter(self._records)


def parse_location(value: Any) -> tuple[float, float] | None:
    """'52.37,4.89' or {lat, lon} -> (lat, lon); anything else -> None."""
    try:
        if isinstance(value, str) and "," in value:
            lat, lon = (float(p) for p in value.split(",", 1))
        elif isinstance(value, Mapping):
            lat, lon = float(value["lat"]), float(value["lon"])
        else:
            return None
    except (KeyError, TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return (lat, lon)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def nearest_store(stores: list[dict[str, Any]], location: tuple[float, float]) -> dict[str, Any]:
    """The store closest to location, with its `distance_km` added."""
    best = None
    for store in stores:
        where = parse_location(store)
        if where is None:
            continue
        d = distance_km(location, where)
        if best is None or d < best[0]:
            best = (d, store)
    if best is None:
        raise DataSourceError("the stores file has no store with a valid lat/lon")
    return {**best[1], "distance_km": round(best[0], 1)}

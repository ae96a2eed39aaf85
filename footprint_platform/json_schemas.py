"""The JSON Schemas that exports are checked against (config/schemas/, static/schemas/): loaded
once per process, with `uuid` and `date-time` checked by our own code so that no optional
format package decides whether a timestamp is valid."""

from __future__ import annotations

import functools
import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema

from footprint_platform.reference import CONFIG_DIR

STATIC_SCHEMAS = Path(__file__).resolve().parent / "static" / "schemas"
SCHEMAS = {
    "pact": CONFIG_DIR / "schemas" / "pact-3.0.3" / "product-footprint.schema.json",
    "batterypass": CONFIG_DIR
    / "schemas"
    / "batterypass-cf-1.2.0"
    / "CarbonFootprintForBatteries-schema.json",
    "tanlian-declaration": STATIC_SCHEMAS / "tanlian-declaration-1.0.0.json",
    "aas": CONFIG_DIR / "schemas" / "aas-3.0" / "aas.json",
    "catenax-pcf-9.0.0": CONFIG_DIR / "schemas" / "catenax-pcf-9.0.0" / "Pcf-schema.json",
    "catenax-pcf-10.0.0": CONFIG_DIR / "schemas" / "catenax-pcf-10.0.0" / "Pcf-schema.json",
}
EXTENSION_SCHEMA_FILE = "schemas/tanlian-declaration-1.0.0.json"  # under the static folder

_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("uuid", raises=ValueError)
def _is_uuid(value: object) -> bool:
    return not isinstance(value, str) or str(uuid.UUID(value)) == value.lower()


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """RFC 3339: a date, a time and an offset (Z or ±hh:mm); a bare local time is refused."""
    if not isinstance(value, str):
        return True
    if "T" not in value.upper():
        raise ValueError("no time part")
    return datetime.fromisoformat(value).tzinfo is not None


@functools.cache
def schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMAS[name].read_text("utf-8"))
    return data


@functools.cache
def _validator(name: str) -> Any:
    body = schema(name)
    cls = jsonschema.validators.validator_for(body)
    cls.check_schema(body)
    return cls(body, format_checker=_FORMATS)


def problems(name: str, instance: Any) -> list[str]:
    """Every way `instance` breaks the named schema, each as `path: reason`, in a stable order."""
    found = []
    for error in _validator(name).iter_errors(instance):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        found.append(f"{path.lstrip('.') or '(root)'}: {error.message}")
    return sorted(found)

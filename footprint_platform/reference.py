"""Versioned reference data shipped in config/reference: product taxonomy and grid regions."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from babel import Locale

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"


@dataclass(frozen=True)
class Category:
    code: str
    en: str
    zh: str
    kind: str  # material | component | battery | vehicle
    units: tuple[str, ...]
    annex_ii: str | None = None
    # Code prefix of the factor datasets that describe the category generically (plausibility).
    generic_factor: str | None = None

    @property
    def is_battery(self) -> bool:
        return self.kind == "battery"

    def label(self, locale: str) -> str:
        return self.zh if locale.startswith("zh") else self.en


@dataclass(frozen=True)
class Province:
    code: str
    en: str
    zh: str
    grid: str
    also: tuple[str, ...] = ()

    def label(self, locale: str) -> str:
        return self.zh if locale.startswith("zh") else self.en


@dataclass(frozen=True)
class Reference:
    taxonomy_version: int
    categories: dict[str, Category]
    chemistries: dict[str, dict[str, str]]
    grid_regions: dict[str, dict[str, str]]
    provinces: dict[str, Province]
    grid_source: str

    def grids_for(self, province: str) -> tuple[str, ...]:
        p = self.provinces[province]
        return (p.grid, *p.also)


@functools.cache
def load_reference(config_dir: Path = CONFIG_DIR) -> Reference:
    """Read the reference files once per process; they change only with a release."""
    ref = config_dir / "reference"
    tax = tomllib.loads((ref / "product_categories.toml").read_text("utf-8"))
    grids = tomllib.loads((ref / "grid_regions.toml").read_text("utf-8"))
    categories = {
        c["code"]: Category(
            c["code"],
            c["en"],
            c["zh"],
            c["kind"],
            tuple(c["units"]),
            c.get("annex_ii"),
            c.get("generic_factor"),
        )
        for c in tax["category"]
    }
    provinces = {
        code: Province(code, p["en"], p["zh"], p["grid"], tuple(p.get("also", ())))
        for code, p in grids["provinces"].items()
    }
    return Reference(
        taxonomy_version=tax["version"],
        categories=categories,
        chemistries=tax["chemistries"],
        grid_regions=grids["regions"],
        provinces=provinces,
        grid_source=grids["source"],
    )


@functools.cache
def country_names(locale: str) -> dict[str, str]:
    """The countries and regions of config/reference/countries.toml (the national standard's
    list) and their names in the locale, from CLDR via Babel but where the standard writes them
    otherwise; sorted by name."""
    data = tomllib.loads((CONFIG_DIR / "reference" / "countries.toml").read_text("utf-8"))
    lang = "zh" if locale.startswith("zh") else "en"
    territories = Locale.parse("zh_Hans" if lang == "zh" else "en").territories
    names = {code: data["names"][lang].get(code) or territories[code] for code in data["codes"]}
    return dict(sorted(names.items(), key=lambda kv: kv[1]))

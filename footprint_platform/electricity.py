"""How an accounting rule values electricity (the rule's `[electricity]` table).

Rules up to version 1.0 named one grid factor per country (`grid_factor = { CN = "..." }`):
a pinned year. From version 1.1 a rule names code templates instead, and the factor is the
latest one the release publishes for the period's year or before, for the site's country (or
its grid region where the rule allows regional factors). Contractual instruments (certificates,
power purchase agreements, direct supply) are valued by the generation type of the registered
record, plus transmission and distribution where the rule says the instrument's kWh came over
the grid. What the rule's policy is (`jrc_hierarchy`, `green_certificates` or `grid_mix_only`)
and what it rests on are data of the rule, with its sources.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

JRC_HIERARCHY, GRID_MIX_ONLY, LEGACY = "jrc_hierarchy", "grid_mix_only", "legacy"
# The Chinese policy: green certificates (and on-site generation) as the rule lists them,
# uncovered kWh at the grid factor (no residual mix is published in China).
GREEN_CERTIFICATES = "green_certificates"


class FactorLike(Protocol):
    code: str
    series: str
    geography: str
    reference_year: int
    category: str


def country_of(geography: str) -> str:
    """`CN-E` -> `CN`; `HU` -> `HU`."""
    return geography.split("-")[0].upper()


@dataclass(frozen=True)
class ElectricityPolicy:
    """The rule's electricity modelling. Templates hold `{geo}` (lower-case country or grid
    region), `{year}` and, for generation factors, `{generation}`."""

    grid_series: str
    policy: str
    instruments: tuple[str, ...]
    instruments_need_evidence: bool
    grid_factor: dict[str, str] = field(default_factory=dict)  # legacy: pinned code per country
    grid_template: str | None = None
    regional: tuple[str, ...] = ()  # countries whose grid-region factors the rule accepts
    record_required: tuple[str, ...] = ()  # instruments that count only as registered records
    generation_template: str | None = None
    td_template: str | None = None
    td_applies_to: tuple[str, ...] = ()  # instruments whose kWh came over the public grid
    residual_template: str | None = None
    residual_substitute: str = "grid"
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def pinned(self) -> bool:
        """A rule of version 1.0: the grid factor is the code it names, whatever the year."""
        return self.grid_template is None

    def latest(
        self,
        factors: Mapping[str, FactorLike],
        template: str | None,
        geo: str,
        year: int | None,
        **names: str,
    ) -> str | None:
        """The code of the rule's series made from `template` for `geo`, with the highest
        reference year not after `year` (any year when the period is unknown)."""
        if template is None:
            return None
        pattern = re.escape(template).replace(r"\{year\}", r"(\d{4})")
        pattern = pattern.replace(r"\{geo\}", re.escape(geo.lower()))
        for key, value in names.items():
            pattern = pattern.replace(rf"\{{{key}\}}", re.escape(value.lower()))
        regex = re.compile(f"^{pattern}$")
        best: tuple[int, str] | None = None
        for code, f in factors.items():
            m = regex.match(code)
            if m is None or f.series != self.grid_series or f.category != "electricity":
                continue
            found = int(m.group(1))
            if year is not None and found > year:
                continue
            if best is None or found > best[0]:
                best = (found, code)
        return best[1] if best else None

    def grid_code(
        self, factors: Mapping[str, FactorLike], region: str, year: int | None
    ) -> str | None:
        """The grid factor for electricity drawn in `region` (a country or a grid region)."""
        country = country_of(region)
        if self.pinned:
            return self.grid_factor.get(country)
        if country in self.regional and region.upper() != country:
            regional = self.latest(factors, self.grid_template, region, year)
            if regional is not None:
                return regional
        return self.latest(factors, self.grid_template, country, year)

    def residual_code(
        self, factors: Mapping[str, FactorLike], region: str, year: int | None
    ) -> tuple[str | None, bool]:
        """The factor for kWh no instrument covers, and whether it is the rule's substitute
        (no residual mix published for the country) rather than a residual mix."""
        if self.policy != JRC_HIERARCHY:
            return self.grid_code(factors, region, year), False
        residual = self.latest(factors, self.residual_template, country_of(region), year)
        if residual is not None:
            return residual, False
        return self.grid_code(factors, region, year), True

    def generation_code(
        self, factors: Mapping[str, FactorLike], geography: str, generation: str, year: int | None
    ) -> str | None:
        """The life-cycle factor of the instrument's generation type in its country."""
        return self.latest(
            factors, self.generation_template, country_of(geography), year, generation=generation
        )

    def td_code(
        self, factors: Mapping[str, FactorLike], geography: str, year: int | None
    ) -> str | None:
        return self.latest(factors, self.td_template, country_of(geography), year)


def policy_from(data: Mapping[str, Any]) -> ElectricityPolicy:
    """The `[electricity]` table of a rule file (version 1.0 or later)."""
    grid = data["grid_factor"]
    pinned = isinstance(grid, dict)
    return ElectricityPolicy(
        grid_series=data["grid_series"],
        policy=data.get("policy", LEGACY if pinned else JRC_HIERARCHY),
        instruments=tuple(data["instruments"]),
        instruments_need_evidence=bool(data["instruments_need_evidence"]),
        grid_factor=dict(grid) if pinned else {},
        grid_template=None if pinned else str(grid),
        regional=tuple(data.get("regional", ())),
        record_required=tuple(data.get("record_required", ())),
        generation_template=data.get("generation_factor"),
        td_template=data.get("td_factor"),
        td_applies_to=tuple(data.get("td_applies_to", ())),
        residual_template=data.get("residual_mix"),
        residual_substitute=data.get("residual_substitute", "grid"),
        sources={str(k): str(v) for k, v in data.get("sources", {}).items()},
    )

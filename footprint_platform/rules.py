"""Accounting rules (product-category rules) as versioned data from config/rules/."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from footprint_platform.reference import CONFIG_DIR


@dataclass(frozen=True)
class Stage:
    code: str
    en: str
    zh: str

    def label(self, locale: str) -> str:
        return self.zh if locale.startswith("zh") else self.en


@dataclass(frozen=True)
class MissingData:
    """What stands in for a linked input without submitted data for the period (the rule's
    `[missing_data]`): the steps in `order` ("carry_forward": the supplier's latest earlier
    period, at most `max_age_years` old, its temporal rating raised by `temporal_dqr_step`
    per year of age; "secondary": a dataset of the category, the one `secondary` names, else
    the highest applicable), then nothing: the result is incomplete. Gaps and fallbacks are rated
    `worst_dqr`."""

    order: tuple[str, ...]
    max_age_years: int
    temporal_dqr_step: float
    worst_dqr: float
    secondary: dict[str, str]  # category -> dataset code; others: the highest applicable
    source: str

    def carried_dqr(self, dqr: float | None, age_years: int) -> float | None:
        """The rating of data carried forward `age_years` periods: lowered (a higher number)
        by the rule's step per year, never past the worst."""
        if dqr is None:
            return None
        return min(self.worst_dqr, dqr + self.temporal_dqr_step * max(age_years, 0))

    def carried_ratings(
        self, ratings: tuple[float, float, float], age_years: int
    ) -> tuple[float, float, float]:
        """The three ratings (technological, temporal, geographical) of data carried forward:
        only the temporal one ages (ISO 14067 6.3.5, time-related coverage), by the rule's
        step per year, never past the worst."""
        technological, temporal, geographical = ratings
        aged = min(self.worst_dqr, temporal + self.temporal_dqr_step * max(age_years, 0))
        return (technological, aged, geographical)


def _missing_data(data: dict[str, Any]) -> MissingData:
    return MissingData(
        order=tuple(data["order"]),
        max_age_years=int(data["max_age_years"]),
        temporal_dqr_step=float(data["temporal_dqr_step"]),
        worst_dqr=float(data["worst_dqr"]),
        secondary=dict(data.get("secondary", {})),
        source=str(data["source"]),
    )


DEFAULT_GWP = "AR6"


@dataclass(frozen=True)
class Characterisation:
    """How a rule characterises greenhouse gases (`[characterisation]`): the IPCC GWP100 set
    (`gwp`, e.g. "AR6"); a factor whose source states another set is refused (no conversion:
    a CO2e figure cannot be re-weighted without its gases). A CO2-only factor (gas basis CO2)
    counts only if its code is listed in `co2_only_accepted`, at its CO2 value, with the
    stated note on every result that uses it; any other is refused."""

    gwp: str
    co2_only_accepted: tuple[str, ...]
    co2_only_note_en: str
    co2_only_note_zh: str
    source: str

    def co2_only_note(self, locale: str) -> str:
        return self.co2_only_note_zh if locale.startswith("zh") else self.co2_only_note_en


@dataclass(frozen=True)
class AccountingRule:
    """What a footprint of a product category must follow: declared unit, stages, cut-off,
    allocation, electricity modelling and which components need primary data."""

    code: str
    version: str
    name_en: str
    name_zh: str
    applies_to: tuple[str, ...]
    declared_unit: str
    stages: tuple[Stage, ...]
    allocation_default: str
    allocation_allowed: tuple[str, ...]
    grid_series: str
    grid_factor: dict[str, str]
    instruments: tuple[str, ...]
    instruments_need_evidence: bool
    required_components: tuple[str, ...]
    self_declaration: bool
    missing_data: MissingData
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def stage_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.stages)

    def name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en

    @property
    def characterisation(self) -> Characterisation:
        """The GWP set the rule's footprints use and how it treats factors of another basis."""
        c = self.raw.get("characterisation") or {}
        return Characterisation(
            gwp=str(c.get("gwp", DEFAULT_GWP)),
            co2_only_accepted=tuple(c.get("co2_only_accepted", ())),
            co2_only_note_en=str(c.get("co2_only_note_en", "")),
            co2_only_note_zh=str(c.get("co2_only_note_zh", "")),
            source=str(c.get("source", "")),
        )

    @property
    def mass_balance(self) -> MassBalance | None:
        """The rule's mass-balance range, if it states one."""
        mb = self.raw.get("mass_balance")
        if mb is None:
            return None
        low, high = (Decimal(str(v)) for v in mb["range"])
        return MassBalance(low, high, tuple(mb.get("not_for", ())), mb["source"])

    @property
    def cut_off(self) -> CutOff | None:
        """The rule's cut-off: the largest total share of the footprint its exclusions may
        have, with the source."""
        cut = self.raw.get("cut_off")
        if cut is None:
            return None
        return CutOff(Decimal(str(cut["total_share"])), cut["source"])


@dataclass(frozen=True)
class MassBalance:
    """Material kg per kg of product outside [low, high] needs a stated reason."""

    low: Decimal
    high: Decimal
    not_for: tuple[str, ...]  # categories not mass-balanced (ores, brines)
    source: str


@dataclass(frozen=True)
class CutOff:
    total_share: Decimal  # 0.05: exclusions may add up to 5 % of the footprint
    source: str


def _rule(data: dict[str, Any]) -> AccountingRule:
    electricity = data["electricity"]
    return AccountingRule(
        code=data["code"],
        version=data["version"],
        name_en=data["name_en"],
        name_zh=data["name_zh"],
        applies_to=tuple(data["applies_to"]),
        declared_unit=data["declared_unit"],
        stages=tuple(Stage(s["code"], s["en"], s["zh"]) for s in data["stage"]),
        allocation_default=data["allocation"]["default"],
        allocation_allowed=tuple(data["allocation"]["allowed"]),
        grid_series=electricity["grid_series"],
        grid_factor=dict(electricity["grid_factor"]),
        instruments=tuple(electricity["instruments"]),
        instruments_need_evidence=bool(electricity["instruments_need_evidence"]),
        required_components=tuple(data["primary_data"]["required_components"]),
        self_declaration=bool(data["self_declaration"]),
        missing_data=_missing_data(data["missing_data"]),
        raw=data,
    )


@functools.cache
def load_rules(config_dir: Path = CONFIG_DIR) -> dict[str, AccountingRule]:
    """Every rule in config/rules, by code."""
    rules = [
        _rule(tomllib.loads(p.read_text("utf-8")))
        for p in sorted((config_dir / "rules").glob("*.toml"))
    ]
    return {r.code: r for r in rules}


def rule_for_category(category: str) -> AccountingRule:
    """The rule that names the category, else the generic one (applies_to = ["*"])."""
    rules = load_rules()
    for rule in rules.values():
        if category in rule.applies_to:
            return rule
    return next(r for r in rules.values() if "*" in r.applies_to)

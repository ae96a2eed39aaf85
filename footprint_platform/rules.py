"""Accounting rules (product-category rules) as versioned data from config/rules/.

One module because an accounting rule is read, validated and versioned in one place (its
tables, their sources, the archive of earlier versions and the rule a declaration is made
under), so that every use reads the same rule the same way."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from footprint_platform.electricity import ElectricityPolicy, policy_from
from footprint_platform.reference import CONFIG_DIR
from supply_graph.circular import CFF, METHODS, MaterialParameters


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
    per year of age; "secondary": a dataset of the category, the one `secondary` names for the
    category (one code, or one per geography: the site's country, else "*"), else the highest
    applicable of the most representative geography in `geography` order: "site" (the
    country of the missing product's site, its regions included), then the listed codes,
    then any), then nothing: the result is incomplete. Gaps and fallbacks are rated
    `worst_dqr`."""

    order: tuple[str, ...]
    max_age_years: int
    temporal_dqr_step: float
    worst_dqr: float
    secondary: dict[str, dict[str, str]]  # category -> {country or "*": dataset code}
    source: str
    geography: tuple[str, ...] = ("site", "GLO")  # most representative first

    def named(self, category: str, country: str) -> str | None:
        """The dataset the rule names for the category at a site in `country`, if any."""
        codes = self.secondary.get(category, {})
        return codes.get(country) or codes.get("*")

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
        secondary={
            category: dict(named) if isinstance(named, dict) else {"*": str(named)}
            for category, named in data.get("secondary", {}).items()
        },
        source=str(data["source"]),
        geography=tuple(data.get("geography", ("site", "GLO"))),
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
class MaterialEndOfLife:
    """One material's CFF parameters in a rule (`[end_of_life.material.<name>]`): A, B, the
    quality ratios, the share sent to energy recovery and the virgin dataset E*v that its
    recycled output replaces, with the source."""

    name: str
    parameters: MaterialParameters
    r3: float
    virgin: str
    source: str


@dataclass(frozen=True)
class StageModel:
    """How a declared product's footprint splits into the rule's stages (`[stage_model]`):
    `main` holds the own emissions of the nodes whose category is in `main_categories` (None:
    the declared product's own only), anywhere upstream; the declared product's own rows of
    every other stage but `residual` stay in their stage; the rest is `residual`. A rule
    without one (version 1.0) keeps the stages as each maker labelled its rows."""

    main: str
    residual: str
    main_categories: frozenset[str] | None
    source: str


@dataclass(frozen=True)
class EndOfLife:
    """How a rule treats recycled content and end of life (`[end_of_life]`): `method` "cff"
    (the Circular Footprint Formula with the per-material parameters) or "cut_off" (the
    recycled-content approach: recycled inputs carry their recycling, no end-of-life credit)."""

    method: str
    source: str
    materials: dict[str, MaterialEndOfLife]

    @property
    def is_cff(self) -> bool:
        return self.method == CFF

    def for_dataset(self, code: str | None) -> MaterialEndOfLife | None:
        """The parameters of the material a dataset code names (mat.<material>.…)."""
        parts = (code or "").split(".")
        return self.materials.get(parts[1]) if len(parts) > 2 and parts[0] == "mat" else None


# A rule that states no approach: the cut-off, which needs no parameters and gives no credit.
NO_END_OF_LIFE = EndOfLife(
    "cut_off", "no approach stated by the rule: recycled inputs carry their recycling only", {}
)


def _end_of_life(data: dict[str, Any] | None) -> EndOfLife:
    if data is None:
        return NO_END_OF_LIFE
    method = str(data["method"])
    if method not in METHODS:
        raise ValueError(f"[end_of_life] method must be one of {METHODS}, not {method!r}")
    materials = {
        name: MaterialEndOfLife(
            name,
            MaterialParameters(
                a=float(m["a"]),
                b=float(m.get("b", 0.0)),
                qsin_qp=float(m.get("qsin_qp", 1.0)),
                qsout_qp=float(m.get("qsout_qp", 1.0)),
            ),
            float(m.get("r3", 0.0)),
            str(m["virgin"]),
            str(m["source"]),
        )
        for name, m in data.get("material", {}).items()
    }
    return EndOfLife(method, str(data["source"]), materials)


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
    electricity: ElectricityPolicy
    required_components: tuple[str, ...]
    self_declaration: bool
    missing_data: MissingData
    raw: dict[str, Any] = field(repr=False, compare=False)
    end_of_life: EndOfLife = NO_END_OF_LIFE

    @property
    def stage_model(self) -> StageModel | None:
        """The rule's stage model, None where its stages are the makers' labels (1.0)."""
        model = self.raw.get("stage_model")
        if model is None:
            return None
        categories = model["main_categories"]
        return StageModel(
            main=str(model["main"]),
            residual=str(model["residual"]),
            main_categories=None if categories == "self" else frozenset(categories),
            source=str(model["source"]),
        )

    @property
    def grid_series(self) -> str:
        return self.electricity.grid_series

    @property
    def instruments(self) -> tuple[str, ...]:
        return self.electricity.instruments

    @property
    def instruments_need_evidence(self) -> bool:
        return self.electricity.instruments_need_evidence

    @property
    def stage_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.stages)

    def name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en

    @property
    def is_default(self) -> bool:
        """Whether the rule is its categories' default (`default`, true unless stated). A rule
        with `default = false` (a jurisdiction's declaration rule) is chosen by name on a
        declaration, never by category."""
        return bool(self.raw.get("default", True))

    @property
    def jurisdiction(self) -> str | None:
        """ "CN", "EU": the jurisdiction whose declaration the rule states, if one."""
        value = self.raw.get("jurisdiction")
        return None if value is None else str(value)

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
    def fuel_upstream(self) -> FuelUpstream | None:
        """The rule's fuel pairing (`[fuel_upstream]`), if it states one."""
        fu = self.raw.get("fuel_upstream")
        if fu is None:
            return None
        year, number = (int(x) for x in str(fu["from_release"]).split("."))
        return FuelUpstream((year, number), dict(fu["pairs"]), str(fu["source"]))

    @property
    def cut_off(self) -> CutOff | None:
        """The rule's cut-off: the largest total share of the footprint its exclusions may
        have, with the source."""
        cut = self.raw.get("cut_off")
        if cut is None:
            return None
        return CutOff(Decimal(str(cut["total_share"])), cut["source"])


@dataclass(frozen=True)
class FuelUpstream:
    """The rule's pairing of burnt fuels with their supply chain: an input valued with a
    combustion-only factor (`pairs` key) also carries the well-to-tank upstream factor the
    rule pairs it with, per the same quantity, in the raw-material stage, for submissions on
    factor release `from_release` or later (earlier declarations recompute as published).
    A submission that enters the upstream row itself keeps its own."""

    from_release: tuple[int, int]
    pairs: dict[str, str]  # combustion factor code -> upstream factor code
    source: str

    def applies(self, release_version: str) -> bool:
        year, number = (int(x) for x in release_version.split("."))
        return (year, number) >= self.from_release

    def upstream_for(self, code: str | None, release_version: str, entered: set[str]) -> str | None:
        """The upstream factor code to add to an input valued with `code` on that release,
        None where the rule pairs nothing or the submission `entered` that upstream itself."""
        paired = self.pairs.get(code or "")
        if paired is None or paired in entered or not self.applies(release_version):
            return None
        return paired


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
        electricity=policy_from(electricity),
        required_components=tuple(data["primary_data"]["required_components"]),
        self_declaration=bool(data["self_declaration"]),
        missing_data=_missing_data(data["missing_data"]),
        raw=data,
        end_of_life=_end_of_life(data.get("end_of_life")),
    )


@functools.cache
def load_rules(config_dir: Path = CONFIG_DIR) -> dict[str, AccountingRule]:
    """Every rule in config/rules, by code."""
    rules = [
        _rule(tomllib.loads(p.read_text("utf-8")))
        for p in sorted((config_dir / "rules").glob("*.toml"))
    ]
    return {r.code: r for r in rules}


@functools.cache
def rule_version(code: str, version: str, config_dir: Path = CONFIG_DIR) -> AccountingRule:
    """The rule `code` as it stood at `version`: the current file, or the archived one
    (`config/rules/archive/<code>-<version>.toml`) a submission or declaration pinned. A draft
    made under an older version is checked as that version says, so a rule's new version never
    changes what an earlier one computed."""
    current = load_rules(config_dir).get(code)
    if current is not None and current.version == version:
        return current
    path = config_dir / "rules" / "archive" / f"{code}-{version}.toml"
    if not path.is_file():
        raise KeyError(f"rule {code} {version} is neither current nor archived")
    return _rule(tomllib.loads(path.read_text("utf-8")))


# The rule a computation is made under for the categories it applies to (`declared_under`):
# a declaration under a rule other than its category's default recomputes the chain with it.
DECLARED_UNDER: ContextVar[AccountingRule | None] = ContextVar("declared_under", default=None)


@contextmanager
def declared_under(rule: AccountingRule) -> Iterator[None]:
    """Within the block, `rule_for_category` answers `rule` for the categories it applies to
    (the declared product's and the other battery plants' of its chain), so the roll-up values
    their end of life, missing data and fuel supply as that rule states. Per context (thread,
    task): another request computing meanwhile is not affected."""
    token = DECLARED_UNDER.set(rule)
    try:
        yield
    finally:
        DECLARED_UNDER.reset(token)


def overridden(category: str | None) -> AccountingRule | None:
    """The rule `declared_under` sets for the category, None outside one (or another category)."""
    rule = DECLARED_UNDER.get()
    return rule if rule is not None and category in rule.applies_to else None


def rule_for_category(category: str) -> AccountingRule:
    """The default rule that names the category, else the generic one (applies_to = ["*"]);
    inside `declared_under`, that rule for the categories it applies to. Called per product
    by the roll-up: the default is looked up once per category."""
    chosen = DECLARED_UNDER.get()
    if chosen is not None and category in chosen.applies_to:
        return chosen
    return _default_rule(category)


@functools.cache
def _default_rule(category: str) -> AccountingRule:
    rules = load_rules()
    for rule in rules.values():
        if category in rule.applies_to and rule.is_default:
            return rule
    return next(r for r in rules.values() if "*" in r.applies_to)


def rules_for_category(category: str) -> list[AccountingRule]:
    """Every rule a product of the category may be declared under: its default first, then
    the jurisdictions' rules that name it (`default = false`), by code."""
    default = rule_for_category(category)
    others = [
        r
        for r in load_rules().values()
        if not r.is_default and category in r.applies_to and r.code != default.code
    ]
    return [default, *sorted(others, key=lambda r: r.code)]

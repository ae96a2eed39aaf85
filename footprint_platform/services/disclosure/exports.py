"""Exports of one pinned declaration. Their CSV cells go through `csv_cells.safe_cell`, so an
export never becomes an attack on its reader."""

from __future__ import annotations

import csv
import io

from footprint_platform.battery import declared_per_kwh
from footprint_platform.csv_cells import safe_cell
from footprint_platform.models import Declaration
from footprint_platform.number_format import exact_text
from footprint_platform.rules import load_rules
from footprint_platform.services.disclosure import end_of_life


def _carbon_cells(d: Declaration) -> list[str]:
    """The pinned carbon content, kg C per declared unit: fossil where known, else its upper
    bound in the next column; biogenic where known. Empty on declarations made before it was
    pinned (the PACT export computes theirs from the pins)."""
    carbon = d.carbon_content or {}
    keys = ("fossil", "fossil_upper_bound", "biogenic")
    return [carbon.get(k) or "" for k in keys]


def declaration_csv(d: Declaration, verification: str) -> str:
    """One row per life-cycle stage plus the total, with the pins that make it reproducible;
    `stage_note` says how the end-of-life stage was computed, or that it was not modelled.
    `primary_data_share` includes `carried_forward_share` (a supplier's primary data of an
    earlier period); both shares, and `fallback_share`, are fractions of the total, empty on
    declarations made before they were stored. The last four columns name the product, its
    maker and the stage in English and Chinese, for people reading the file; after them the
    PACT data-quality ratings (`dqi_*`, 1 best to 5, empty where unrated) and the carbon
    content (services/disclosure/carbon_content.py)."""
    rule = load_rules()[d.rule_code]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "public_id",
            "product",
            "part_number",
            "battery_code",
            "organization",
            "period_start",
            "period_end",
            "version",
            "declared_unit",
            "stage",
            "kg_co2e_per_unit",
            "primary_data_share",
            "carried_forward_share",
            "fallback_share",
            "dqr",
            "performance_class",
            "verification",
            "rule",
            "engine",
            "content_hash",
            "stage_note",
            # the names a person reads, in both languages (the codes above stay for programs)
            "product_zh",
            "organization_zh",
            "stage_en",
            "stage_zh",
            # added later, last so earlier readers keep their columns
            "dqi_technological",
            "dqi_temporal",
            "dqi_geographical",
            "fossil_carbon_kg_c_per_unit",
            "fossil_carbon_upper_bound_kg_c_per_unit",
            "biogenic_carbon_kg_c_per_unit",
        ]
    )
    common = [
        d.public_id,
        d.product.name_en,
        d.product.part_number,
        d.product.battery_code or "",
        d.product.organization.name_en,
        d.period_start,
        d.period_end,
        d.version,
        d.declared_unit,
    ]
    composition = d.composition or {}
    tail = [
        exact_text(d.primary_data_share),
        composition.get("carried_forward", ""),
        composition.get("fallback", ""),
        exact_text(d.dqr),
        d.performance_class or "",
        verification,
        f"{rule.code} {d.rule_version}",
        d.engine_version,
        d.content_hash,
    ]
    names = [d.product.display_name("zh"), d.product.organization.display_name("zh")]
    dqi = d.dqi or {}
    later = [
        *(dqi.get(k, "") for k in ("technological", "temporal", "geographical")),
        *_carbon_cells(d),
    ]
    for stage in rule.stages:
        value = d.by_stage.get(stage.code, "0")
        note = end_of_life.stage_note(d, rule, stage.code)
        row = [*common, stage.code, value, *tail, note, *names, stage.en, stage.zh, *later]
        writer.writerow([safe_cell(v) for v in row])
    total = [*common, "total", exact_text(d.total), *tail, "", *names, "Total", "合计", *later]
    writer.writerow([safe_cell(v) for v in total])
    return out.getvalue()


PUBLIC_LIST_MAX = 10_000  # rows of one public-list file; a narrower search gives the rest


def public_list_csv(declarations: list[Declaration], base_url: str) -> str:
    """The public list as a table for a spreadsheet: one row per published declaration with
    its stored figures (per declared unit; a battery's per kWh of lifetime energy and of rated
    capacity beside it, as pinned), its stored class (an illustrative scale) and its address.
    Nothing is recomputed and nothing unpublished appears."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "public_id",
            "product",
            "product_zh",
            "part_number",
            "organization",
            "organization_zh",
            "category",
            "chemistry",
            "period_start",
            "period_end",
            "total_kg_co2e_per_declared_unit",
            "declared_unit",
            "kg_co2e_per_kwh_lifetime_energy",
            "kg_co2e_per_kwh_capacity",
            "performance_class_illustrative",
            "primary_data_share",
            "status",
            "published_at",
            "url",
        ]
    )
    for d in declarations:
        p, org = d.product, d.product.organization
        kwh = declared_per_kwh(d) if p.capacity_kwh else None
        status = "withdrawn" if d.withdrawn_at else d.status.value
        writer.writerow(
            safe_cell(v)
            for v in (
                d.public_id,
                p.name_en,
                p.name_zh,
                p.part_number,
                org.name_en,
                org.name_zh,
                p.category,
                p.chemistry,
                d.period_start,
                d.period_end,
                exact_text(d.total),
                d.declared_unit,
                exact_text(kwh.per_kwh_lifetime) if kwh and kwh.per_kwh_lifetime else "",
                exact_text(kwh.per_kwh_capacity) if kwh and kwh.per_kwh_capacity else "",
                d.performance_class or "",
                exact_text(d.primary_data_share),
                status,
                d.published_at.isoformat() if d.published_at else "",
                f"{base_url}/d/{d.public_id}",
            )
        )
    return out.getvalue()

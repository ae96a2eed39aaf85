"""The carbon content of a declared product (PACT v3.0.3 fossilCarbonContent and
biogenicCarbonContent): mass balance over the pinned bill of materials, never a zero that is not
known, and an upper bound where PACT's required fossil field has no known value."""

from __future__ import annotations

from decimal import Decimal

import pytest

from footprint_platform.models import InputKind
from footprint_platform.services.carbon_content import CarbonContent, Chain, Node, Row

D = Decimal


def _material(
    qty: str,
    unit: str = "kg",
    fossil: str | None = None,
    biogenic: str | None = None,
    linked: int | None = None,
    position: int = 0,
) -> Row:
    return Row(
        position,
        InputKind.MATERIAL,
        D(qty),
        unit,
        linked,
        None,
        None if fossil is None else D(fossil),
        None if biogenic is None else D(biogenic),
    )


def _node(rows: list[Row], unit: str = "kg", fossil: str | None = None) -> Node:
    return Node(unit, None if fossil is None else D(fossil), None, rows)


def test_stated_materials_add_up_by_mass() -> None:
    chain = Chain(None, {}).add(
        1,
        _node(
            [
                _material("0.4", fossil="0.9", biogenic="0"),
                _material("0.5", fossil="0", biogenic="0.1"),
            ]
        ),
    )
    got = chain.of(1)
    assert got.fossil == D("0.4") * D("0.9")
    assert got.biogenic == D("0.5") * D("0.1")
    assert got.fossil_upper_bound is None and got.unknown_inputs == 0
    assert got.fossil_for_pact == got.fossil


def test_a_linked_product_carries_its_own_content_through_the_unit_conversion() -> None:
    """An anode material (per kg) used in grams by a cell (per piece)."""
    chain = Chain(None, {})
    chain.add(10, _node([_material("0.95", fossil="1", biogenic="0")]))
    chain.add(20, _node([_material("300", unit="g", linked=10)], unit="piece"))
    got = chain.of(20)
    assert got.fossil == D("0.3") * D("0.95")
    assert got.biogenic == 0


def test_an_unknown_material_is_never_zero_and_bounds_by_its_mass() -> None:
    chain = Chain(None, {}).add(
        1,
        _node(
            [_material("0.2", fossil="0.5", biogenic="0"), _material("0.3")],
            unit="piece",
        ),
    )
    got = chain.of(1)
    assert got.fossil is None and got.biogenic is None
    assert got.fossil_upper_bound == D("0.2") * D("0.5") + D("0.3")
    assert got.unknown_inputs == 1
    assert got.fossil_for_pact == got.fossil_upper_bound


def test_the_bound_is_at_most_the_product_s_own_mass() -> None:
    chain = Chain(None, {}).add(1, _node([_material("2.5")], unit="kg"))
    assert chain.of(1).fossil_upper_bound == 1


def test_no_bound_follows_from_a_material_not_entered_by_mass() -> None:
    chain = Chain(None, {}).add(1, _node([_material("4", unit="piece")], unit="piece"))
    got = chain.of(1)
    assert got.fossil is None and got.fossil_upper_bound is None
    assert got.fossil_for_pact is None


def test_unknown_upstream_keeps_its_bound_and_its_count() -> None:
    chain = Chain(None, {})
    chain.add(10, _node([_material("0.6"), _material("0.3", position=1)], unit="piece"))
    chain.add(20, _node([_material("2", unit="piece", linked=10)], unit="piece"))
    got = chain.of(20)
    assert got.fossil is None
    assert got.fossil_upper_bound == 2 * (D("0.6") + D("0.3"))
    assert got.unknown_inputs == 2


def test_a_product_s_stated_content_takes_precedence() -> None:
    chain = Chain(None, {}).add(1, _node([_material("0.3")], unit="piece", fossil="0.12"))
    got = chain.of(1)
    assert got.fossil == D("0.12") and got.fossil_upper_bound is None and got.unknown_inputs == 0


def test_a_product_made_from_no_material_holds_only_what_its_maker_states() -> None:
    """Natural graphite from a mine: no material input, yet it is mostly carbon."""
    chain = Chain(None, {}).add(1, _node([], unit="kg"))
    got = chain.of(1)
    assert got.fossil is None and got.biogenic is None and got.unknown_inputs == 1
    assert got.fossil_upper_bound == 1  # one kg of product holds at most one kg of carbon
    stated = Chain(None, {}).add(1, _node([], unit="kg", fossil="0.94"))
    assert stated.of(1).fossil == D("0.94")


def test_co_products_leave_only_a_zero_certain() -> None:
    coproduct = Row(9, InputKind.COPRODUCT, D("1"), "kg", None, None, None, None)
    carbon = Chain(None, {}).add(1, _node([_material("0.5", fossil="0.8"), coproduct]))
    assert carbon.of(1).fossil is None
    assert carbon.of(1).fossil_upper_bound == D("0.4")
    none = Chain(None, {}).add(1, _node([_material("0.5", fossil="0", biogenic="0"), coproduct]))
    assert none.of(1).fossil == 0 and none.of(1).biogenic == 0


def test_a_product_without_pinned_data_is_not_known() -> None:
    chain = Chain(None, {}).add(2, _node([_material("0.7", linked=99)]))
    got = chain.of(2)
    assert got.fossil is None and got.fossil_upper_bound == D("0.7")


def test_a_supply_loop_gives_no_value() -> None:
    chain = Chain(None, {})
    chain.add(1, _node([_material("0.5", linked=2)]))
    chain.add(2, _node([_material("0.5", linked=1)]))
    got = chain.of(1)
    assert got.fossil is None


@pytest.mark.parametrize(
    "content",
    [
        CarbonContent(D("1.25"), None, D("0"), 0),
        CarbonContent(None, D("3.5"), None, 4),
        CarbonContent(None, None, None, 2),
    ],
)
def test_the_pinned_form_reads_back(content: CarbonContent) -> None:
    assert CarbonContent.from_json(content.as_json()) == content

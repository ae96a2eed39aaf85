"""Unit conversion on edges: every amount ends up in its provider's declared unit."""

from __future__ import annotations

import pytest

from supply_graph import UnitMismatch, rollup
from supply_graph.units import conversion_factor

from .conftest import make_graph


@pytest.mark.parametrize(
    ("unit", "target", "factor"),
    [
        ("g", "kg", 1e-3),
        ("t", "kg", 1e3),
        ("MJ", "kWh", 1 / 3.6),
        ("GJ", "kWh", 1e3 / 3.6),
        ("kWh", "MJ", 3.6),
        ("piece", "piece", 1.0),
        ("t*km", "kg*km", 1e3),
    ],
)
def test_conversion_factor(unit: str, target: str, factor: float) -> None:
    assert conversion_factor(unit, target) == pytest.approx(factor, rel=1e-12)


@pytest.mark.parametrize(("unit", "target"), [("piece", "kg"), ("kg", "kWh"), ("kg", "nonsense")])
def test_non_converting_units(unit: str, target: str) -> None:
    assert conversion_factor(unit, target) is None


def test_edge_amounts_are_converted_before_the_rollup() -> None:
    """cell (kWh) uses 500 g of cathode (declared per kg, 10 kg CO2e/kg), 0.002 t of steel
    (declared per kg, 2 kg CO2e/kg), 36 MJ of electricity (declared per kWh, 0.5 kg CO2e/kWh)
    and 1 piece of casing (1.5 kg CO2e/piece):
    f_cell = 1 + 0.5·10 + 2·2 + 10·0.5 + 1·1.5 = 1 + 5 + 4 + 5 + 1.5 = 16.5."""
    graph = make_graph(
        [1.0, 10.0, 2.0, 0.5, 1.5],
        [
            ("cathode", "cell", 500, "g"),
            ("steel", "cell", 0.002, "t"),
            ("grid", "cell", 36, "MJ"),
            ("casing", "cell", 1, "piece"),
        ],
        units={"cell": "kWh", "cathode": "kg", "steel": "kg", "grid": "kWh", "casing": "piece"},
    )
    assert rollup(graph)["cell"].total == pytest.approx(16.5, rel=1e-12)


def test_tonne_km_transport() -> None:
    """Trucking declared per t*km at 0.1 kg CO2e; 1 kg of product moved 500 km is
    0.5 t*km written as 500 kg*km: f = 0.1 · 0.5 = 0.05."""
    graph = make_graph(
        [0.0, 0.1],
        [("truck", "product", 500, "kg*km")],
        units={"product": "kg", "truck": "t*km"},
    )
    assert rollup(graph)["product"].total == pytest.approx(0.05, rel=1e-12)


def test_unit_mismatch_names_the_edge() -> None:
    with pytest.raises(UnitMismatch, match=r"ore -> cell .*'kWh'.*'kg'"):
        make_graph([1.0, 1.0], [("ore", "cell", 3, "kWh")], units={"cell": "kWh", "ore": "kg"})


def test_piece_does_not_convert_to_mass() -> None:
    with pytest.raises(UnitMismatch, match="casing -> cell"):
        make_graph([1, 1], [("casing", "cell", 2, "kg")], units={"cell": "kWh", "casing": "piece"})

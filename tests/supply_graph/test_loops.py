"""The component finder: which loops of a graph have no physical footprint, named."""

from __future__ import annotations

import pytest
from hypothesis import given

from supply_graph import SingularLoop, nonphysical_loops, rollup
from supply_graph.loops import path_through
from tests.supply_graph.conftest import make_graph, random_graphs

UNITS = {"ore": "kg", "salt": "kg", "cathode": "kg", "cell": "kWh", "scrap": "kg", "x": "kg"}


def _chain(*extra: tuple[str, str, float]) -> list[tuple[str, str, float]]:
    """ore -> salt -> cathode -> cell, with recycling cell -> scrap -> salt (gain 0.02 * 0.5)."""
    return [
        ("ore", "salt", 2.0),
        ("salt", "cathode", 1.1),
        ("cathode", "cell", 1.6),
        ("cell", "scrap", 0.02),
        ("scrap", "salt", 0.5),
        *extra,
    ]


def test_a_recycling_loop_with_gain_below_one_stays_legal() -> None:
    graph = make_graph([1.0] * 6, _chain(), units=UNITS)
    assert nonphysical_loops(graph) == []
    assert rollup(graph)["cell"].total > 0


def test_a_graph_without_loops_has_none() -> None:
    graph = make_graph([1.0] * 6, _chain()[:3], units=UNITS)
    assert nonphysical_loops(graph) == []


def test_a_link_back_upstream_with_gain_above_one_is_named() -> None:
    """1000 kg of cathode per kg of salt: the salt needs 1100 kg of itself through the cathode."""
    graph = make_graph([1.0] * 6, _chain(("cathode", "salt", 1000.0)), units=UNITS)
    (loop,) = nonphysical_loops(graph)
    assert set(loop.members) == {"salt", "cathode", "cell", "scrap"}
    assert loop.cycle[0] == loop.cycle[-1] and set(loop.cycle) <= set(loop.members)
    assert loop.spectral_radius is not None and loop.spectral_radius > 1


def test_every_bad_component_is_found_not_only_the_first() -> None:
    """Two separate bad loops (one a self-loop of exactly one unit) and a good one."""
    graph = make_graph(
        [1.0] * 6,
        [("ore", "ore", 1.0), ("cell", "scrap", 3.0), ("scrap", "cell", 0.5), ("x", "x", 0.5)],
        units=UNITS,
    )
    loops = nonphysical_loops(graph)
    assert sorted(loop.members for loop in loops) == [("cell", "scrap"), ("ore",)]
    with pytest.raises(SingularLoop) as err:
        rollup(graph)
    assert [loop.members for loop in err.value.loops] == [loop.members for loop in loops]
    assert "1 more loops" in str(err.value)


def test_an_exactly_singular_loop_is_found_beside_a_good_one_in_the_same_level() -> None:
    """Both loops sit in the first level: the singular block must not condemn the good one."""
    graph = make_graph(
        [1.0] * 6,
        [
            ("ore", "salt", 1.0),
            ("salt", "ore", 1.0),
            ("cell", "scrap", 0.5),
            ("scrap", "cell", 1.0),
        ],
        units=UNITS,
    )
    (loop,) = nonphysical_loops(graph)
    assert loop.members == ("ore", "salt")
    assert loop.spectral_radius == pytest.approx(1.0)


@given(random_graphs(loops=True))
def test_physical_random_loops_are_never_reported(graph: object) -> None:
    assert nonphysical_loops(graph) == []  # type: ignore[arg-type]


def test_a_loop_is_walked_from_the_product_to_the_product_it_linked() -> None:
    """The component also holds the recycling loop; the walk takes the link that closed it."""
    graph = make_graph([1.0] * 6, _chain(("cell", "salt", 1000.0)), units=UNITS)
    (loop,) = nonphysical_loops(graph)
    path = path_through(graph.ids, graph.provider, graph.consumer, loop, "salt", ["cell"])
    assert path == ["salt", "cathode", "cell", "salt"]

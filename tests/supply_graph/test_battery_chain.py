"""A realistic NMC811 cell chain (see nmc811_chain.py for every factor and its source)."""

from __future__ import annotations

import pytest

from supply_graph import Scenario, SetDirect, contributions, evaluate_scenario, rollup

from .nmc811_chain import nmc811_cell

CELL = "nmc811-cell@jiangsu"


def test_cell_footprint_lands_in_published_range() -> None:
    """Published cradle-to-gate footprints of NMC cells made in China:
    - Xu et al., Resour. Conserv. Recycl. 187 (2022) 106606: 41–89 kg CO2e per kWh of cell
      production in 2020 across 8 chemistries and CN/US/EU, China at the high end;
    - Emilsson & Dahllöf, IVL report C444 (2019): 61–106 kg CO2e/kWh for battery production.
    So a China-made NMC811 cell should land within 55–106 kg CO2e/kWh. The engine's figure is
    computed, not typed in: about 1.4·25.8 (CAM) + 8.5 (graphite) + 16.5 (cell power) + …"""
    result = rollup(nmc811_cell())
    cell = result[CELL]
    assert 55.0 <= cell.total <= 106.0
    assert 0.0 < cell.primary_data_share < 1.0
    assert cell.dqr is not None and 1.5 <= cell.dqr <= 3.5


def test_cathode_is_the_largest_contributor() -> None:
    """Xu et al. (2022) find the cathode 33–70 % of cell emissions: check the CAM's share
    A[CAM, cell]·f_CAM / f_cell, and that the cathode chain leads the by-node list's upstream."""
    graph = nmc811_cell()
    result = rollup(graph)
    cam_share = 1.4 * result["cam811@hunan"].total / result[CELL].total
    assert 0.33 <= cam_share <= 0.70
    found = contributions(graph, result, CELL)
    assert sum(found.by_category.values()) == pytest.approx(found.total)
    # deepest: cell <- CAM <- pCAM <- NiSO4 <- MHP, four edges from the cell
    assert found.by_tier[1] > 0 and max(found.by_tier) == 4
    assert found.sankey.nodes[0].key == CELL


def test_green_power_at_the_cell_plant() -> None:
    """Switching the cell plant's 30 kWh from the East China grid (0.55) to solar PV
    (0.0545, same CSV, CN-PV) lowers the cell by 30·(0.55 − 0.0545) = 14.865 kg CO2e/kWh."""
    graph = nmc811_cell()
    base = rollup(graph)[CELL].total
    after = evaluate_scenario(graph, Scenario([SetDirect("grid:CN-E", {"production": 0.0545})]))
    assert base - after[CELL].total == pytest.approx(30 * (0.55 - 0.0545), rel=1e-9)

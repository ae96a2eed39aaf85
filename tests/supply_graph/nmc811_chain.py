"""An NMC811 cell made in China, per kWh of cell capacity, from ores to the cell gate.

Every number is per one declared unit of the consuming node. Sources (rounded, central values):
  [GREET]  ANL GREET 2022 battery module / BatPaC 5 bill of materials for an NMC811 cell.
  [KELLY]  Kelly et al., "Energy, GHG and water life-cycle impacts of lithium hydroxide and
           carbonate", Resour. Conserv. Recycl. 174 (2021) 105762: LiOH from spodumene in China.
  [DEGEN]  Degen & Schütte, J. Clean. Prod. 330 (2022) 129798: 20–50 kWh per kWh of cell made.
  [STOICH] stoichiometry (molar masses): Ni0.8Co0.1Mn0.1(OH)2 92.35 g/mol, LiNi0.8Co0.1Mn0.1O2
           97.27 g/mol, NiSO4·6H2O 262.85, CoSO4·7H2O 281.10, MnSO4·H2O 169.02, LiOH·H2O 41.96.
  [CN23]   China 2023 electricity carbon-footprint factor 0.6205 kg CO2e/kWh (MEE/NBS/NEA,
           announced 2025-01-17); config/factors/seed-2025.1.csv, elec.cn.cfp.2023.
  [CNGRID] 2023 regional grid CO2 emission factors (MEE/NBS): East China 0.5500, Central China
           0.5271 kg CO2/kWh; Inner Mongolia 0.6849 (2022). CO2-only scope-2 factors, used here
           for plant-specific regional electricity as the engine's input; same CSV.
  [EST]    engineering estimate of the order given by GREET/ecoinvent-type datasets; secondary.
"""

from __future__ import annotations

from supply_graph import Edge, Node, SupplyGraph

STAGES = ("raw_material", "production")


def _n(node_id: str, unit: str, stage: str, value: float, **kw: object) -> Node:
    return Node(node_id, unit, {stage: value}, **kw)  # type: ignore[arg-type]


def nmc811_cell() -> SupplyGraph:
    nodes = [
        # electricity (secondary datasets, life-cycle factors per kWh)
        _n("grid:CN", "kWh", "production", 0.6205, dqr=2.0, category="electricity"),  # [CN23]
        _n("grid:CN-E", "kWh", "production", 0.5500, dqr=2.5, category="electricity"),  # [CNGRID]
        _n("grid:CN-C", "kWh", "production", 0.5271, dqr=2.5, category="electricity"),  # [CNGRID]
        _n("grid:CN-NM", "kWh", "production", 0.6849, dqr=2.5, category="electricity"),  # [CNGRID]
        # ores and intermediates (secondary)
        _n(
            "spodumene-6%", "kg", "raw_material", 0.35, dqr=3.0, category="ore"
        ),  # [KELLY] mine+ship
        _n("mhp@indonesia", "kg", "raw_material", 6.0, dqr=3.5, category="ore"),  # [EST] HPAL MHP
        # ^ 40 % Ni, ≈ 15 kg CO2e/kg Ni contained
        _n("co-hydroxide@drc", "kg", "raw_material", 2.5, dqr=3.5, category="ore"),  # [EST] 30 % Co
        _n("mn-ore", "kg", "raw_material", 0.1, dqr=3.5, category="ore"),  # [EST] 40 % Mn
        _n("naoh", "kg", "production", 1.4, dqr=3.0, category="chemical"),  # [EST] chlor-alkali CN
        _n("needle-coke", "kg", "raw_material", 1.0, dqr=3.5, category="chemical"),  # [EST]
        _n("al-ingot:CN", "t", "production", 17500.0, dqr=3.0, category="metal"),  # [EST] coal grid
        _n("cu-cathode", "kg", "production", 3.5, dqr=3.0, category="metal"),  # [EST] ~ICA 2023
        _n("electrolyte", "kg", "production", 4.5, dqr=3.0, category="electrolyte"),  # [GREET]
        _n("separator", "kg", "production", 4.0, dqr=3.0, category="separator"),  # [EST] wet PE
        # refined salts (primary supplier data)
        _n("lioh@jiangxi", "kg", "production", 8.5, primary=True, dqr=1.8, category="lithium salt"),
        # ^ [KELLY] roasting/leaching coal heat and reagents ≈ 8.5 kg CO2e/kg LiOH·H2O
        _n("niso4@cn", "kg", "production", 0.3, primary=True, dqr=2.0, category="nickel salt"),
        _n("coso4@cn", "kg", "production", 0.5, primary=True, dqr=2.0, category="cobalt salt"),
        _n("mnso4@cn", "kg", "production", 0.4, primary=True, dqr=2.0, category="manganese salt"),
        # precursor, cathode active material, anode, foils, casing, cell
        _n("pcam811@hunan", "kg", "production", 0.2, primary=True, dqr=1.6, category="precursor"),
        _n("cam811@hunan", "kg", "production", 0.1, primary=True, dqr=1.5, category="cathode"),
        _n("graphite@nm", "kg", "production", 0.5, primary=True, dqr=2.0, category="anode"),
        _n("al-foil", "kg", "production", 0.2, dqr=2.5, category="foil"),
        _n("cu-foil", "kg", "production", 0.1, dqr=2.5, category="foil"),
        _n("cell-casing", "kg", "production", 0.3, dqr=3.0, category="casing"),
        _n("nmc811-cell@jiangsu", "kWh", "production", 0.5, primary=True, dqr=1.5, category="cell"),
        # ^ NMP solvent losses and refrigerants at the cell plant [EST]
    ]
    edges = [
        # LiOH·H2O: 6.5 kg spodumene concentrate and 5 kWh per kg [KELLY]
        Edge("spodumene-6%", "lioh@jiangxi", 6.5),
        Edge("grid:CN", "lioh@jiangxi", 5.0),
        # NiSO4·6H2O: 22.3 % Ni [STOICH] from 40 % Ni MHP -> 0.56 kg MHP; 1.5 kWh [EST]
        Edge("mhp@indonesia", "niso4@cn", 0.56),
        Edge("grid:CN", "niso4@cn", 1.5),
        # CoSO4·7H2O: 21.0 % Co [STOICH] from 30 % Co hydroxide -> 0.70 kg; 3 kWh [EST]
        Edge("co-hydroxide@drc", "coso4@cn", 0.70),
        Edge("grid:CN", "coso4@cn", 3.0),
        # MnSO4·H2O: 32.5 % Mn [STOICH] from 40 % Mn ore -> 0.8 kg; 1.5 kWh [EST]
        Edge("mn-ore", "mnso4@cn", 0.8),
        Edge("grid:CN", "mnso4@cn", 1.5),
        # precursor Ni0.8Co0.1Mn0.1(OH)2 per kg [STOICH]: 0.8·262.85/92.35 = 2.28 kg NiSO4·6H2O,
        # 0.1·281.10/92.35 = 0.304 kg CoSO4·7H2O, 0.1·169.02/92.35 = 0.183 kg MnSO4·H2O,
        # 2·40.00/92.35 = 0.87 kg NaOH; co-precipitation 3 kWh [EST]
        Edge("niso4@cn", "pcam811@hunan", 2.28),
        Edge("coso4@cn", "pcam811@hunan", 0.304),
        Edge("mnso4@cn", "pcam811@hunan", 0.183),
        Edge("naoh", "pcam811@hunan", 0.87),
        Edge("grid:CN-C", "pcam811@hunan", 3.0),
        # CAM LiNi0.8Co0.1Mn0.1O2 per kg [STOICH]: 92.35/97.27 = 0.95 kg pCAM,
        # 1.03·41.96/97.27 = 0.444 kg LiOH·H2O (3 % Li excess); two-stage O2 calcination
        # 29 MJ ≈ 8 kWh per kg [GREET]
        Edge("pcam811@hunan", "cam811@hunan", 0.95),
        Edge("lioh@jiangxi", "cam811@hunan", 444, "g"),
        Edge("grid:CN-C", "cam811@hunan", 29, "MJ"),
        # synthetic graphite: 1.1 kg needle coke, graphitisation 10 kWh per kg [EST]
        Edge("needle-coke", "graphite@nm", 1.1),
        Edge("grid:CN-NM", "graphite@nm", 10.0),
        # foils and casing: metal plus rolling / electro-deposition power [EST]
        Edge("al-ingot:CN", "al-foil", 1.05, "kg"),
        Edge("grid:CN", "al-foil", 1.5),
        Edge("cu-cathode", "cu-foil", 1.02),
        Edge("grid:CN", "cu-foil", 8.0),
        Edge("al-ingot:CN", "cell-casing", 1.05, "kg"),
        # the cell, per kWh [GREET]: 1.4 kg CAM, 1.0 kg graphite, 0.5 kg electrolyte, 60 g
        # separator, 200 g Al foil, 450 g Cu foil, 200 g casing; 30 kWh of plant power [DEGEN]
        Edge("cam811@hunan", "nmc811-cell@jiangsu", 1.4),
        Edge("graphite@nm", "nmc811-cell@jiangsu", 1.0),
        Edge("electrolyte", "nmc811-cell@jiangsu", 0.5),
        Edge("separator", "nmc811-cell@jiangsu", 60, "g"),
        Edge("al-foil", "nmc811-cell@jiangsu", 200, "g"),
        Edge("cu-foil", "nmc811-cell@jiangsu", 450, "g"),
        Edge("cell-casing", "nmc811-cell@jiangsu", 0.2),
        Edge("grid:CN-E", "nmc811-cell@jiangsu", 108, "MJ"),
    ]
    return SupplyGraph.from_records(nodes, edges, stages=STAGES)

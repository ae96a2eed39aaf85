"""supply_graph: the pure roll-up engine of Tanlian (numbers and graphs in, numbers out).

    f_j = e_j + Σ_i A[i, j] f_i,   F = (I − Aᵀ)⁻¹ E   (all stage columns in one sparse solve)

See README.md in this package for the API, the equations and the measured design choices.
"""

# Declarations pin the engine version that computed them; bump it when results can change.
__version__ = "1.1.0"  # 1.1: primary as a share per node, three dqi ratings

from supply_graph.errors import (
    DuplicateNode,
    GraphFormatError,
    InvalidValue,
    NegativeAmount,
    SingularLoop,
    SupplyGraphError,
    UnitMismatch,
    UnknownNode,
    UnknownStage,
)
from supply_graph.explain import (
    Contributions,
    GroupPart,
    NodeContribution,
    Purchase,
    Sankey,
    SankeyFlow,
    SankeyNode,
    contributions,
)
from supply_graph.fileformat import load_graph, write_graph, write_result
from supply_graph.loops import BadLoop
from supply_graph.model import Allocation, Edge, Node, SupplyGraph
from supply_graph.quality import boundary_members
from supply_graph.rollup import NodeResult, RollupResult, nonphysical_loops, rollup
from supply_graph.scenario import (
    ReplaceProvider,
    ScaleAmount,
    Scenario,
    SetAmount,
    SetDirect,
    evaluate_scenario,
)
from supply_graph.solve import RELATIVE_TOLERANCE, SolverPlan, build_plan, supply_vector
from supply_graph.update import Updater

__all__ = [
    "RELATIVE_TOLERANCE",
    "Allocation",
    "BadLoop",
    "Contributions",
    "DuplicateNode",
    "Edge",
    "GraphFormatError",
    "GroupPart",
    "InvalidValue",
    "NegativeAmount",
    "Node",
    "NodeContribution",
    "NodeResult",
    "Purchase",
    "ReplaceProvider",
    "RollupResult",
    "Sankey",
    "SankeyFlow",
    "SankeyNode",
    "ScaleAmount",
    "Scenario",
    "SetAmount",
    "SetDirect",
    "SingularLoop",
    "SolverPlan",
    "SupplyGraph",
    "SupplyGraphError",
    "UnitMismatch",
    "UnknownNode",
    "UnknownStage",
    "Updater",
    "boundary_members",
    "build_plan",
    "contributions",
    "evaluate_scenario",
    "load_graph",
    "nonphysical_loops",
    "rollup",
    "supply_vector",
    "write_graph",
    "write_result",
]

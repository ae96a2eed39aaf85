"""Errors of the supply-graph engine; each names the nodes or edge at fault in domain words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from supply_graph.loops import BadLoop


class SupplyGraphError(Exception):
    """Base class: every error the engine raises on bad input or a graph with no footprint."""


class GraphFormatError(SupplyGraphError):
    """The graph file or record list is malformed (missing field, wrong type, bad format tag)."""


class DuplicateNode(SupplyGraphError):
    """Two nodes share one id."""

    def __init__(self, node_id: str) -> None:
        super().__init__(f"node {node_id!r} is declared more than once")
        self.node_id = node_id


class UnknownNode(SupplyGraphError):
    """An edge, a query or a change refers to a node id that is not in the graph."""

    def __init__(self, node_id: str, where: str = "") -> None:
        suffix = f" ({where})" if where else ""
        super().__init__(f"unknown node {node_id!r}{suffix}")
        self.node_id = node_id


class UnknownStage(SupplyGraphError):
    """A node's direct emissions name a life-cycle stage the graph does not declare."""

    def __init__(self, node_id: str, stage: str) -> None:
        super().__init__(f"node {node_id!r} has emissions for undeclared stage {stage!r}")
        self.node_id = node_id
        self.stage = stage


class UnitMismatch(SupplyGraphError):
    """An edge's unit cannot be converted to its provider's declared unit (or is not a unit)."""

    def __init__(self, edge: str, unit: str, provider_unit: str) -> None:
        super().__init__(
            f"edge {edge}: unit {unit!r} does not convert to the provider's "
            f"declared unit {provider_unit!r}"
        )
        self.edge = edge


class NegativeAmount(SupplyGraphError):
    """An edge amount is negative or not a finite number."""

    def __init__(self, edge: str, amount: float) -> None:
        super().__init__(f"edge {edge}: amount {amount!r} must be a finite number >= 0")
        self.edge = edge


class InvalidValue(SupplyGraphError):
    """A node attribute is out of range (non-finite emissions, dqr outside 1..5, allocation)."""


class SingularLoop(SupplyGraphError):
    """A loop has no finite, non-negative solution: a product needs >= 1 unit of itself.

    For a strongly connected block with amounts A_cc >= 0, (I - A_cc)^-1 exists and is >= 0
    exactly when the spectral radius rho(A_cc) < 1; otherwise no physical footprint exists.

    `loops` lists every bad component the solver found (`supply_graph.loops.BadLoop`: members,
    one cycle, spectral radius), so a caller can isolate them and go on; `nodes` is the cycle
    named in the message (the first loop's).
    """

    def __init__(self, nodes: Sequence[str], detail: str, loops: Sequence[BadLoop] = ()) -> None:
        shown = " -> ".join(nodes[:12]) + (" -> …" if len(nodes) > 12 else "")
        more = f" (and {len(loops) - 1} more loops)" if len(loops) > 1 else ""
        super().__init__(f"loop {shown} has no finite footprint{more}: {detail}")
        self.nodes = list(nodes)
        self.loops = list(loops)

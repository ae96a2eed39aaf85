"""The import graph as ARCHITECTURE.md draws it: imports run one way (dashboards →
footprint_platform → supply_graph), services never reach for the web, only entry points call the
workflow, no module imports itself round a cycle, and a long module says why it is one module.

Imports inside functions count (they are imports all the same); those under
`if TYPE_CHECKING:` do not (they never run)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("supply_graph", "footprint_platform", "dashboards")
LONG = 400  # lines; a longer module says why at its top ("One module because ...")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except those under `if TYPE_CHECKING:`."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in ast.walk(child))
            continue
        yield node
        yield from _runtime_nodes(node)


def imports_of(source: str, modules: dict[str, Path] = MODULES) -> set[str]:
    """The project's modules a source imports (a name imported from a package counts as its
    submodule when there is one)."""
    out: set[str] = set()
    for node in _runtime_nodes(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                if sub in modules:
                    out.add(sub)
                elif node.module in modules:
                    out.add(node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in modules}
    return out


def _graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for name, path in MODULES.items():
        graph.add_node(name)
        graph.add_edges_from((name, t) for t in imports_of(path.read_text()) if t != name)
    return graph


GRAPH = _graph()


def _violations(source_prefix: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{a} imports {b}"
        for a, b in GRAPH.edges
        if a.startswith(source_prefix) and b.startswith(forbidden)
    )


def test_no_module_imports_itself_round_a_cycle() -> None:
    cycles = [sorted(c) for c in nx.strongly_connected_components(GRAPH) if len(c) > 1]
    assert cycles == []


def test_imports_run_one_way() -> None:
    assert _violations("supply_graph", ("footprint_platform", "dashboards")) == []
    assert _violations("footprint_platform", ("dashboards",)) == []


def test_services_never_reach_for_the_web_or_the_entry_points() -> None:
    above = (
        "footprint_platform.web",  # also web_common
        "footprint_platform.api",
        "footprint_platform.pact.",  # the HTTP layer of PACT (services.pact is the service layer)
        "footprint_platform.app_setup",
        "footprint_platform.cli",
        "footprint_platform.worker",
        "footprint_platform.demo",
    )
    assert _violations("footprint_platform.services", above) == []


def test_only_entry_points_call_the_workflow() -> None:
    """The services record a change and commit; what follows is the workflow's, called from
    the routes, the API, the command line, the worker and the demo loader."""
    callers = {a for a, b in GRAPH.edges if b == "footprint_platform.services.workflow"}
    inside = sorted(c for c in callers if c.startswith("footprint_platform.services"))
    assert inside == []
    assert "footprint_platform.worker" in callers  # the sweep runs jobs through it


# The service packages, lowest first: each imports only those before it (and itself).
SERVICE_LAYERS = (
    "catalogue",
    "notify",
    "graph",
    "relations",
    "intake",
    "disclosure",
    "pact",
    "exchange",
    "insight",
    "workflow",
)
SERVICES = "footprint_platform.services."


def service_package(module: str) -> str | None:
    """The service package (or the workflow module) a module belongs to."""
    if not module.startswith(SERVICES):
        return None
    return module.removeprefix(SERVICES).split(".")[0]


def layer_violations(edges: list[tuple[str, str]]) -> list[str]:
    rank = {name: i for i, name in enumerate(SERVICE_LAYERS)}
    out = []
    for a, b in edges:
        pa, pb = service_package(a), service_package(b)
        if pa and pb and pa != pb and rank[pa] < rank[pb]:
            out.append(f"{a} ({pa}) imports {b} ({pb}), a higher layer")
    return sorted(out)


def test_every_service_package_has_its_layer() -> None:
    found = {service_package(m) for m in MODULES} - {None, "__init__"}
    assert found == set(SERVICE_LAYERS)


def test_service_packages_import_only_lower_layers() -> None:
    assert layer_violations(list(GRAPH.edges)) == []


def test_the_layer_check_sees_an_upward_import() -> None:
    up = [(SERVICES + "catalogue.links", SERVICES + "relations.sharing")]
    down = [(SERVICES + "relations.sharing", SERVICES + "catalogue.audit")]
    assert layer_violations(up) and layer_violations(down) == []


def test_dashboards_read_through_the_shared_glue_not_the_write_pages() -> None:
    assert _violations("dashboards", ("footprint_platform.web.",)) == []


@pytest.mark.parametrize(
    "name", sorted(n for n, p in MODULES.items() if len(p.read_text().splitlines()) > LONG)
)
def test_a_long_module_says_why_it_is_one(name: str) -> None:
    doc = ast.get_docstring(ast.parse(MODULES[name].read_text())) or ""
    assert "One module because" in doc, f"{name}: over {LONG} lines without its reason"


def test_the_checks_see_a_cycle_and_a_function_level_import() -> None:
    """The scan itself: an import inside a function counts, one under TYPE_CHECKING does not."""
    modules = {"pkg.a": Path("a"), "pkg.b": Path("b"), "pkg.c": Path("c")}
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pkg import c\n"
        "def f():\n    from pkg import b\n"
    )
    assert imports_of(source, modules) == {"pkg.b"}
    graph = nx.DiGraph([("pkg.a", "pkg.b"), ("pkg.b", "pkg.a")])
    assert [len(c) for c in nx.strongly_connected_components(graph)] == [2]

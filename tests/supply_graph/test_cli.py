"""`python -m supply_graph`: results, timings, contributions and one-line errors (status 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from numpy._core import multiarray

from supply_graph.cli import main, tune_process


def _write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "graph.json"
    path.write_bytes(orjson.dumps(document))
    return path


def test_rollup_writes_results_and_timings(
    spec_example: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "result.json"
    assert (
        main(["rollup", str(_write(tmp_path, spec_example)), "--out", str(out), "--timings"]) == 0
    )
    timings = json.loads(capsys.readouterr().err.strip())
    assert set(timings) == {"load_s", "solve_s", "write_s", "nodes", "edges"}
    assert (timings["nodes"], timings["edges"]) == (3, 2)
    assert json.loads(out.read_text())["results"][2]["total"] == pytest.approx(30.368)


def test_contributions_lists_shares(
    spec_example: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Grid 40·0.58 = 23.2 of 30.368 = 76.40 %; Li2CO3 3.968 = 13.07 %; own 3.2 as other."""
    path = str(_write(tmp_path, spec_example))
    assert main(["contributions", path, "--product", "cell@plant-c", "--top", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "cell@plant-c: 30.368 kg CO2e per kWh"
    assert "76.40%" in lines[1] and lines[1].endswith("grid:CN-East")
    assert "13.07%" in lines[2] and lines[2].endswith("li2co3@plant-a")
    assert "10.54%" in lines[3] and "other (1 nodes)" in lines[3]


def _node(node_id: str, unit: str = "kg") -> dict[str, object]:
    return {"id": node_id, "unit": unit, "direct": 1.0}


def _graph(nodes: list[dict[str, object]], edges: list[dict[str, object]]) -> dict[str, object]:
    return {"format": "tanlian.supply-graph/1", "nodes": nodes, "edges": edges}


ERROR_CASES = {
    "unknown node": (
        _graph([_node("cell")], [{"from": "ore", "to": "cell", "amount": 1}]),
        "unknown node 'ore' (edge provider of edge #0)",
    ),
    "unit": (
        _graph(
            [_node("cell", "kWh"), _node("ore")],
            [{"from": "ore", "to": "cell", "amount": 2, "unit": "kWh"}],
        ),
        "edge #0 ore -> cell (2 kWh): unit 'kWh' does not convert to the provider's declared "
        "unit 'kg'",
    ),
    "negative amount": (
        _graph([_node("a"), _node("b")], [{"from": "a", "to": "b", "amount": -1}]),
        "edge #0 a -> b: amount -1.0 must be a finite number >= 0",
    ),
    "loop": (
        _graph(
            [_node("a"), _node("b")],
            [{"from": "a", "to": "b", "amount": 2}, {"from": "b", "to": "a", "amount": 0.5}],
        ),
        "loop ",
    ),
    "malformed": (_graph([{"unit": "kg"}], []), "node #0: needs 'id' and 'unit'"),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_errors_exit_2_with_one_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document, message = ERROR_CASES[case]
    path = str(_write(tmp_path, document))
    assert main(["rollup", path, "--out", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert message in err
    if case == "loop":
        assert "a -> b -> a" in err or "b -> a -> b" in err


def test_not_json_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    assert main(["rollup", str(bad), "--out", str(tmp_path / "r.json")]) == 2
    assert main(["rollup", str(tmp_path / "missing.json"), "--out", str(tmp_path / "r")]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert "not valid JSON" in lines[0] and "missing.json" in lines[1]


def test_unknown_product(
    spec_example: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(_write(tmp_path, spec_example))
    assert main(["contributions", path, "--product", "nope"]) == 2
    assert capsys.readouterr().err == "error: unknown node 'nope'\n"


def test_python_dash_m_entry_point(spec_example: dict[str, object], tmp_path: Path) -> None:
    path = str(_write(tmp_path, spec_example))
    run = subprocess.run(
        [sys.executable, "-m", "supply_graph", "contributions", path, "--product", "cell@plant-c"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0 and run.stdout.startswith("cell@plant-c: 30.368")


def test_the_command_lines_process_asks_numpy_for_ordinary_pages() -> None:
    """`python -m supply_graph` turns numpy's huge-page advice off for its own process (its
    arrays are filled once each: 2 MiB faults only cost system time)."""
    advise = multiarray._set_madvise_hugepage  # type: ignore[attr-defined]  # returns the old one
    before = advise(True)
    try:
        tune_process()
        assert advise(True) is False
    finally:
        advise(before)

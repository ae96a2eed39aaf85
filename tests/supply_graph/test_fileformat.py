"""The tanlian.supply-graph/1 file, its .npz twin and the tanlian.rollup/1 result file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from supply_graph import (
    GraphFormatError,
    RollupResult,
    SupplyGraph,
    fileformat,
    load_graph,
    rollup,
    write_graph,
    write_result,
)
from supply_graph.fileformat import graph_from_document
from supply_graph.quality import row_sums

from .conftest import random_graphs


def test_spec_example(spec_example: dict[str, object], tmp_path: Path) -> None:
    """Spec example: f_cell = 3.2 + 0.62·6.4 + 40·0.58 = 30.368; raw_material 0.62·4.1 = 2.542."""
    path = tmp_path / "g.json"
    path.write_bytes(orjson.dumps(spec_example))
    graph = load_graph(path)
    out = tmp_path / "r.json"
    write_result(rollup(graph), out)
    doc = json.loads(out.read_text())
    assert doc["format"] == "tanlian.rollup/1"
    assert doc["stages"] == ["raw_material", "production", "distribution", "end_of_life"]
    cell = next(r for r in doc["results"] if r["id"] == "cell@plant-c")
    assert cell["total"] == pytest.approx(30.368)
    assert cell["by_stage"] == pytest.approx(
        {"raw_material": 2.542, "production": 27.826, "distribution": 0, "end_of_life": 0}
    )
    assert 0 <= cell["primary_data_share"] <= 1
    assert len(doc["results"]) == 3


def test_plain_number_direct_without_stages() -> None:
    doc = {
        "format": "tanlian.supply-graph/1",
        "nodes": [{"id": "a", "unit": "kg", "direct": 2}, {"id": "b", "unit": "t", "direct": 1}],
        "edges": [{"from": "a", "to": "b", "amount": 500}],
    }
    graph = graph_from_document(doc)
    assert graph.stages == ("total",)
    assert rollup(graph)["b"].total == pytest.approx(1001.0)


def test_dqr_absent_in_result_without_rated_contributor(tmp_path: Path) -> None:
    doc = {
        "format": "tanlian.supply-graph/1",
        "nodes": [{"id": "a", "unit": "kg", "direct": 2}],
        "edges": [],
    }
    out = tmp_path / "r.json"
    write_result(rollup(graph_from_document(doc)), out)
    assert "dqr" not in json.loads(out.read_text())["results"][0]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"format": "other"}, "format"),
        ({"format": "tanlian.supply-graph/1", "nodes": [{"unit": "kg"}]}, "node #0"),
        (
            {
                "format": "tanlian.supply-graph/1",
                "nodes": [{"id": "a", "unit": "kg"}],
                "edges": [{"from": "a", "to": "a"}],
            },
            "edge #0",
        ),
        (
            {
                "format": "tanlian.supply-graph/1",
                "nodes": [{"id": "a", "unit": "kg"}],
                "edges": [{"from": "a", "to": "a", "amount": "lots"}],
            },
            "edge #0 a -> a: amount is not a number",
        ),
    ],
)
def test_malformed_documents(document: dict[str, object], message: str) -> None:
    with pytest.raises(GraphFormatError, match=message):
        graph_from_document(document)


def _same(a: SupplyGraph, b: SupplyGraph) -> None:
    assert a.ids.tolist() == b.ids.tolist()
    assert a.stages == b.stages
    np.testing.assert_allclose(a.technosphere.toarray(), b.technosphere.toarray(), rtol=1e-15)
    np.testing.assert_array_equal(a.direct, b.direct)
    np.testing.assert_array_equal(a.primary, b.primary)
    np.testing.assert_array_equal(a.dqr, b.dqr)
    assert [a.category_names[c] if c >= 0 else None for c in a.category_code] == [
        b.category_names[c] if c >= 0 else None for c in b.category_code
    ]


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(random_graphs(loops=True))
def test_json_and_npz_round_trip(tmp_path: Path, graph: SupplyGraph) -> None:
    for name in ("g.json", "g.npz"):
        write_graph(graph, tmp_path / name)
        _same(graph, load_graph(tmp_path / name))


@pytest.mark.parametrize("chunk", [1, 2, 3, 8192])
def test_result_file_is_each_row_as_orjson_writes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """The writer assembles rows from whole-column texts; the file must be byte for byte the
    document written row by row: ids with quotes, backslashes and non-ASCII, stage names that
    need escaping, dqr present or left out, NaN as null, chunks of any size."""
    monkeypatch.setattr(fileformat, "_CHUNK", chunk)
    ids = np.array(['a"b', "c\\d", "ü-β", "", "x},{y", "e"], dtype=np.str_)
    stages = ("raw", 'q"uote', "ü")
    rng = np.random.default_rng(7)
    by_stage = rng.uniform(-1e3, 1e3, (6, 3)) * np.array([[1.0], [1e-300], [0.0], [1e20], [3], [1]])
    dqr = np.array([1.5, np.nan, 2.0, np.nan, 4.123456789012345, np.nan])
    share = np.array([0.0, 1.0, 0.25, np.nan, 1 / 3, 0.5])
    result = RollupResult(ids=ids, stages=stages, by_stage=by_stage, primary_data_share=share,
                          dqr=dqr)  # fmt: skip
    out = tmp_path / "r.json"
    write_result(result, out)
    rows = []
    for i in range(6):
        row: dict[str, object] = {"id": str(ids[i]), "total": float(row_sums(by_stage)[i])}
        row["by_stage"] = dict(zip(stages, by_stage[i].tolist(), strict=True))
        row["primary_data_share"] = float(share[i])
        if not np.isnan(dqr[i]):
            row["dqr"] = float(dqr[i])
        rows.append(row)
    expected = {"format": "tanlian.rollup/1", "stages": list(stages), "results": rows}
    assert out.read_bytes() == orjson.dumps(expected)

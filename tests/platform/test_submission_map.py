"""A period's submission map after one submission: the versions put into the sorted columns in
place are the map a fresh build of the same versions gives (replaced products, added ones
anywhere in the order, none, all)."""

from __future__ import annotations

import numpy as np
import pytest

from footprint_platform.services.graph.chain import SubmissionMap


def _fresh(entries: dict[int, tuple[int, str | None]]) -> SubmissionMap:
    products = list(entries)
    return SubmissionMap(
        products, [entries[p][0] for p in products], [entries[p][1] or "" for p in products]
    )


@pytest.mark.parametrize("seed", range(60))
def test_replacing_versions_gives_the_map_built_afresh(seed: int) -> None:
    rng = np.random.default_rng(seed)
    before = {
        int(p): (int(rng.integers(1, 10**6)), None if p % 3 == 0 else f"h{p}")
        for p in rng.choice(np.arange(1, 200), size=int(rng.integers(0, 40)), replace=False)
    }
    newer = [
        (int(p), int(rng.integers(1, 10**6)), None if p % 2 else f"n{p}")
        for p in rng.choice(np.arange(1, 220), size=int(rng.integers(0, 8)), replace=False)
    ]
    got = _fresh(before).replaced(newer)
    want = _fresh({**before, **{p: (i, h) for p, i, h in newer}})
    for name in ("products", "ids", "hashes"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype and a.tolist() == b.tolist(), name
    assert dict(got.items()) == dict(want.items())
    for p, i, h in newer:
        assert got[p].id == i and got[p].content_hash == h

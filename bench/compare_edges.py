"""Input rows to edges, old code against new: random input rows covering every branch of
`services/graph/edges.py` (links with and without consent, datasets rated or not, imported
footprints split by primary share, scrap, recycled content, end of life, co-products,
transport by distance, fuel upstream rows, a patched graph's known leaves) turned into edges by
another checkout's `Edges` and by this one's; every output compared by `repr` (edges in order,
leaves, allocations, direct emissions, primary shares and ratings bit for bit). Only edges.py
is the other checkout's: the modules it imports (rows, parties, circular …) are this one's,
and the rows go in as whole tuples, so the column path a period build takes (`rows.Inputs`)
is compared by bench/compare_results.py, which rebuilds whole periods with each checkout.

    .venv/bin/python bench/compare_edges.py OLD_CHECKOUT [CASES]

Not part of `make test`.
"""

import importlib.util
import random
import sys

import numpy as np

sys.path.insert(0, ".")
from footprint_platform.services.graph import edges as new
from footprint_platform.services.graph.chain import stages
from footprint_platform.services.graph.parties import Consent
from footprint_platform.services.graph.rows import ExternalLeaf

OLD = sys.argv[1] + "/footprint_platform/services/graph/edges.py"
spec = importlib.util.spec_from_file_location("old_edges", OLD)
assert spec is not None and spec.loader is not None
old = importlib.util.module_from_spec(spec)
spec.loader.exec_module(old)

CATS = ["battery_pack", "cathode_ncm", "vehicle_bev", "ore_nickel"]
CODES = [
    "mat.aluminium.primary.cn",
    "mat.copper.cathode.glo",
    "mat.steel.crude.glo",
    "mat.x.one",
    "mat.y.two",
]
RCODES = ["rec.aluminium", "rec.copper", None]
UNITS = [("kg", "kg"), ("g", "kg"), ("t", "kg"), ("kWh", "kWh"), ("MWh", "kWh"), ("MJ", "MJ")]
PROV = [None, "measured", "calculated", "estimated", "secondary"]
STAGES = list(stages())


def rows_for(rng, n_products, n_orgs):
    rows, by_sub = [], {}
    for i in range(n_products):
        sub = 1000 + i
        by_sub[sub] = i
        for pos in rng.sample(range(1, 40), rng.randint(0, 8)):
            kind = rng.choice(
                ["material"] * 4 + ["electricity", "transport", "waste", "fuel", "coproduct"]
            )
            stage = rng.choice(STAGES)
            unit, f_unit = rng.choice(UNITS)
            qty = rng.choice([0.0, 1.0, rng.random() * 10, 1e-7])
            code = rng.choice(CODES)
            linked = external = km = basis = share = None
            f_value = rng.random() * 5
            r_share = r_code = r_unit = r_value = v_unit = v_value = None
            ratings = (
                (None, None, None)
                if rng.random() < 0.6
                else tuple(float(rng.choice([1, 2, 2.5, 3, 4, 5])) for _ in range(3))
            )
            r = rng.random()
            if kind == "material":
                if r < 0.3:
                    linked = rng.randrange(n_products)
                    code = f_unit = f_value = None
                elif r < 0.35:
                    external = rng.choice([1, 2, 3])
                    code = f_unit = f_value = None
                elif r < 0.42:
                    r_share, code, f_unit, f_value = 1.0, None, None, None  # scrap
                elif r < 0.6:
                    r_share = rng.choice([0.0, 0.25, 0.5, 1.0])
                    r_code = rng.choice(RCODES)
                    if r_code:
                        r_unit, r_value = "kg", rng.random()
                    unit, f_unit = "kg", "kg"
            elif kind == "transport":
                unit, f_unit = rng.choice([("t", "t*km"), ("kg", "t*km")])
                km = rng.choice([None, 100.0, 350.5])
                if km is None:
                    unit = f_unit = "kg"
            elif kind == "waste":
                unit, f_unit = "kg", "kg"
                if r < 0.4:
                    r_share = rng.choice([0.0, 0.5, 0.9])
                    r_code = rng.choice(["rec.aluminium", "rec.copper"])
                    r_unit, r_value = "kg", rng.random()
                    v_unit, v_value = "kg", rng.random() * 3
                    if r < 0.2:
                        code = f_unit = f_value = None
            elif kind == "coproduct":
                code = f_unit = f_value = None
                basis = rng.choice([None, "mass", "economic"])
                share = rng.choice([None, "0.1", "0.25"])
            rows.append(
                (
                    sub,
                    pos,
                    kind,
                    stage,
                    qty,
                    unit,
                    code,
                    linked,
                    external,
                    km,
                    basis,
                    share,
                    f_unit,
                    f_value,
                    r_share,
                    r_code,
                    r_unit,
                    r_value,
                    v_unit,
                    v_value,
                    rng.choice(PROV),
                    *ratings,
                )
            )
        if rng.random() < 0.3 and rows and rows[-1][2] == "fuel":
            r = list(rows[-1])
            r[1] = r[1] + 0.5
            r[3] = "raw_material"
            rows.append(tuple(r))
    return rows, by_sub


def consent_for(rng, n, n_orgs):
    owners = {p: rng.randrange(n_orgs) for p in range(n)}
    shares = {(p, b) for p in range(n) for b in range(n_orgs) if rng.random() < 0.3}
    described = {p: (rng.choice(CATS), rng.choice(["kg", "piece", "kWh"])) for p in range(n)}
    generic = [("mat.x.one", "kg", 2.0, "CN"), ("mat.y.two", "kg", 3.0, "GLO")]
    return Consent(
        owners,
        shares,
        described,
        lambda: generic,
        {p: rng.choice(["CN", "DE", ""]) for p in range(n)},
    )


EXT = {
    1: ExternalLeaf("kg", 2.5, {}, 0.4, 2.0),
    2: ExternalLeaf("kg", 1.5, {"raw_material": 1.0, "production": 0.5}, 1.0, np.nan),
    3: ExternalLeaf("kWh", 0.7, {"production": 0.7}, 0.0, 3.0),
}


def run(mod, rows, by_sub, n, consent, known):
    e = mod.Edges(stages(), known)
    direct = np.zeros((n, len(STAGES)))
    try:
        e.add_inputs(rows, by_sub, {p: p for p in range(n)}, direct, EXT, consent, list(range(n)))
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))
    primary = np.zeros(n)
    ratings = np.full((n, 3), 2.0)
    e.own_quality(primary, ratings)
    e.leaf("extra.code", "production", "kg", 1.0)
    return (
        list(np.asarray(e.provider).tolist()),
        list(np.asarray(e.consumer).tolist()),
        np.asarray(e.amount, dtype=float).tobytes(),
        [None if u is None else str(u) for u in e.unit],
        e.leaf_ids,
        e.leaf_units,
        e.leaf_values,
        e.leaf_primary,
        e.leaf_dqr,
        [tuple(r) for r in e.leaf_ratings],
        e.leaf_category,
        {k: (a.basis, a.share) for k, a in e.allocations.items()},
        list(e.allocations),
        direct.tobytes(),
        primary.tobytes(),
        ratings.tobytes(),
    )


bad = 0
for seed in range(int(sys.argv[2]) if len(sys.argv) > 2 else 500):
    rng = random.Random(seed)
    n = rng.randint(1, 40)
    n_orgs = rng.randint(1, 5)
    rows, by_sub = rows_for(rng, n, n_orgs)
    rng.shuffle(rows)
    consent = consent_for(rng, n, n_orgs)
    known = rng.choice([[], ["factor:mat.x.one@production", "pending:0", "external:1@production"]])
    a = run(old, rows, by_sub, n, consent, known)
    b = run(new, rows, by_sub, n, consent, known)
    if repr(a) != repr(b):
        bad += 1
        if bad < 4:
            print("seed", seed, "differs")
            if a[0] == "error" or b[0] == "error":
                print(" ", a if a[0] == "error" else "ok", "|", b if b[0] == "error" else "ok")
            else:
                names = [
                    "provider",
                    "consumer",
                    "amount",
                    "unit",
                    "leaf_ids",
                    "leaf_units",
                    "leaf_values",
                    "leaf_primary",
                    "leaf_dqr",
                    "leaf_ratings",
                    "leaf_category",
                    "allocations",
                    "alloc_order",
                    "direct",
                    "primary",
                    "ratings",
                ]
                for nm, x, y in zip(names, a, b, strict=True):
                    if repr(x) != repr(y):
                        print("  ", nm, repr(x)[:300], "\n   ", repr(y)[:300])
print("cases", seed + 1, "differing", bad)
sys.exit(1 if bad else 0)

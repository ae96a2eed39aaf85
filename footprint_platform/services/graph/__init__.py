"""The period graph: building one reference period's supply graph from the database, its
snapshot and patching after one submission, stored runs and their results, the recompute
jobs, explanations of one product's footprint and its uncertainty."""

"""Disclosure: declarations pinned to their inputs, verification and publication, signed files,
the exports of a declaration (CSV, Battery Pass, battery passport), who may see a supplier's
footprint by name, and the results table of a period."""

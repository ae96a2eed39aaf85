"""Disclosure: declarations pinned to their inputs, verification and publication, signed files,
the exports of a declaration (CSV, Battery Pass), carbon content, jurisdictions' rules side by
side, and the results table of a period. Who may see a supplier's footprint by name is in
`relations`; the battery passport's AAS, built on the PACT footprint, in `pact`."""

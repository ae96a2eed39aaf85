"""A complete verification statement for tests that verify a declaration."""

from __future__ import annotations

from datetime import date

from footprint_platform.services.disclosure.publication import Statement

STATEMENT_FORM = {
    "standard": "ISO 14064-3:2019",
    "assurance": "reasonable",
    "accreditation_body": "CNAS",
    "accreditation_number": "TEST-0001",
    "materiality_percent": "5",
    "scope": "Cradle to gate, the pinned submissions",
    "statement_date": date.today().isoformat(),
}
STATEMENT = Statement(**STATEMENT_FORM)

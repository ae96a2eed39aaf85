"""An organization's audit log as a CSV file for its administrators (an auditor's copy).

The file says what the log page says, no more: each event's time (UTC, ISO 8601), who, the
channel and action as stored codes (for programs) and the action and details as read in
English and in Chinese (for people), and its object as read (a product, declaration,
submission, site or organization by the page's rule: its stored id is left out). The stored
details themselves are not written: they hold
record ids (another organization's product, a person outside) that the page does not name, and
an id is a name to anyone who looks it up in the catalogue. Cells a spreadsheet would run as a
formula are neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from flask_babel import force_locale
from sqlalchemy.orm import Session

from footprint_platform.csv_cells import safe_cell
from footprint_platform.display_labels import event_label
from footprint_platform.models import AuditEvent
from footprint_platform.policy import Action, Actor, authorize
from footprint_platform.queries import audit_events_query
from footprint_platform.services.insight import audit_view

MAX_ROWS = 50_000  # newest first; an older part of a longer log is read on the page
HEADER = (
    "occurred_at_utc",
    "who",
    "channel",
    "action",
    "object_type",
    "object_id",
    "ip",
    # what a person reads, in both languages (the codes above stay for programs)
    "action_en",
    "action_zh",
    "object_en",
    "object_zh",
    "details_en",
    "details_zh",
)


def audit_csv(session: Session, actor: Actor, organization_id: int) -> str:
    """The newest MAX_ROWS events of the organization's log, as the page reads them."""
    authorize(actor, Action.VIEW_AUDIT, organization_id)
    events = session.scalars(audit_events_query(organization_id).limit(MAX_ROWS)).all()
    known = audit_view.load(session, organization_id, events)  # once, for both languages
    read = {lang: _read(events, known, lang) for lang in ("en", "zh")}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for e in events:
        row = (
            e.occurred_at.isoformat(timespec="seconds"),
            e.actor_user.display_name if e.actor_user else "",
            e.channel,
            e.action,
            e.object_type,
            "" if audit_view.named_object(e) else (e.object_id or ""),
            e.ip or "",
            read["en"][e.id][0],
            read["zh"][e.id][0],
            read["en"][e.id][2],
            read["zh"][e.id][2],
            read["en"][e.id][1],
            read["zh"][e.id][1],
        )
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def _read(
    events: Sequence[AuditEvent], known: audit_view.Known, lang: str
) -> dict[int, tuple[str, str, str]]:
    """Each event's action, details (`label: value; …`) and object in one language."""
    with force_locale(lang):
        details, objects = audit_view.read_loaded(events, known)
        colon, sep = ("：", "；") if lang == "zh" else (": ", "; ")
        return {
            e.id: (
                event_label(e.action),
                sep.join(f"{d.label}{colon}{d.value}" for d in details[e.id]),
                objects[e.id],
            )
            for e in events
        }

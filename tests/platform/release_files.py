"""What the tests of each factor release check alike: the file is the previous release byte for
byte with rows appended that the loader accepts, and the operator's release service publishes
it after the releases before it with an audited diff that only adds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import AuditEvent, FactorRelease
from footprint_platform.services.catalogue import factors
from tests.platform.demo_ids import admin_actor


def added_rows(previous: Path, release: Path) -> list[dict[str, Any]]:
    """The rows of `release` whose codes `previous` does not have."""
    before = {r["code"] for r in factors.read_release(previous.read_bytes())}
    return [r for r in factors.read_release(release.read_bytes()) if r["code"] not in before]


def assert_appended(previous: Path, release: Path) -> list[dict[str, Any]]:
    """`release` begins with `previous` byte for byte, the loader (the upload page's checks)
    accepts the whole file, and it holds the previous rows plus the added ones; returns those."""
    before, after = previous.read_bytes(), release.read_bytes()
    assert after.startswith(before) and len(after) > len(before)
    added = added_rows(previous, release)
    assert len(factors.read_release(after)) == len(factors.read_release(before)) + len(added)
    assert added
    return added


def publish_in_turn(releases: list[tuple[str, Path]]) -> FactorRelease:
    """Publish the files in order as the demo's operator; the last one's audited diff names
    exactly its appended codes as added, nothing changed or removed, and it becomes the latest
    release, after the one before it. Returns the last release."""
    operator = admin_actor("operator@tanlian.example")
    release = None
    for version, path in releases:
        release = factors.publish_release(db.session, operator, version, version, path.read_bytes())
    assert release is not None
    event = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "factors.publish")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and event.details is not None
    details = event.details
    (previous_version, previous_path), (version, path) = releases[-2], releases[-1]
    assert details["version"] == version and details["previous"] == previous_version
    assert details["changed"] == [] and details["removed"] == []
    assert sorted(details["added"]) == sorted(
        str(r["code"]) for r in added_rows(previous_path, path)
    )
    assert factors.latest_release(db.session).version == version
    before = db.session.get(FactorRelease, release.previous_id)
    assert before is not None and before.version == previous_version
    return release

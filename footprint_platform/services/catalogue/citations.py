"""Reviewed citations of factor sources, for the public release page.

The operator's `source` text of a factor says where its number comes from and also how it was
read (working notes). The public shows only reviewed bibliographic fields — publisher, title,
table or section, year, URL — kept in `config/factors/citations.toml` and matched to a source by
the start of its text. A source without a reviewed citation is counted, never printed."""

from __future__ import annotations

import functools
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from footprint_platform.models import EmissionFactor
from footprint_platform.reference import CONFIG_DIR


@dataclass(frozen=True)
class Citation:
    publisher: str
    title: str
    table: str
    year: str
    url: str


@dataclass(frozen=True)
class PublicSources:
    cited: list[tuple[Citation, tuple[str, ...], int]]  # citation, its licences, factor count
    under_review: int  # factors whose source has no reviewed citation yet


@functools.cache
def _entries(config_dir: Path = CONFIG_DIR) -> tuple[tuple[str, Citation], ...]:
    data = tomllib.loads((config_dir / "factors" / "citations.toml").read_text("utf-8"))
    return tuple(
        (
            str(e["match"]),
            Citation(
                str(e["publisher"]),
                str(e["title"]),
                str(e.get("table", "")),
                str(e.get("year", "")),
                str(e.get("url", "")),
            ),
        )
        for e in data["citation"]
    )


def citation_for(source: str) -> Citation | None:
    """The reviewed citation of a factor's source text, if one is kept."""
    for prefix, citation in _entries():
        if source.startswith(prefix):
            return citation
    return None


def public_sources(session: Session, release_id: int) -> PublicSources:
    """A release's publications as the public may read them, most-used first."""
    rows = session.execute(
        select(EmissionFactor.source, EmissionFactor.licence, func.count())
        .where(EmissionFactor.release_id == release_id)
        .group_by(EmissionFactor.source, EmissionFactor.licence)
    )
    counts: dict[Citation, int] = defaultdict(int)
    licences: dict[Citation, set[str]] = defaultdict(set)
    under_review = 0
    for source, licence, n in rows:
        citation = citation_for(source)
        if citation is None:
            under_review += int(n)
            continue
        counts[citation] += int(n)
        licences[citation].add(licence)
    cited = sorted(
        ((c, tuple(sorted(licences[c])), n) for c, n in counts.items()),
        key=lambda item: (-item[2], item[0].publisher, item[0].title),
    )
    return PublicSources(cited, under_review)

"""Chinese everywhere a Chinese reader looks: every page the other browser tests visit, read
in zh-CN, must show no raw code (an input kind, a stage, a status, a rule or factor code, a
unit like `t*km`) and no English-only sentence. Latin text is allowed only for proper nouns,
units and identifiers a reader needs as they are (the allowlist below, product part numbers,
e-mail addresses, hashes, URLs and numbers). Each page is screenshotted."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from footprint_platform.models import (
    Declaration,
    Organization,
    Product,
    Submission,
    SubmissionStatus,
    User,
)
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.test_tasks import _assignment

pytestmark = pytest.mark.browser

# Latin words a Chinese page may show as they are: units and SI prefixes (GB 3100-1993 keeps
# the SI symbols in Chinese text), standards and their field names (PACT dqi), file formats,
# chemistries and vehicle categories, chemical formulas, the Circular Footprint Formula's
# symbols, brands and the platform's name.
# Anything else Latin must be a part number, a person's or organisation's name, or an
# identifier shown as it is (hashes, UUIDs, file names, paths).
ALLOWED = set(
    """
    kg co2e kgco2e kwh mwh gj mj km t g l m kw k
    pact dqi iso ghg ipcc ar5 ar6 gwp gwp100 gb en iec idta miit cnas pcf eu jrc ivl
    csv pdf json aas xlsx excel qr api url id ip jws jwks parquet webhook svg png sha openapi
    swagger oauth https http www plotly libreoffice supply_graph catena x battery pass
    tanlian english
    ev lfp ncm nca lmfp nmc nmc811 ncm523 ncm622 ncm811 lmo lco ppa hdpe ldpe lldpe pp
    co2 ch4 n2o m1 m2 m3 n1 n2 n3 o1 l1 ii
    ecoinvent c d e
    r1 r2 r3 qs qp qsin qsout ev e*v erec ereceol ed eer lhv xer ese q a b
    """.split()  # noqa: SIM905 (one word list reads better than 90 quoted strings)
)
# Whole tokens shown as they are: part numbers and chemical names (HFC-134a, C444), e-mail
# addresses, hashes and their prefixes, UUIDs, file names, URLs and paths, versions.
NAME_LIKE = re.compile(
    r"^(?:[A-Z]{1,5}\d*(?:-[A-Za-z0-9]+)+|[A-Z]\d{2,}|[\w.+-]+@[\w.-]+|[0-9a-f]{12,}…?"
    r"|[0-9a-f]{8}-[0-9a-f-]{27}|[\w.-]+\.(?:pdf|xlsx|csv|json|png|jpg|jws)|https?://\S+"
    r"|/\S*|tlk_\w+|v\d+(?:\.\d+)*)$"
)
# A page's visible text, leaving out what is shown as a person typed it (`.user-text`: a
# description, a reason, a statement; `.citation`: a publication's bibliographic text), what
# is marked as another language (`lang="en"`) and identifiers a person types as they are
# (`.identifier`: a factor's code in the factor browser beside its name, a formula).
TEXT_JS = """() => {
  const skip = 'script, style, template, noscript, .user-text, .citation, .identifier, '
    + '[lang]:not([lang^=zh])';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    parts.push(node.textContent);
  }
  for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]'))
    if (!el.closest(skip)) parts.push(el.placeholder);
  return parts.join(' ');
}"""
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_*^/.-]*")


def _foreign(text: str, names: set[str]) -> list[str]:
    """The Latin words of a page's text that are neither allowed nor a name on the page."""
    found = []
    for token in text.split():
        if NAME_LIKE.match(token.strip("()[],.:;，。：；（）·")):
            continue
        for word in WORD.findall(token):
            if NAME_LIKE.match(word.strip(".-")):
                continue
            # "CO2e/kWh", "LDPE/LLDPE", "GB/T": each part on its own
            for part in word.strip(".-/").split("/"):
                bare = part.strip(".-").lower()
                if bare and bare not in ALLOWED and part.strip(".-") not in names:
                    found.append(word)
                    break
    return found


def _names(server: LiveServer) -> set[str]:
    """Every word of the demo's organisation and product names and part numbers: proper
    nouns a page may print in Latin letters beside their Chinese names."""
    from footprint_platform.extensions import db

    words: set[str] = set()
    with server.app.app_context():
        for user in db.session.scalars(select(User)):
            words.update(WORD.findall(user.display_name or ""))
        for org in db.session.scalars(select(Organization)):
            words.update(WORD.findall(org.name_en or ""))
        for product in db.session.scalars(select(Product)):
            words.update(WORD.findall(product.part_number or ""))
            words.update(WORD.findall(getattr(product, "name_en", "") or ""))
        db.session.remove()
    return words


def _read(tab: Any, path: str, label: str, names: set[str], seen: dict[str, list[str]]) -> Any:
    page = tab.go(path, label)
    assert page.locator("html").get_attribute("lang") == "zh-Hans", path
    text = page.evaluate(TEXT_JS)
    words = _foreign(text, names)
    if words:
        seen[path] = sorted(set(words))
    return page


def _pages(server: LiveServer) -> dict[str, list[str]]:
    """Who reads which pages (the pages the other browser tests visit)."""
    q = server.query

    def org(name: str) -> int:
        return int(q(select(Organization.id).where(Organization.name_en == name)))

    def product(part: str) -> int:
        return int(q(select(Product.id).where(Product.part_number == part)))

    public_id = q(
        select(Declaration.public_id)
        .where(Declaration.published_at.is_not(None))
        .order_by(Declaration.id)
        .limit(1)
    )
    vehicle, foil = product("JH-S7-LR"), product("JN-AL-12")
    foil_org = org("Jiangnan Foil Materials")
    pack_org = org("Huadong Battery Systems")
    oem_org = org("Jinghai Motors")
    submission = q(
        select(Submission.id)
        .where(Submission.product_id == foil, Submission.status == SubmissionStatus.SUBMITTED)
        .order_by(Submission.id.desc())
        .limit(1)
    )
    declaration = q(
        select(Declaration.id).where(Declaration.product_id == product("HD-PK-811-78")).limit(1)
    )
    steps = ["general", "energy", "process", "materials", "transport", "outputs", "review"]
    return {
        "anonymous": [
            "/login",
            "/d/",
            f"/d/{public_id}",
            f"/q/{public_id}",
            "/industry",
            "/methodology/rules/power_battery",
        ],
        "analyst@jinghai-motors.example": [
            "/dashboard/",
            "/tasks",
            f"/dashboard/products/{vehicle}",
            f"/dashboard/products/{vehicle}/coverage",
            f"/dashboard/orgs/{oem_org}/portfolio",
            f"/dashboard/products/{vehicle}/whatif",
        ],
        "data@jiangnan-foil.example": [
            f"/orgs/{foil_org}/submissions",
            *(f"/submissions/{submission}/{step}" for step in steps),
            f"/dashboard/products/{foil}",
            "/factors",
        ],
        "operator@tanlian.example": [
            "/factors?sort=value&dir=desc&series=carbon_footprint",
            "/operator/factors",
        ],
        "admin@huadong-pack.example": [
            f"/orgs/{pack_org}/declarations",
            f"/declarations/{declaration}",
            f"/orgs/{pack_org}/pact",
            f"/orgs/{pack_org}/partner-footprints",
            f"/orgs/{pack_org}/audit",
        ],
    }


def test_every_page_reads_in_chinese(visit: Any, live_server: LiveServer) -> None:
    names = _names(live_server)
    seen: dict[str, list[str]] = {}
    assignment = _assignment(live_server)
    pages = _pages(live_server)
    pages["verifier@qingyuan-verify.example"] = ["/tasks", f"/verifications/{assignment}"]
    for who, paths in pages.items():
        tab = visit(who.split("@")[0] + "-" + who.split("@")[-1].split(".")[0])
        if who != "anonymous":
            tab.login(who)
        tab.go("/login" if who == "anonymous" else "/dashboard/", "start")
        tab.language("zh", "zh")
        for path in paths:
            _read(tab, path, path.strip("/").replace("/", "-") or "home", names, seen)
    report = "\n".join(f"{path}: {' '.join(words)}" for path, words in seen.items())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "zh-crawl.txt").write_text(report + "\n", encoding="utf-8")
    assert not seen, "English or raw codes on zh pages:\n" + report

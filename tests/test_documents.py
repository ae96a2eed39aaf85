"""The project's documents stand alone: every file they point at is in the repository.

A newcomer follows references from README, ARCHITECTURE.md, docs/, module docstrings, config
comments and templates; one that leads to a file outside the checkout (a shared folder, another
project's notes) or to a file that was renamed is a dead end. This test reads every tracked text
file and resolves each reference inside the repository:

- Markdown links `[text](target)` in *.md files (web addresses and anchors aside);
- path-like words: anything ending in `.md`, anything starting with `../`, and paths under the
  repository's own top-level folders (`docs/`, `config/`, `bench/`, …) or `specs/` / `shared/`;
  in Python files only docstrings and comments are read, since code builds its paths itself.

A reference resolves when it exists relative to the file that names it or to the repository root.
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Files written at run time, named in documents but never tracked (see .gitignore).
GENERATED = ("bench/out", "instance", "test-artifacts")

# Vendored third-party files and binary or generated catalogues speak of their own trees.
SKIPPED_PREFIXES = ("footprint_platform/static/vendor/", "dashboards/static/vendor/")
TEXT_SUFFIXES = {".md", ".py", ".html", ".toml", ".txt", ".cfg", ".ini", ".yml", ".yaml", ".sh"}
TEXT_NAMES = {"Makefile", "README"}

_TOP = r"(?:docs|config|bench|specs|shared|tests|supply_graph|footprint_platform|dashboards)"
_PATH = r"[\w./-]"
PATH_LIKE = re.compile(
    rf"(?<![\w./@:~-])("
    rf"(?:\.\./)+{_PATH}*"  # climbs out of the folder
    rf"|/(?:work|home|tmp|srv|opt|mnt|Users)/{_PATH}*"  # an absolute path on some machine
    rf"|{_TOP}/{_PATH}*"  # a repository folder (or one that is not ours)
    rf"|{_PATH}*\w\.md"  # a Markdown document
    rf")"
)
MD_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# Work-tracker words: the tracker is not in the repository, and done work is stated plainly.
STALE = re.compile(r"\b(?:later|future|next) issues?\b|\bissues? #?\d+\b|\(issue\b", re.IGNORECASE)


def _tracked() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    files = []
    for name in out.splitlines():
        if name.startswith(SKIPPED_PREFIXES) or name == "tests/test_documents.py":
            continue
        path = ROOT / name
        if path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES:
            files.append(path)
    return files


def _python_prose(source: str) -> str:
    """Docstrings and comments of a module: the prose a reader follows."""
    parts = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                parts.append(doc)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            parts.append(tok.string)
    return "\n".join(parts)


def _prose(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return _python_prose(text) if path.suffix == ".py" else text


def _references(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    refs: set[str] = set()
    if path.suffix == ".md":
        for target in MD_LINK.findall(text):
            if not re.match(r"[a-z]+:|#", target):
                refs.add(target.split("#", 1)[0])
    for match in PATH_LIKE.findall(_prose(path)):
        refs.add(match.rstrip(".,;:"))
    return {r for r in refs if r}


def _resolves(ref: str, where: Path) -> bool:
    if ref.startswith(GENERATED):
        return True
    if ref.startswith("/"):
        return False
    bases = [where.parent, ROOT]
    if "templates" in where.parts:  # a template names others from its templates folder
        bases.append(Path(*where.parts[: where.parts.index("templates") + 1]))
    for base in bases:
        target = (base / ref).resolve()
        if target.is_relative_to(ROOT) and target.exists():
            return True
    return False


def unresolved() -> dict[str, list[str]]:
    """Every reference that does not resolve, by the file that names it."""
    dead: dict[str, list[str]] = {}
    for path in _tracked():
        bad = sorted(r for r in _references(path) if not _resolves(r, path))
        if bad:
            dead[str(path.relative_to(ROOT))] = bad
    return dead


def test_every_document_reference_resolves_inside_the_repository() -> None:
    assert unresolved() == {}


def test_no_document_points_at_the_work_tracker() -> None:
    """ "Issue 7" or "later issues" means nothing to a reader of the repository."""
    stale = {}
    for path in _tracked():
        found = sorted({m.group(0) for m in STALE.finditer(_prose(path))})
        if found:
            stale[str(path.relative_to(ROOT))] = found
    assert stale == {}


def test_the_scan_sees_the_kinds_of_reference_it_promises(tmp_path: Path) -> None:
    """Guards the scanner itself: each kind of reference is found, and only those."""
    doc = tmp_path / "x.md"
    doc.write_text(
        "See [the design](../outside/DESIGN.md), docs/design.md, `specs/supply-graph-file.md`,"
        " ../elsewhere/specs/pact.md, /srv/elsewhere/data/x.csv and https://example.org/a/README.md.",
        encoding="utf-8",
    )
    assert _references(doc) == {
        "../outside/DESIGN.md",
        "docs/design.md",
        "specs/supply-graph-file.md",
        "../elsewhere/specs/pact.md",
        "/srv/elsewhere/data/x.csv",
    }
    module = tmp_path / "m.py"
    module.write_text(
        '"""Rules in DESIGN.md."""\nPATH = "config/nothing.toml"  # see bench/RESULTS.md\n',
        encoding="utf-8",
    )
    assert _references(module) == {"DESIGN.md", "bench/RESULTS.md"}
    assert STALE.search("public pages (in later issues)") and STALE.search("(issue 10; load)")
    assert not STALE.search("the owner issues a client id; issued tokens")

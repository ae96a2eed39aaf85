"""What an uploaded .xlsx must be before openpyxl opens it: a zip of at most MAX_MEMBERS parts,
stored or deflated and not encrypted, that really unpacks to at most MAX_UNPACKED_BYTES, and
whose XML parts declare no document type.

Why: an .xlsx is a zip of XML files. A document type declaration (DTD) can declare entities
that expand to gigabytes ("billion laughs") or that name files and addresses to read (external
entities); Excel and LibreOffice never write one, so any DOCTYPE refuses the file. Each part is
read here with expat, the parser openpyxl uses, so a part counts as XML here exactly when it
would there, whatever its encoding (UTF-16 too). Sizes are what is actually unpacked, not what
the zip's directory claims, and reading every part to its end checks its CRC.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import Any
from xml.parsers import expat

from flask_babel import lazy_gettext as _l

from footprint_platform.errors import Problem, UploadRejected

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_UNPACKED_BYTES = 30 * 1024 * 1024  # guards against zip bombs dressed as .xlsx
MAX_MEMBERS = 1000  # a filled template has about 30 parts
CHUNK = 64 * 1024
METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # what Office Open XML uses


class _Doctype(Exception):
    pass


class _Prolog(Exception):
    """The root element started: no document type can follow."""


def check_package(data: bytes) -> None:
    """UploadRejected naming the reason, or nothing when openpyxl may open the file."""
    problem = _problem(data)
    if problem:
        raise UploadRejected(problem, [Problem("—", None, None, None, problem)])


def _problem(data: bytes) -> str | None:
    if len(data) > MAX_UPLOAD_BYTES:
        return str(_l("The file is larger than 2 MB."))
    if not data.startswith(b"PK\x03\x04"):
        return str(_l("This is not an Excel workbook (.xlsx)."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return _members_problem(z)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
        return str(_l("The workbook is damaged: its packed parts do not unpack as they say."))


def _members_problem(z: zipfile.ZipFile) -> str | None:
    members = z.infolist()
    too_big = str(_l("The workbook unpacks to more than 30 MB."))
    if len(members) > MAX_MEMBERS:
        return str(_l("The workbook has more than %(n)s parts.", n=MAX_MEMBERS))
    if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        return too_big
    left = MAX_UNPACKED_BYTES
    for member in members:
        if member.flag_bits & 0x1 or member.compress_type not in METHODS:
            return str(_l("The workbook is encrypted or packed in a way Excel does not write."))
        left, doctype = _read(z, member, left)
        if left < 0:
            return too_big
        if doctype:
            return str(
                _l(
                    "The workbook's part %(part)s declares a document type (DTD), which Tanlian "
                    "does not read. Save the workbook again from Excel or LibreOffice.",
                    part=member.filename[:100],
                )
            )
    return None


def _read(z: zipfile.ZipFile, member: zipfile.ZipInfo, left: int) -> tuple[int, bool]:
    """Unpack one part to its end: (bytes still allowed, whether it declares a document type)."""
    parser = expat.ParserCreate(None, "}")  # as xml.etree's XMLParser, which openpyxl uses

    def doctype(*_: Any) -> None:
        raise _Doctype

    def root(*_: Any) -> None:
        raise _Prolog

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = root
    prolog = True
    with z.open(member) as stream:
        while chunk := stream.read(CHUNK):
            left -= len(chunk)
            if left < 0:
                return left, False
            if prolog:
                try:
                    parser.Parse(chunk, False)
                except _Doctype:
                    return left, True
                except (_Prolog, expat.ExpatError):  # past the prolog, or not XML at all
                    prolog = False
    return left, False

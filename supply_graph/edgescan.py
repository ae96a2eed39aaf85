"""Edges of a graph file in the layout `write_graph` writes, read without a Python object per edge.

msgspec turns every edge into a struct and three strings, and each endpoint name then has to be
hashed and confirmed: at 5M edges that is most of a JSON run. Edges written as orjson writes
them are all `{"from":"…","to":"…","amount":…,"unit":"…"}`, so a slice of such text is taken
apart with numpy instead: the quotes are found at once (14 per edge), the constant text between
them is checked eight bytes at a time, the endpoint names are hashed from their bytes read as
little-endian 64-bit words and looked up in an `IdTable` of the node ids hashed the same way,
each match confirmed word by word against the id's own bytes (so a name is only ever taken for
the id it equals), and the amounts are handed to msgspec as one JSON array of numbers (so a
number is accepted and rounded exactly as the typed reader would). A slice that is not exactly
that text (whitespace, escapes, another key order, a name that is no id) is not read here: the
caller decodes it with msgspec, which gives the same columns or the same error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from supply_graph.idtable import IdTable

U64 = npt.NDArray[np.uint64]
IntArray = npt.NDArray[np.int64]

MAX_WORDS = 32  # names up to 256 bytes are compared word by word; longer ids: msgspec reads
_KEEP = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)  # low k bytes
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
_NUMBERS = msgspec.json.Decoder(list[float])


def _const(text: bytes) -> np.uint64:
    """The first up to 8 bytes of `text` as the little-endian word a view of it reads."""
    return np.uint64(int.from_bytes(text[:8].ljust(8, b"\0"), "little"))


def _low_bytes(count: int) -> np.uint64:
    return np.uint64((1 << (8 * count)) - 1)


_FROM = _const(b'"from":"')  # at each edge's first quote
_TO = _const(b'","to":"')  # at the closing quote of "from"'s value
_AMOUNT = (_const(b'","amoun'), _const(b'amount":'))  # at the closing quote of "to"'s value, +3
_UNIT = _const(b'"unit":"')  # at the quote after the number
_NEXT = _const(b'"},{"')  # closing quote of "unit"'s value to the next edge's first quote
_NEXT_MASK = _low_bytes(5)
_LAST = _const(b'"}')
_LAST_MASK = _low_bytes(2)


def words_view(buffer: npt.NDArray[np.uint8]) -> U64:
    """Every 8 bytes of `buffer` as a little-endian word, one word starting at each byte."""
    return np.ndarray(
        (max(buffer.shape[0] - 7, 0),), dtype="<u8", buffer=buffer, offset=0, strides=(1,)
    )


def name_words(view: U64, start: IntArray, length: IntArray, count: int) -> list[U64]:
    """The bytes start[i]:start[i]+length[i] as `count` words each, zero past the name's end
    (the view must reach 8·count bytes past every start)."""
    out = []
    for k in range(count):
        word = view[start + 8 * k]
        left = length - 8 * k
        if k + 1 == count or (left < 8).any():
            word &= np.take(_KEEP, np.clip(left, 0, 8))
        out.append(word)
    return out


def name_hash(words: list[U64], length: IntArray) -> IntArray:
    """A 64-bit hash of each name from its words and length (a mix of splitmix64's steps)."""
    h = length.astype(np.uint64) * _MIX[0]
    for word in words:
        h ^= word
        h *= _MIX[1]
        h ^= h >> np.uint64(31)
    h ^= h >> np.uint64(29)
    h *= _MIX[2]
    h ^= h >> np.uint64(32)
    return h.view(np.int64)


@dataclass
class NodeNames:
    """The node ids' UTF-8 bytes as words (rows × words), their lengths and the table of their
    hashes: what a slice's endpoint names are looked up and confirmed against."""

    table: IdTable
    words: list[U64]  # count arrays of n: word k of every id

    @classmethod
    def build(cls, ids: list[str], ids_array: npt.NDArray[np.str_]) -> NodeNames | None:
        """None when the ids cannot be compared this way (too long, not encodable, holding a
        NUL, two sharing a hash): the slices are then all read by msgspec. Without NULs, equal
        words (zero past the end) mean equal lengths, so lengths need no comparing."""
        if not ids:
            return None
        try:
            joined = "".join(ids)
            text = joined.encode("utf-8")
        except UnicodeEncodeError:
            return None
        if b"\0" in text:
            return None
        if len(text) == len(joined):  # ASCII: a character is a byte
            length = np.fromiter(map(len, ids), np.int64, len(ids))
        else:
            length = np.fromiter((len(i.encode("utf-8")) for i in ids), np.int64, len(ids))
        count = max(1, -(-int(length.max()) // 8))
        if count > MAX_WORDS:
            return None
        start = np.zeros(len(ids), dtype=np.int64)
        np.cumsum(length[:-1], out=start[1:])
        buffer = np.frombuffer(text + bytes(8 * count + 8), dtype=np.uint8)
        words = name_words(words_view(buffer), start, length, count)
        table = IdTable.build(ids_array, name_hash(words, length))
        if table is None:
            return None
        return cls(table, words)

    def rows(self, view: U64, start: IntArray, length: IntArray) -> IntArray | None:
        """Row of each name at start:start+length of the slice, or None if any is no id."""
        count = len(self.words)
        if length.size and int(length.max()) > 8 * count:
            return None
        words = name_words(view, start, length, count)
        rows = self.table.probe(name_hash(words, length))
        if (rows < 0).any():
            return None
        for word, known in zip(words, self.words, strict=True):
            if not np.array_equal(np.take(known, rows), word):
                return None
        return rows


@dataclass
class Scanned:
    """A slice's edge columns: provider and consumer rows, amounts, and the unit names' spans."""

    provider: IntArray
    consumer: IntArray
    amount: npt.NDArray[np.float64]
    unit_start: IntArray
    unit_length: IntArray


def scan(buffer: npt.NDArray[np.uint8], size: int, names: NodeNames) -> Scanned | None:
    """The edges in buffer[:size] (the text between an array's brackets, with room for a few
    words after it), or None if that text is not exactly the edges as `write_graph` writes them
    or names a node that is no id."""
    text = buffer[:size]
    if size < 2 or text.min() < 0x20 or np.count_nonzero(text == 0x5C):  # controls, escapes
        return None
    quotes = np.flatnonzero(text == 0x22)
    if not quotes.size or quotes.size % 14:
        return None
    q = quotes.reshape(-1, 14)
    view = words_view(buffer)
    if text[0] != 0x7B or q[0, 0] != 1 or q[-1, 13] != size - 2:  # `{"` first, `"}` last
        return None
    # q holds every quote in order, so a constant text that spans quotes also fixes where the
    # next quotes are: `"from":"` at q0 puts q1 and q2 at q0 + 5 and q0 + 7, and so on
    ok = view[q[:, 0]] == _FROM
    ok &= view[q[:, 3]] == _TO
    ok &= view[q[:, 7]] == _AMOUNT[0]
    ok &= view[q[:, 7] + 3] == _AMOUNT[1]
    ok &= text[q[:, 10] - 1] == 0x2C  # the comma after the number
    ok &= view[q[:, 10]] == _UNIT
    ok[:-1] &= (view[q[:-1, 13]] & _NEXT_MASK) == _NEXT
    ok[-1] &= (view[q[-1, 13]] & _LAST_MASK) == _LAST
    if not ok.all():
        return None
    amount = _amounts(view, q[:, 9] + 2, q[:, 10])
    if amount is None or amount.shape[0] != q.shape[0]:
        return None
    provider = names.rows(view, q[:, 2] + 1, q[:, 3] - q[:, 2] - 1)
    if provider is None:
        return None
    consumer = names.rows(view, q[:, 6] + 1, q[:, 7] - q[:, 6] - 1)
    if consumer is None:
        return None
    return Scanned(provider, consumer, amount, q[:, 12] + 1, q[:, 13] - q[:, 12] - 1)


def _amounts(view: U64, start: IntArray, stop: IntArray) -> Any:
    """The numbers at start:stop-1 (stop is just past the comma after each), decoded by msgspec
    as one JSON array, or None where that array is not one of numbers (or a number is longer
    than the window: msgspec then reads the slice).

    Each number and its comma is copied into a window of `_AMOUNT_WORDS` words, the rest of
    the window blanked with spaces (JSON whitespace): whole-word gathers, no index per byte."""
    length = stop - start
    if (length < 2).any() or (length > 8 * _AMOUNT_WORDS).any():
        return None
    windows = np.empty((length.shape[0] + 1, _AMOUNT_WORDS), dtype=np.uint64)
    windows[0] = _SPACES
    windows[0, 0] = _OPEN
    for k in range(_AMOUNT_WORDS):
        keep = np.take(_KEEP, np.clip(length - 8 * k, 0, 8))
        windows[1:, k] = (view[start + 8 * k] & keep) | (_SPACES & ~keep)
    text = windows.reshape(-1).view(np.uint8)
    text[8 * _AMOUNT_WORDS * length.shape[0] + int(length[-1]) - 1] = 0x5D  # last comma: ]
    try:
        return np.array(_NUMBERS.decode(text.data), dtype=np.float64)
    except msgspec.MsgspecError:
        return None


_AMOUNT_WORDS = 4  # a number up to 31 characters (orjson writes at most 24)
_SPACES = np.uint64(0x2020202020202020)
_OPEN = _const(b"[       ")


class UnitCodes:
    """Edge unit names of scanned slices coded by the reader's own code table (`codes`: name ->
    code, new names appended). A slice holds a handful of distinct units, so each known name's
    words are compared with every value's (equal words are equal names: a scanned slice holds
    no NUL) and only a value no known name matches is decoded and looked up."""

    def __init__(self, codes: dict[str | None, int]) -> None:
        self.codes = codes
        self.known: list[tuple[list[np.uint64], int]] = []  # a name's words, its code

    def code(self, buffer: npt.NDArray[np.uint8], start: IntArray, length: IntArray) -> Any:
        """Codes of the unit names at start:start+length, or None (not UTF-8, too long, or
        more distinct names than `_MAX_UNITS`)."""
        if not length.size:
            return np.zeros(0, dtype=np.int64)
        count = max(1, -(-int(length.max()) // 8))
        if count > MAX_WORDS:
            return None
        words = name_words(words_view(buffer), start, length, count)
        codes = np.full(length.shape[0], -2, dtype=np.int64)
        for known, code in self.known:
            codes[_equal(words, known)] = code
        while (left := np.flatnonzero(codes == -2)).size:  # new names, in order of appearance
            if len(self.known) >= _MAX_UNITS:
                return None
            at = int(left[0])
            try:
                name = buffer[start[at] : start[at] + length[at]].tobytes().decode("utf-8")
            except UnicodeDecodeError:
                return None
            known = [word[at] for word in words]
            self.known.append((known, self.codes[name]))
            codes[_equal(words, known)] = self.codes[name]
        return codes


# Distinct edge units the scan codes itself (a supply chain has a handful): a cap chosen, not
# measured; a file with more is read by msgspec instead, with the same result.
_MAX_UNITS = 64


def _equal(words: list[U64], known: list[np.uint64]) -> npt.NDArray[np.bool_]:
    """Which names' words equal those of the name `known` (zero past either's last word)."""
    same = np.full(words[0].shape[0], not any(known[len(words) :]))
    for k, word in enumerate(words):
        same &= word == (known[k] if k < len(known) else _ZERO)
    return same


_ZERO = np.uint64(0)

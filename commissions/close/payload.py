"""A chunk's payload: its rows encoded once by the compute, decoded by the chunk's writer.

A chunk's rows are stored ready to stream into COPY: per table, one text in PostgreSQL's COPY text
format, run and period included, NULL written as `None`. Encoding is one `%` format per row (str()
of every value: PostgreSQL reads True/False and Decimal's exponent notation), and the chunk write is
one COPY per table with no per-row work in the worker. Decimals keep full precision; the column's
scale rounds them as it would any other input. The only text values are generated ones (ledger
kinds, keys, ISO dates), which never hold a tab, newline or backslash: encode_payload refuses a
backslash, the one such character a check of the joined text can see. PostgreSQL compresses the
stored payload itself, with lz4 (commissions 0013): several times faster than zlib in this process,
which competes for the cores with the chunks being written.

This is the one format: no migration writes a payload, and no release wrote another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from commissions.models import CloseRun
from core.errors import ApplicationError

PAYLOAD_TABLES = ("results", "lines", "statements")
COPY_NULL = "None"
_PAYLOAD_MAGIC = b"copy-text-2\n"


class ChunkPayload:
    """A decoded chunk: COPY text per table and its distributors' id range."""

    def __init__(self, texts: dict[str, str], distributors: tuple[int, int]):
        self.texts = texts
        self.distributors = distributors  # (first, last) id of its distributors, for inspection

    def rows(self, table: str) -> int:
        return self.texts[table].count("\n")


def copy_text(head: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    """Rows (all of one width) as COPY text, each line starting with the values of `head`."""
    if not rows:
        return ""
    prefix = "".join(f"{value}\t" for value in head).replace("%", "%%")
    line = prefix + "\t".join(["%s"] * len(rows[0])) + "\n"
    return "".join([line % row for row in rows])


def encode_payload(
    run: CloseRun, payload: dict[str, list[Sequence[Any]]], *, distributors: tuple[int, int]
) -> tuple[bytes, str]:
    """The chunk's payload and the SHA-256 of its rows (see CloseChunk.digest)."""
    head = (run.pk, run.period_id)
    texts = [copy_text(head, payload[table]) for table in PAYLOAD_TABLES]
    if any("\\" in text for text in texts):
        raise ApplicationError("A close row holds a backslash: it cannot be written as COPY text.")
    header = f"{distributors[0]}\t{distributors[1]}\n"
    body = _PAYLOAD_MAGIC + "\x00".join([header, *texts]).encode("utf-8")
    return body, hashlib.sha256(body).hexdigest()


def decode_payload(blob: bytes | memoryview) -> ChunkPayload:
    """The chunk's rows as COPY text per table (see encode_payload)."""
    data = bytes(blob)
    if not data.startswith(_PAYLOAD_MAGIC):
        raise ApplicationError(
            "A chunk's stored rows are not in the format this version writes: start a new preview, or "
            "discard the final close (manage.py discard_close) and close again."
        )
    header, *texts = data[len(_PAYLOAD_MAGIC) :].decode("utf-8").split("\x00")
    first, last = map(int, header.split())
    return ChunkPayload(dict(zip(PAYLOAD_TABLES, texts, strict=True)), (first, last))

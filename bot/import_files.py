"""Reading an imported file without trusting it: size, encoding, line length, CSV and text.

Every `uptake import` reads its file through here, a line at a time, so a file of any size is
read in bounded memory and every way it can be unreadable becomes a `FileRejected` problem on
a line rather than an exception: a file over the size cap is refused before it is read; a byte
order mark selects UTF-8, UTF-16 or UTF-32, and anything else must be UTF-8; a NUL byte, an
over-long line or broken CSV quoting stops the read at the line it is on.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from bot.rejected import FileRejected

#: The default of the IMPORT_MAX_BYTES setting.
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
#: The longest line any import reads; also the CSV module's longest field.
MAX_LINE_BYTES = 131_072

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: it starts with UTF-16 LE's mark
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# C0 controls and DEL; a text value in a file never needs one (a tab or a newline in a name
# is a mistake, a NUL a binary file).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def numbered_lines(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[tuple[int, str]]:
    """(line number, text with its line ending) for each line; `FileRejected` when unreadable."""
    size = path.stat().st_size
    if size > max_bytes:
        raise FileRejected(
            [(0, f"the file is {size:,} bytes, over the {max_bytes:,} allowed (IMPORT_MAX_BYTES)")]
        )
    with path.open("rb") as raw:
        head = raw.read(4)
        raw.seek(0)
        encoding = next((name for bom, name in _BOMS if head.startswith(bom)), "utf-8")
        if encoding in {"utf-8", "utf-8-sig"}:
            yield from _utf8_lines(raw, max_bytes, skip=3 if encoding == "utf-8-sig" else 0)
        else:
            yield from _wide_lines(raw, encoding, max_bytes)


def _utf8_lines(raw: IO[bytes], max_bytes: int, *, skip: int) -> Iterator[tuple[int, str]]:
    raw.seek(skip)
    total = skip
    number = 0
    while line := raw.readline(MAX_LINE_BYTES + 1):
        number += 1
        total += len(line)
        _check_length(number, len(line), line.endswith(b"\n"), total, max_bytes)
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileRejected(
                [
                    (
                        number,
                        f"not UTF-8 text (byte 0x{line[exc.start]:02x} at column {exc.start + 1});"
                        " save the file as UTF-8",
                    )
                ]
            ) from None
        _check_nul(number, text)
        yield number, text


def _wide_lines(raw: IO[bytes], encoding: str, max_bytes: int) -> Iterator[tuple[int, str]]:
    """Lines of a UTF-16 or UTF-32 file, which its byte order mark announced."""
    with io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="") as text:
        yield from _decoded_lines(text, raw, encoding, max_bytes)


def _decoded_lines(
    text: IO[str], raw: IO[bytes], encoding: str, max_bytes: int
) -> Iterator[tuple[int, str]]:
    number = 0
    while True:
        try:
            line = text.readline(MAX_LINE_BYTES + 1)
        except UnicodeDecodeError:
            raise FileRejected(
                [(number + 1, f"not valid {encoding.upper()} text although it starts like it")]
            ) from None
        if not line:
            return
        number += 1
        # Bytes read so far, ahead of the line by at most the decoder's chunk.
        _check_length(number, len(line), line.endswith("\n"), raw.tell(), max_bytes)
        _check_nul(number, line)
        yield number, line


def _check_length(number: int, length: int, ended: bool, total: int, max_bytes: int) -> None:
    if total > max_bytes:
        raise FileRejected([(number, f"the file is over the {max_bytes:,} bytes allowed")])
    if length > MAX_LINE_BYTES and not ended:
        raise FileRejected([(number, f"the line is longer than {MAX_LINE_BYTES:,} bytes")])


def _check_nul(number: int, text: str) -> None:
    if "\x00" in text:
        column = text.index("\x00") + 1
        raise FileRejected([(number, f"a NUL byte at column {column}: is this a text file?")])


def csv_rows(
    lines: Iterator[tuple[int, str]],
) -> tuple[list[str], Iterator[tuple[int, dict[str, str] | str]]]:
    """The header of a CSV file, and (line, {column: value} or the problem) for each row.

    A row with more values than the header has columns is a problem; reading stops at the first
    problem the CSV module or the file itself has, since nothing after it can be trusted.
    """
    header, rows = csv_value_rows(lines)

    def by_name() -> Iterator[tuple[int, dict[str, str] | str]]:
        for number, values in rows:
            yield (
                number,
                values if isinstance(values, str) else dict(zip(header, values, strict=False)),
            )

    return header, by_name()


def csv_value_rows(
    lines: Iterator[tuple[int, str]],
) -> tuple[list[str], Iterator[tuple[int, list[str] | str]]]:
    """As `csv_rows`, each row its list of values (no more than the header's, maybe fewer)."""
    # Each text is one line of the file, so the reader's line count is the file's line number.
    reader = csv.reader(text for _, text in lines)
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as exc:
        raise FileRejected([(reader.line_num, f"not valid CSV: {exc}")]) from None
    width = len(header)

    def rows() -> Iterator[tuple[int, list[str] | str]]:
        try:
            for values in reader:
                if not values:
                    continue
                # The row's last line, as csv.DictReader says.
                if len(values) > width:
                    yield reader.line_num, "has more values than the header has columns"
                else:
                    yield reader.line_num, values
        except csv.Error as exc:
            yield reader.line_num, f"not valid CSV: {exc}"
        except FileRejected as exc:
            yield from exc.problems

    return header, rows()


def control_characters(record: dict[str, Any]) -> list[str]:
    """The fields of a record whose text (or text in a list) holds a control character."""
    return [
        name
        for name, value in record.items()
        if (isinstance(value, str) and _CONTROL.search(value))
        or (
            isinstance(value, list)
            and any(isinstance(v, str) and _CONTROL.search(v) for v in value)
        )
    ]


def has_control_character(value: str) -> bool:
    """Whether a text value holds a C0 control character or DEL."""
    return _CONTROL.search(value) is not None

"""The seal that makes a finished snapshot tamper-evident at the cost of one read of the file.

When a snapshot is finished, a CRC-32C of every byte of the file except its own four bytes is
written into SQLite's header (the ``user_version`` field; ``application_id`` holds a marker).
Any write through SQLite changes some page (or the header), and a flipped byte anywhere changes
the CRC, so every command checks the seal before it trusts a single row: hardware CRC-32C reads
a file at memory speed (docs/design/snapshot-integrity.md has the figures and the reasoning).
``snapshots verify`` goes further and recomputes every hash and the objects table from the cells.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

import crc32c

from ...errors import InputError

SEAL_OFFSET = 60  # SQLite header: user_version, free for applications
MARKER_OFFSET = 68  # SQLite header: application_id
MARKER = b"TFS\x02"
_WINDOW = 1 << 26  # a multiple of every page size mmap offsets must align to
HEADER = b"SQLite format 3\x00"


def file_checksum(path: str | os.PathLike) -> int:
    """CRC-32C of the whole file with the seal's own four bytes read as zeros. The file is mapped
    a window at a time: no copy, and the pages mapped at once (counted as the process's RSS)
    stay bounded whatever the file's size."""
    with open(path, "rb") as fp:
        size = os.fstat(fp.fileno()).st_size
        if size < 100:
            raise InputError(f"{path}: not a tfdata snapshot (shorter than an SQLite header)")
        crc = 0
        for offset in range(0, size, _WINDOW):
            with mmap.mmap(fp.fileno(), min(_WINDOW, size - offset), access=mmap.ACCESS_READ, offset=offset) as view:
                window = memoryview(view)  # slices of a memoryview are not copies
                try:
                    if offset == 0:
                        crc = crc32c.crc32c(window[:SEAL_OFFSET])
                        crc = crc32c.crc32c(b"\x00" * 4, crc)
                        crc = crc32c.crc32c(window[SEAL_OFFSET + 4:], crc)
                    else:
                        crc = crc32c.crc32c(window, crc)
                finally:
                    window.release()
    return crc


def seal(path: str | os.PathLike) -> None:
    """Write the marker, then the checksum (which covers the marker); the file must be closed by SQLite."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.pwrite(fd, MARKER, MARKER_OFFSET)
        os.pwrite(fd, file_checksum(path).to_bytes(4, "big"), SEAL_OFFSET)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_seal(path: str | os.PathLike) -> int | None:
    """The recorded checksum, or None for a file written before snapshots were sealed."""
    with open(path, "rb") as fp:
        header = fp.read(100)
    if header[MARKER_OFFSET:MARKER_OFFSET + 4] != MARKER:
        return None
    return int.from_bytes(header[SEAL_OFFSET:SEAL_OFFSET + 4], "big")


def seal_problem(path: str | os.PathLike, sealed_format: bool) -> str | None:
    """Why the file cannot be trusted as written, or None when its seal holds.

    ``sealed_format``: the manifest says this file was written sealed, so a missing marker is
    itself an edit (someone reset application_id), not an old file.
    """
    recorded = read_seal(path)
    if recorded is None:
        return "its seal is missing (edited after it was written)" if sealed_format else None
    if file_checksum(path) != recorded:
        return "its content does not match the checksum recorded when it was written (edited or damaged)"
    return None


def check_seal(path: Path, sealed_format: bool) -> bool:
    """Raise InputError when the seal is broken; False when the file predates seals (caller verifies it)."""
    problem = seal_problem(path, sealed_format)
    if problem:
        raise InputError(f"{path}: snapshot refused: {problem}; `tfdata snapshots verify {path}` shows what differs")
    return read_seal(path) is not None

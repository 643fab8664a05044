"""The second pass of an XLSX import without parsing the workbook again.

An import reads its file twice: a first pass finds the orders whose rows are scattered (grouping.scattered_orders),
the second imports. A CSV is cheap to read again; a workbook is not: openpyxl's parsing was 2.8 s of 9.4 for
20,000 orders, paid twice. The first pass therefore records the rows it reads (their numbers and cells, types kept:
str, int, float, datetime, None) into a temporary file of the desk's own, and the second pass replays them from
there. The file is pickled by this process for itself, never read from anywhere else, and removed on close."""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator

from .reader import ExportFile, Row

CHUNK_ROWS = 500


class RowSpool:
    """Rows recorded as they stream past, then replayed once in the same order."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()
        self._pending: list[tuple[int, list]] = []

    def recording(self, rows: Iterator[Row]) -> Iterator[Row]:
        for row in rows:
            self._pending.append((row.number, row.cells))
            if len(self._pending) >= CHUNK_ROWS:
                self._write()
            yield row
        self._write()

    def _write(self) -> None:
        if self._pending:
            pickle.dump(self._pending, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._pending = []

    def replay(self, source: ExportFile) -> ExportFile:
        """The source's rows again, as an export of the same kind, columns and header; its size and position are
        the spool's (for progress and batching by bytes)."""
        self._write()
        size = self._file.tell()
        self._file.seek(0)

        def rows() -> Iterator[Row]:
            while True:
                try:
                    chunk = pickle.load(self._file)
                except EOFError:
                    return
                for number, cells in chunk:
                    yield Row(number, cells)

        return ExportFile(source.kind, source.encoding, source.columns, source.header_row, rows(), size,
                          self._file.tell, self._file.close)

    def close(self) -> None:
        self._file.close()

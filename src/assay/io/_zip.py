"""Reading zip archives whose members may be zstd-compressed (zip method 93).

:mod:`zipfile` before Python 3.14 cannot decompress method 93, which Inspect's ``.eval``
archives use since inspect_ai 0.3.206. Such members are read from their local header
and decompressed with ``zstandard``; their size and CRC-32 are checked against the
central directory. Other methods go through :mod:`zipfile`.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path
from typing import Final

import zstandard

from assay.errors import FormatError

__all__ = ["ZipArchive"]

_ZIP_ZSTD: Final = 93
_LOCAL_HEADER_LEN: Final = 30
_LOCAL_HEADER_SIG: Final = 0x04034B50


class ZipArchive:
    """The members of a zip archive, decompressed on request (zstd members by hand)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fh = path.open("rb")
        except OSError as exc:
            raise FormatError(path, f"cannot read the file: {exc.strerror}") from exc
        try:
            self._zip = zipfile.ZipFile(self._fh)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            self._fh.close()
            raise FormatError(path, f"not a valid .eval (zip) archive: {exc}") from exc
        self.members = {i.filename: i for i in self._zip.infolist() if not i.is_dir()}

    def __enter__(self) -> ZipArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self._zip.close()
        self._fh.close()

    def read(self, name: str) -> bytes:
        info = self.members[name]
        if info.flag_bits & 0x1:
            raise FormatError(self.path, "the archive member is encrypted", field=name)
        if info.compress_type == _ZIP_ZSTD:
            return self._read_zstd(info)
        try:
            return self._zip.read(info)
        except NotImplementedError as exc:
            raise FormatError(
                self.path,
                f"the archive member uses zip compression method {info.compress_type}; "
                "expected stored, deflate, bzip2, lzma or zstd (93)",
                field=name,
            ) from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise FormatError(self.path, f"corrupt archive member: {exc}", field=name) from exc

    def _read_zstd(self, info: zipfile.ZipInfo) -> bytes:
        """Read a zstd member: skip its local header, decompress the raw bytes, check
        the size and CRC-32 recorded in the central directory."""
        name = info.filename
        self._fh.seek(info.header_offset)
        header = self._fh.read(_LOCAL_HEADER_LEN)
        if len(header) < _LOCAL_HEADER_LEN or struct.unpack_from("<I", header)[0] != (
            _LOCAL_HEADER_SIG
        ):
            raise FormatError(self.path, "corrupt archive: bad local file header", field=name)
        name_len, extra_len = struct.unpack_from("<HH", header, 26)
        self._fh.seek(info.header_offset + _LOCAL_HEADER_LEN + name_len + extra_len)
        raw = self._fh.read(info.compress_size)
        if len(raw) != info.compress_size:
            raise FormatError(self.path, "corrupt archive: the member is truncated", field=name)
        try:
            reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
            data = reader.readall()
        except zstandard.ZstdError as exc:
            raise FormatError(self.path, f"corrupt zstd data: {exc}", field=name) from exc
        if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
            raise FormatError(
                self.path,
                "corrupt archive member: its size or CRC-32 differs from the central directory",
                field=name,
            )
        return data

"""Every bound on what enters the server, in one settings object: files, archives, numbers.

Each bound is decided before the expensive work (reading a PDF's page boxes before rendering,
an image's header before decoding, a ZIP's entries while streaming them), so one hostile file
is one clear refusal and never a server out of memory. The README's "Limits" table lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    # Scanned ballots: one file is one ballot. 250 names print on at most 6 A4 pages today.
    ballot_file_bytes: int = 50 * MiB
    ballot_pages: int = 8
    ballot_page_pixels: int = 40_000_000  # an A4 page at 600 dpi is 35 MP; a phone photo 12 MP
    ballot_page_points: float = 2000.0  # a PDF page's longer side, after UserUnit (A3: 1191)

    # Archives (a ZIP of photos) and office files (XLSX, DOCX, ODT) are ZIPs read as a stream.
    archive_entries: int = 5000  # 1,600 delegates' photos, with room for a second try
    archive_entry_bytes: int = 20 * MiB  # decompressed, one entry: a phone photo is 3-8 MB
    # Decompressed, all entries; entries stream one at a time, so this bounds time, not memory.
    archive_total_bytes: int = 1024 * MiB
    spreadsheet_bytes: int = 20 * MiB
    # An XLSX of 20,000 rows by 100 columns unpacks to about 100 MB of XML.
    spreadsheet_decompressed_bytes: int = 200 * MiB
    # A DOCX or ODT, unpacked, before LibreOffice opens it: 500 pages of text and photos.
    document_decompressed_bytes: int = 200 * MiB
    table_rows: int = 20_000  # a national congress has 1,600 delegates
    table_columns: int = 100  # a delegate list has about 12

    # Numbers in paths and queries: database ids are 32-bit on PostgreSQL.
    largest_id: int = 2**31 - 1

    # Sessions and sign-in.

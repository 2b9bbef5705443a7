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
    # The finest a PDF page is rendered at: the reader needs 150-200 dpi, 300 is a fine scan.
    ballot_render_dpi: int = 300

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
    # A staff session unused for a working day ends: a laptop left signed in overnight at the
    # venue is signed out by morning; one day of work never meets it.
    session_idle_seconds: int = 12 * 3600
    # A delegate's phone stays signed in across the two days of a congress and its night.
    portal_session_idle_seconds: int = 3 * 24 * 3600
    # A session's last use is written at most this often: one write per 5 minutes of use, not
    # one per request, and the idle time is exact to within it.
    session_touch_seconds: int = 300
    # A page left open on live events (a projector, the attendance screen) is let in again this
    # often: a session ended on the server stops its stream within it.
    stream_recheck_seconds: int = 30

    @property
    def longest_session_idle_seconds(self) -> int:
        """Past it no session of any kind stands: its row is deleted at the next sign-in."""
        return max(self.session_idle_seconds, self.portal_session_idle_seconds)

    # Failed sign-ins in a sliding window. Per address and user name: a mistyped password
    # five times. Per address whatever the name: spraying 12 names from one laptop is refused.
    # Per account whatever the address: one account guessed from many addresses is refused
    # (the owner waits the window out too: a lock that an attacker can only prolong, not open).
    login_window_seconds: int = 300
    login_failures_per_name_and_address: int = 5
    login_failures_per_address: int = 10
    login_failures_per_account: int = 20
    # Remembered (address or name) keys of failed sign-ins; beyond it, expired ones are dropped,
    # so a flood of invented names cannot grow the server's memory without end.
    login_tracked_keys: int = 100_000

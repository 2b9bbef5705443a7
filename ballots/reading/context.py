"""What a reading context is made of, as plain data: one encoding for the server, the station
and the audit bundle, and one way to build the context from it."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ballots.paper.design import BallotSpec
from ballots.paper.layout import BallotLayout
from ballots.reading.reader import ElectionRules, ReadingContext, reference_pages
from ballots.reading.settings import ReadingSettings
from congress.keys import b64decode_any, public_key_from_bytes

__all__ = ["ContextDescription"]


@dataclass(frozen=True)
class ContextDescription:
    """The printed ballot, the congress's public key, the rules and the reader's settings.

    Small and picklable: building the context renders the blank pages, which is the slow part,
    so this is what travels (to a station, to the processes of a recount) and is built there.
    """

    spec: BallotSpec
    layout: BallotLayout  # as printed: the layout recorded with the print run
    public_key: bytes  # raw Ed25519, 32 bytes
    rules: ElectionRules
    settings: ReadingSettings = field(default_factory=ReadingSettings)

    def build(self) -> ReadingContext:
        return ReadingContext(
            self.layout,
            reference_pages(self.spec, self.layout, self.settings),
            public_key_from_bytes(self.public_key),
            self.rules,
            self.settings,
        )

    def to_dict(self) -> dict[str, Any]:
        """The station API's form: the key in URL-safe base64 without padding (43 characters)."""
        return {
            "layout": self.layout.to_dict(),
            "spec": self.spec.to_dict(),
            "public_key": base64.urlsafe_b64encode(self.public_key).decode().rstrip("="),
            "rules": {
                "seats": self.rules.seats,
                "nobody_elected_invalid": self.rules.nobody_elected_invalid,
                "seal_required": self.rules.seal_required,
            },
            "settings": self.settings.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ContextDescription:
        """From `to_dict`'s form; the key in either base64 alphabet (stations keep what older
        servers sent), the settings the reader's defaults when absent."""
        rules = data["rules"]
        return cls(
            spec=BallotSpec.from_dict(data["spec"]),
            layout=BallotLayout.from_dict(data["layout"]),
            public_key=b64decode_any(str(data["public_key"])),
            rules=ElectionRules(
                seats=int(rules["seats"]),
                nobody_elected_invalid=bool(rules["nobody_elected_invalid"]),
                seal_required=bool(rules["seal_required"]),
            ),
            settings=ReadingSettings.from_dict(data.get("settings") or {}),
        )

"""A reading context's description: one encoding, both base64 alphabets read, one build."""

from __future__ import annotations

import base64
import json

from ballots.reading.context import ContextDescription
from ballots.reading.reader import ElectionRules, ReadingSettings, read_ballot
from ballots.reading.synth import make_election, print_pages
from congress.keys import public_key_bytes


def test_a_description_travels_as_json_and_builds_the_context() -> None:
    election = make_election("strike", 4, seats=3, seed=7)
    raw = public_key_bytes(election.private_key)
    described = ContextDescription(
        election.spec, election.layout, raw, ElectionRules(3, True, False), ReadingSettings()
    )
    data = json.loads(json.dumps(described.to_dict()))
    assert len(data["public_key"]) == 43 and data["spec"]["items"] == list(election.spec.items)
    assert ContextDescription.from_dict(data).to_dict() == data
    # A key as the database and the bundles write it (standard, padded) reads the same.
    standard = {**data, "public_key": base64.b64encode(raw).decode()}
    assert ContextDescription.from_dict(standard).public_key == raw
    # No settings (an older server): the reader's defaults.
    assert ContextDescription.from_dict({**data, "settings": None}).settings == ReadingSettings()
    context = ContextDescription.from_dict(data).build()
    (page,) = print_pages(election, ["ABCDEFGHJK"], 150)
    assert read_ballot([page], context).serial == "ABCDEFGHJK"

"""A stable fingerprint for a disc: the same disc gives the same row, re-inserted or not.

It hashes the label and the title layout, so two discs with the same label (every
disc of a box set, often) still differ, and re-reading a disc finds its row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence


def fingerprint(label: str, layout: Iterable[Sequence[object]]) -> str:
    payload = json.dumps([label, [list(t) for t in layout]], separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:32]

"""Which release the data is judged against: the one given, or a guess from what the scan saw.

The guess needs only counts of (type, field) over the whole store, collected as rows stream by:
small (bounded by the schema, not by the data) and enough for tfdata.schema.guess_release.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from ..model.objects import TfObject
from ..schema import guess_release, list_releases, load_release


@dataclass
class ReleaseChoice:
    name: str
    confidence: float
    guessed: bool
    reason: str = ""

    def as_dict(self) -> dict:
        return {"name": self.name, "confidence": self.confidence, "guessed": self.guessed, "reason": self.reason}


def observed_features(obj: TfObject) -> set[str]:
    """Database-column names of the fields an object uses (guess_release accepts this form)."""
    features = {f"prop:{p}" for p in obj.props}
    features.update(f"propl:{p}" for p in obj.list_props)
    features.update(f"propm:{p}" for p in obj.map_props)
    features.update(f"ref:{t}" for t, _ in obj.refs)
    if obj.parent:
        features.add(f"parent:{obj.parent[0]}")
    return features


class FeatureCounts:
    """type -> {feature: objects}: small (bounded by the schema), enough to guess the release."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter] = defaultdict(Counter)

    def add(self, obj: TfObject) -> None:
        if obj.type is not None and obj.fq_name is not None:  # live (TfObject.is_live)
            counter = self.counts[obj.type]
            counter["type"] += 1
            counter.update(observed_features(obj))

    def choose(self, release: str | None) -> ReleaseChoice | None:
        """The given release (validated), or the best guess from what was observed; None when no
        release whitelists are installed."""
        if release:
            load_release(release)  # raises UnknownRelease (exit 2) for a bad name
            return ReleaseChoice(release, 1.0, False, "given on the command line")
        if not list_releases():
            return None
        name, confidence, reason = guess_release(self.counts)
        return ReleaseChoice(name, confidence, True, reason)

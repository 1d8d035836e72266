"""The shared drift bins and the release's drift-reference.json format."""

from __future__ import annotations

import json
from typing import get_args

import pytest

from pm25 import drift_bins as db
from pm25.features import FEATURE_NAMES
from pm25.wire.device import HazeSignal


def test_signals_and_bins() -> None:
    assert db.SIGNALS[:3] == ("pm25", "sd", "flags")
    assert set(db.HAZE_SIGNALS) <= set(FEATURE_NAMES)
    for s in db.HAZE_SIGNALS:
        e = db.edges(s)
        assert list(e) == sorted(set(e)) and db.bins(s) == len(e) + 1
    assert db.bins("flags") == 8 and db.bins("pm25") == 10 and db.bins("edge_density") == 12
    # a value on an edge goes to the bin on its right
    assert db.histogram([0.1, 5.0, 5.1, 999], db.PM25_EDGES) == [1, 2, 0, 0, 0, 0, 0, 0, 0, 1]
    hz = db.haze_histograms({"edge_density": [0.0, 0.6], "dark_mean": [0.3]})
    assert hz == {"edge_density": [1] + [0] * 10 + [1]}


def test_tail_edges_wrap_the_deciles_and_fold_away_exactly() -> None:
    for s in db.HAZE_SIGNALS:
        lo, hi = db.HAZE_TAILS[s]
        assert db.edges(s) == (lo, *db.HAZE_DECILES[s], hi)
        values = [lo - 1, lo, (lo + db.HAZE_DECILES[s][0]) / 2, db.HAZE_DECILES[s][4], hi, hi + 1]
        # binning with the decile edges only (an older build) gives the folded histogram
        assert db.deciles(db.histogram(values, db.edges(s))) == db.histogram(
            values, db.HAZE_DECILES[s]
        )
    assert db.deciles([1] * 10) == [1] * 10  # already in the deciles layout
    with pytest.raises(ValueError, match="not a haze histogram"):
        db.deciles([1] * 11)


def test_check_counts_names_the_problem() -> None:
    assert db.check_counts("sd", [0] * 9) is None
    assert "unknown signal 'x'" in str(db.check_counts("x", [1]))
    assert "3 counts, need 12 (or 10, deciles only)" in str(
        db.check_counts("edge_density", [1, 2, 3])
    )
    assert db.check_counts("edge_density", [1] * 10) is None  # an older agent's deciles
    assert "9 counts, need 10" in str(db.check_counts("pm25", [1] * 9))  # only haze has two
    assert "integers" in str(db.check_counts("flags", [1, -1, 0, 0, 0, 0, 0, 0]))
    assert "integers" in str(db.check_counts("flags", [1.5, 0, 0, 0, 0, 0, 0, 0]))  # type: ignore[list-item]
    assert "integers" in str(db.check_counts("flags", [True, 0, 0, 0, 0, 0, 0, 0]))


def test_reference_round_trip_is_deterministic() -> None:
    counts = {"pm25": [3] * 10, "flags": [5] + [0] * 7, "airlight_blue_red": list(range(12))}
    data = db.reference_json("haze-cnn", 4, counts)
    assert data == db.reference_json("haze-cnn", 4, dict(reversed(counts.items())))
    got, problems = db.parse_reference(data, 4)
    assert got == counts and problems == []


def test_an_older_reference_with_the_deciles_only_is_still_read() -> None:
    """Releases built before the tail edges wrote 10 haze counts and the decile edges."""
    doc = json.loads(db.reference_json("m", 2, {"edge_density": [1] * 12}))
    doc["edges"]["edge_density"] = list(db.HAZE_DECILES["edge_density"])
    doc["counts"]["edge_density"] = [3] * 10
    got, problems = db.parse_reference(json.dumps(doc).encode(), 2)
    assert got == {"edge_density": [3] * 10} and problems == []
    doc["counts"]["edge_density"] = [3] * 12  # 12 counts but the deciles' edges: refused
    got, problems = db.parse_reference(json.dumps(doc).encode(), 2)
    assert got == {} and problems == [
        "signal 'edge_density': binned with other edges than this build's"
    ]


def test_reference_problems_keep_the_good_signals() -> None:
    doc = json.loads(db.reference_json("m", 2, {"pm25": [1] * 10, "sd": [1] * 9}))
    doc["edges"]["sd"][0] = 1.5  # binned by a build with other edges
    doc["counts"]["nope"] = [1]
    doc["counts"]["flags"] = [0] * 8
    got, problems = db.parse_reference(json.dumps(doc).encode(), 2)
    assert got == {"pm25": [1] * 10}
    assert problems == [
        "signal 'flags': all counts are zero",
        "unknown signal 'nope' (known: " + ", ".join(db.SIGNALS) + ")",
        "signal 'sd': binned with other edges than this build's",
    ]
    assert db.parse_reference(json.dumps(doc).encode(), 3)[1] == ["made for version 2, not 3"]
    assert db.parse_reference(b"{", 2)[1][0].startswith("not JSON")
    assert db.parse_reference(b"[]", 2)[1] == [
        "not a version 1 drift reference (needs v: 1 and counts)"
    ]


def test_the_wire_knows_the_same_haze_signals() -> None:
    assert get_args(HazeSignal) == db.HAZE_SIGNALS

"""Decoding what a subscriber received: seqs delivered raw, seqs covered by gap records."""

from __future__ import annotations

from collections.abc import Iterable

from pm25 import topics
from pm25.topics import Kind
from pm25.wire import ReadingBatch, decode
from tests.support.mqtt import Received


def batches(messages: Iterable[Received]) -> list[ReadingBatch]:
    return [
        decode(ReadingBatch, m.payload)
        for m in messages
        if topics.parse_topic(m.topic)[1] == Kind.READINGS
    ]


def raw_seqs(received: Iterable[ReadingBatch]) -> list[int]:
    """Every raw reading's seq, in arrival order (duplicates kept)."""
    return [r.seq for b in received for r in b.readings()]


def covered_seqs(received: Iterable[ReadingBatch]) -> set[int]:
    """Seqs accounted for by gap records (compacted into an aggregate, or lost)."""
    out: set[int] = set()
    for b in received:
        for g in b.gaps:
            if g.seq_from is not None and g.seq_to is not None:
                out.update(range(g.seq_from, g.seq_to + 1))
    return out

"""Pure rollout policy: cohorts by consistent hash, zone spread and budget, stage state machine."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from cloud_hub.errors import Conflict
from cloud_hub.rollouts.cohorts import (
    Selector,
    Stages,
    Target,
    ZoneBudget,
    assign_stages,
    hashed_stage,
    matches,
    next_wave,
    point,
    zone_cap,
)
from cloud_hub.rollouts.machine import FINAL, Position, apply

FRACTIONS = st.lists(
    st.floats(0.01, 0.99, allow_nan=False), min_size=0, max_size=4, unique=True
).map(lambda fs: (*sorted(fs), 1.0))
ZONES = st.sampled_from([None, "a", "b", "c", "d"])


@st.composite
def fleets(draw: st.DrawFn, max_size: int = 60) -> list[Target]:
    n = draw(st.integers(0, max_size))
    return [Target(f"cam-{i:03d}", draw(ZONES)) for i in range(n)]


def test_point_is_deterministic_and_in_unit_interval() -> None:
    ps = [point("r-1", f"cam-{i}") for i in range(2000)]
    assert ps == [point("r-1", f"cam-{i}") for i in range(2000)]
    assert all(0 <= p < 1 for p in ps)
    assert point("r-1", "cam-1") != point("r-2", "cam-1")  # each rollout reshuffles


def test_stage_fractions_match_the_hash_on_a_large_fleet() -> None:
    fleet = [Target(f"cam-{i}", None) for i in range(10_000)]
    stages = assign_stages("r-big", (0.05, 0.25, 1.0), fleet)
    first = sum(1 for s in stages.values() if s == 0) / len(fleet)
    upto_second = sum(1 for s in stages.values() if s <= 1) / len(fleet)
    assert 0.04 < first < 0.06
    assert 0.23 < upto_second < 0.27


@pytest.mark.parametrize(
    "bad", [(), (0.5,), (0.5, 0.2, 1.0), (0.0, 1.0), (0.3, 0.3, 1.0), (0.5, 1.5), (1.0, 1.0)]
)
def test_bad_stage_lists_are_refused(bad: tuple[float, ...]) -> None:
    with pytest.raises(ValidationError):
        Stages(fractions=bad)


@settings(max_examples=150, deadline=None)
@given(fleet=fleets(), fractions=FRACTIONS)
def test_cohorts_are_nested_and_the_last_stage_is_everyone(
    fleet: list[Target], fractions: tuple[float, ...]
) -> None:
    stages = assign_stages("r-x", fractions, fleet)
    assert set(stages) == {d.device_id for d in fleet}
    assert all(0 <= s < len(fractions) for s in stages.values())
    cohorts = [{i for i, s in stages.items() if s <= k} for k in range(len(fractions))]
    assert all(a <= b for a, b in itertools.pairwise(cohorts))
    assert cohorts[-1] == set(stages)


@settings(max_examples=150, deadline=None)
@given(fleet=fleets(), extra=st.integers(1, 30), fractions=FRACTIONS)
def test_adding_devices_in_new_zones_moves_nobody(
    fleet: list[Target], extra: int, fractions: tuple[float, ...]
) -> None:
    before = assign_stages("r-y", fractions, fleet)
    grown = fleet + [Target(f"new-{i}", f"new-zone-{i % 3}") for i in range(extra)]
    after = assign_stages("r-y", fractions, grown)
    assert {i: after[i] for i in before} == before


@settings(max_examples=200, deadline=None)
@given(fleet=fleets(), fractions=FRACTIONS)
def test_no_zone_enters_all_at_once_when_there_are_stages_to_spread_over(
    fleet: list[Target], fractions: tuple[float, ...]
) -> None:
    stages = assign_stages("r-z", fractions, fleet)
    for zone in {d.zone for d in fleet if d.zone is not None}:
        members = [d.device_id for d in fleet if d.zone == zone]
        if len(members) >= 2 and len(fractions) >= 2:
            assert len({stages[m] for m in members}) >= 2, zone
    # Everyone else keeps the stage the hash gave them; at most one camera per zone moved.
    hashed = {d.device_id: hashed_stage(fractions, point("r-z", d.device_id)) for d in fleet}
    moved = [d for d in fleet if stages[d.device_id] != hashed[d.device_id]]
    assert all(d.zone is not None for d in moved)
    assert len({d.zone for d in moved}) == len(moved)


@given(size=st.integers(1, 10_000), frac=st.floats(0.01, 1.0), most=st.integers(1, 500))
def test_zone_cap_never_takes_a_whole_zone(size: int, frac: float, most: int) -> None:
    cap = zone_cap(size, ZoneBudget(max_fraction=frac, max_devices=most))
    assert cap >= 1
    assert cap <= most
    assert cap <= max(1, math.floor(frac * size))
    if size > 1:
        assert cap < size


@settings(max_examples=150, deadline=None)
@given(fleet=fleets(), busy=st.dictionaries(st.sampled_from("abcd"), st.integers(0, 5)))
def test_next_wave_respects_the_zone_budget(fleet: list[Target], busy: dict[str, int]) -> None:
    budget = ZoneBudget(max_fraction=0.5, max_devices=3)
    sizes = {z: sum(1 for d in fleet if d.zone == z) + busy.get(z, 0) for z in "abcd"}
    order = {d.device_id: point("r-w", d.device_id) for d in fleet}
    chosen = next_wave(fleet, busy, sizes, budget, order)
    by_id = {d.device_id: d for d in fleet}
    for zone in "abcd":
        new = sum(1 for i in chosen if by_id[i].zone == zone)
        room = max(0, zone_cap(sizes[zone], budget) - busy.get(zone, 0))
        assert new == min(room, sum(1 for d in fleet if d.zone == zone))
    assert {d.device_id for d in fleet if d.zone is None} <= set(chosen)
    zoned = [i for i in chosen if by_id[i].zone == "a"]
    assert zoned == sorted(zoned, key=order.__getitem__)


def test_a_zone_of_two_updates_one_camera_at_a_time() -> None:
    fleet = [Target("cam-1", "corridor"), Target("cam-2", "corridor")]
    order = {"cam-1": 0.1, "cam-2": 0.2}
    budget = ZoneBudget(max_fraction=1.0, max_devices=100)
    assert next_wave(fleet, {}, {"corridor": 2}, budget, order) == ["cam-1"]
    assert next_wave(fleet[1:], {"corridor": 1}, {"corridor": 2}, budget, order) == []
    assert next_wave([Target("solo", "z")], {}, {"z": 1}, budget, {"solo": 0.5}) == ["solo"]


def test_selector() -> None:
    d = Target("cam-1", "north", ("street", "pilot"), "rpi4")
    assert matches(Selector(), d)
    assert matches(Selector(tags=("pilot",), zones=("north", "south")), d)
    assert not matches(Selector(tags=("pilot", "indoor")), d)
    assert not matches(Selector(zones=("south",)), d)
    assert matches(Selector(hardware_profiles=("rpi4", "jetson")), d)
    assert not matches(Selector(hardware_profiles=("jetson",)), d)
    assert not matches(Selector(zones=("north",)), Target("cam-2", None))


STATES = ["draft", "running", "paused", "completed", "aborted", "rolled_back"]
ACTIONS = ["start", "advance", "pause", "resume", "abort", "roll_back"]
EXPECTED = {
    ("draft", "start"): ("running", 0),
    ("draft", "abort"): ("aborted", 1),
    ("running", "advance"): ("running", 2),
    ("running", "pause"): ("paused", 1),
    ("running", "abort"): ("aborted", 1),
    ("running", "roll_back"): ("rolled_back", 1),
    ("paused", "resume"): ("running", 1),
    ("paused", "abort"): ("aborted", 1),
    ("paused", "roll_back"): ("rolled_back", 1),
}


@pytest.mark.parametrize(("state", "action"), list(itertools.product(STATES, ACTIONS)))
def test_state_machine_table(state: str, action: str) -> None:
    pos = Position(state, 1)  # type: ignore[arg-type]
    if (state, action) not in EXPECTED:
        with pytest.raises(Conflict):
            apply(pos, action, 3)  # type: ignore[arg-type]
        return
    after = apply(pos, action, 3)  # type: ignore[arg-type]
    assert (after.state, after.stage) == EXPECTED[(state, action)]


def test_advancing_the_last_stage_completes_and_final_states_stay_final() -> None:
    assert apply(Position("running", 2), "advance", 3) == Position("completed", 2)
    assert apply(Position("running", 0), "advance", 1) == Position("completed", 0)
    for state in FINAL:
        for action in ACTIONS:
            with pytest.raises(Conflict):
                apply(Position(state, 0), action, 3)  # type: ignore[arg-type]

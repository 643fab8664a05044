"""The parcel state is a projection of its scans: the same for every order of arrival, and it only moves forward."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xiaodian.logistics.domain import (AnomalyStatus, Event, ParcelState, advance, can_transition, normalise,
                                       project, Projection)

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
CODES = [None, 0, 1, 2, 3, 4, 5, 6, 7, 8, 14, 101, 102, 103, 1001, 1002, 501, 301, 401, 201, 202, 203, 204, 205]
TEXTS = ["已揽收", "到达【廊坊转运中心】", "快件正在派送中", "已签收，签收人：本人", "已放入菜鸟驿站，请及时取件",
         "派送不成功，电话无人接听", "客户拒收，退回中", "运输中"]

events = st.builds(lambda minutes, code, text: Event.of(T0 + timedelta(minutes=minutes), code, text),
                   st.integers(0, 60 * 24 * 10), st.sampled_from(CODES), st.sampled_from(TEXTS))


def fold(evs) -> Projection:
    p = Projection()
    for e in evs:
        p = advance(p, e)
    return p


def summary(p: Projection):
    return (p.state, p.state_since, p.picked_up, p.newest)


@settings(max_examples=300, deadline=None)
@given(st.lists(events, min_size=0, max_size=25), st.randoms(use_true_random=False))
def test_projection_is_the_same_for_every_order_of_arrival(evs, rnd):
    expected = summary(fold(sorted(evs)))
    shuffled = list(evs)
    rnd.shuffle(shuffled)
    assert summary(fold(shuffled)) == expected
    assert summary(fold(reversed(evs))) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(events, min_size=1, max_size=25), events)
def test_a_signed_parcel_stays_signed_whatever_older_scan_arrives_late(evs, late):
    signed = Event.of(max(e.at for e in evs) + timedelta(hours=1), 3, "已签收")
    before = project([*evs, signed])
    assert before.state is ParcelState.SIGNED
    older = Event(min(late.at, signed.at - timedelta(minutes=1)), late.rank, late.code, late.context, late.location,
                  late.state)
    assert project([*evs, signed, older]).state is ParcelState.SIGNED


@settings(max_examples=300, deadline=None)
@given(st.lists(events, min_size=1, max_size=25), events)
def test_the_main_line_never_moves_back_when_a_scan_is_added(evs, extra):
    from xiaodian.logistics.domain import RANK

    before, after = project(evs), project([*evs, extra])
    if before.state is not ParcelState.PROBLEM and after.state is not ParcelState.PROBLEM:
        assert RANK[after.state] >= RANK[before.state]


def test_a_late_transit_scan_does_not_take_a_delivering_parcel_back():
    out = Event.of(T0 + timedelta(hours=30), 5, "快件正在派送中")
    late = Event.of(T0 + timedelta(hours=10), 0, "到达【廊坊转运中心】")
    assert project([out, late]).state is ParcelState.DELIVERING


def test_no_scans_means_awaiting_pickup():
    assert project([]).state is ParcelState.PENDING and not project([]).picked_up


def test_problem_shows_while_it_is_the_newest_word_and_clears_when_the_parcel_moves():
    problem = Event.of(T0 + timedelta(hours=5), 2, "地址不详，疑难件")
    assert project([Event.of(T0, 1, "已揽收"), problem]).state is ParcelState.PROBLEM
    moving = Event.of(T0 + timedelta(hours=9), 0, "已发往杭州")
    assert project([Event.of(T0, 1, "已揽收"), problem, moving]).state is ParcelState.IN_TRANSIT


def test_transit_scans_after_a_refusal_are_the_trip_back():
    evs = [Event.of(T0, 1, "已揽收"), Event.of(T0 + timedelta(hours=40), 14, "客户拒签"),
           Event.of(T0 + timedelta(hours=50), 0, "到达【廊坊转运中心】")]
    assert project(evs).state is ParcelState.REFUSED


@pytest.mark.parametrize("code,text,state", [
    (0, "", ParcelState.IN_TRANSIT), (1, "", ParcelState.PICKED_UP), (2, "", ParcelState.PROBLEM),
    (3, "", ParcelState.SIGNED), (4, "", ParcelState.RETURNED), (5, "", ParcelState.DELIVERING),
    (6, "", ParcelState.RETURNING), (7, "", ParcelState.IN_TRANSIT), (8, "", ParcelState.IN_TRANSIT),
    (14, "", ParcelState.REFUSED), (102, "", ParcelState.PENDING), (103, "", ParcelState.PICKED_UP),
    (501, "", ParcelState.AT_LOCKER), (302, "", ParcelState.SIGNED), (203, "", ParcelState.REFUSED),
    (204, "", ParcelState.PROBLEM), (208, "", ParcelState.PROBLEM), (None, "已放入丰巢快递柜", ParcelState.AT_LOCKER),
    (None, "派送不成功，联系不上收件人", ParcelState.PROBLEM), (None, "【杭州市】已签收，签收人：门卫", ParcelState.SIGNED),
    (None, "到达【廊坊转运中心】", ParcelState.IN_TRANSIT),
])
def test_kuaidi100_state_codes_and_words_map_to_the_desk_states(code, text, state):
    assert normalise(code, text) is state


@pytest.mark.parametrize("current,target,ok", [
    (AnomalyStatus.OPEN, AnomalyStatus.CONTACTED_CARRIER, True),
    (AnomalyStatus.CONTACTED_CARRIER, AnomalyStatus.TOLD_BUYER, True),
    (AnomalyStatus.TOLD_BUYER, AnomalyStatus.RESOLVED, True),
    (AnomalyStatus.OPEN, AnomalyStatus.IGNORED, True),
    (AnomalyStatus.TOLD_BUYER, AnomalyStatus.CONTACTED_CARRIER, True),  # the buyer asked first, then the call
    (AnomalyStatus.CONTACTED_CARRIER, AnomalyStatus.CONTACTED_CARRIER, True),  # a follow-up call
    (AnomalyStatus.TOLD_BUYER, AnomalyStatus.TOLD_BUYER, True),
    (AnomalyStatus.RESOLVED, AnomalyStatus.CONTACTED_CARRIER, False),
    (AnomalyStatus.OPEN, AnomalyStatus.OPEN, False),
    (AnomalyStatus.RESOLVED, AnomalyStatus.OPEN, False),
    (AnomalyStatus.CONTACTED_CARRIER, AnomalyStatus.OPEN, False),
    (AnomalyStatus.IGNORED, AnomalyStatus.OPEN, True),
])
def test_anomaly_status_moves_only_along_the_playbook(current, target, ok):
    assert can_transition(current, target) is ok


def test_random_long_histories_agree_between_fold_and_projection():
    rng = random.Random(5)
    for _ in range(200):
        evs = [Event.of(T0 + timedelta(minutes=rng.randrange(20000)), rng.choice(CODES), rng.choice(TEXTS))
               for _ in range(rng.randrange(40))]
        rng.shuffle(evs)
        assert summary(fold(evs)) == summary(project(sorted(evs, reverse=True)))

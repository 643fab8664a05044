"""Sync window planning: pure rules, ``now`` passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from xiaodian.channels.douyin.windows import plan_windows, sync_start

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
H = timedelta(hours=1)


def test_first_sync_starts_the_configured_days_back():
    assert sync_start(None, NOW, overlap=10 * timedelta(minutes=1), first_sync=timedelta(days=7)) == NOW - timedelta(days=7)


def test_later_syncs_reread_the_overlap_before_the_cursor():
    assert sync_start(NOW - H, NOW, overlap=timedelta(minutes=10), first_sync=timedelta(days=7)) == (
        NOW - H - timedelta(minutes=10))


def test_an_explicit_since_wins():
    since = NOW - 30 * H
    assert sync_start(NOW - H, NOW, overlap=H, first_sync=H, since=since) == since


def test_windows_cover_the_range_without_gaps_and_none_is_wider_than_the_limit():
    windows = plan_windows(NOW - 50 * H, NOW, 24 * H)
    assert windows[0][0] == NOW - 50 * H and windows[-1][1] == NOW
    assert all(b - a <= 24 * H for a, b in windows)
    assert all(windows[i][1] == windows[i + 1][0] for i in range(len(windows) - 1))
    assert len(windows) == 3


def test_an_empty_range_has_no_windows():
    assert plan_windows(NOW, NOW, H) == [] and plan_windows(NOW, NOW - H, H) == []


def test_a_zero_width_is_refused():
    with pytest.raises(ValueError):
        plan_windows(NOW - H, NOW, timedelta(0))

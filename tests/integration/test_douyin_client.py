"""The Douyin client against the local fake Open Platform over real HTTP on 127.0.0.1: every request signed
over the exact bytes sent (both sign methods), token create/refresh before expiry and after a rejection,
back-off on throttling and 5xx, clear errors with sub_code/sub_msg."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from xiaodian.channels.douyin.client import DouyinClient, DouyinError, Token

from ..fakes.douyin import APP_KEY, APP_SECRET, SHOP_ID, FakeDouyin, platform_order

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.at = NOW

    def __call__(self):
        return self.at


@pytest.fixture
def fake():
    server = FakeDouyin(now=NOW)
    server.start()
    yield server
    server.stop()


def make_client(fake, clock=None, **kw) -> tuple[DouyinClient, list]:
    sleeps: list[float] = []
    kept: list[Token] = []
    client = DouyinClient(gateway=fake.url, app_key=APP_KEY, app_secret=kw.pop("secret", APP_SECRET),
                          shop_id=SHOP_ID, now=clock or Clock(), sleep=sleeps.append, on_token=kept.append, **kw)
    client.kept = kept
    return client, sleeps


@pytest.mark.parametrize("sign_method", ["hmac-sha256", "md5"])
def test_a_signed_call_creates_a_self_use_token_and_returns_data(fake, sign_method):
    fake.put_order(platform_order("4907538423936588900", create=NOW))
    client, _ = make_client(fake, sign_method=sign_method)
    data = client.call("order.orderDetail", {"shop_order_id": "4907538423936588900"})
    assert data["shop_order_detail"]["order_id"] == "4907538423936588900"
    assert [r["method"] for r in fake.requests] == ["token.create", "order.orderDetail"]
    assert all(r["signed_ok"] for r in fake.requests)
    assert fake.requests[0]["params"] == {"grant_type": "authorization_self", "shop_id": SHOP_ID}
    assert client.kept and client.kept[0].expires_at == NOW + timedelta(days=7)


def test_chinese_parameters_are_signed_over_the_utf8_bytes_sent(fake):
    client, _ = make_client(fake)
    client.call("order.searchList", {"page": 0, "size": 10, "update_time_start": 1, "update_time_end": 2,
                                     "product": "五常大米"})
    assert fake.requests[-1]["signed_ok"] and fake.requests[-1]["params"]["product"] == "五常大米"


def test_a_wrong_secret_gets_a_clear_error_with_sub_code_and_sub_msg(fake):
    client, sleeps = make_client(fake, secret="wrong")
    with pytest.raises(DouyinError) as err:
        client.call("order.orderDetail", {"shop_order_id": "1"})
    assert err.value.code == 40003 and err.value.sub_code == "isv.invalid-sign"
    assert "sign 校验失败" in str(err.value) and not err.value.retryable and sleeps == []


def test_a_business_error_is_raised_at_once_with_the_platform_message(fake):
    client, sleeps = make_client(fake)
    with pytest.raises(DouyinError) as err:
        client.call("order.orderDetail", {"shop_order_id": "404"})
    assert err.value.sub_code == "isv.order-not-exist" and err.value.sub_msg == "订单不存在"
    assert err.value.as_json()["code"] == 50002 and sleeps == []


def test_the_token_is_refreshed_before_it_expires(fake):
    clock = Clock()
    client, _ = make_client(fake, clock)
    client.call("order.searchList", {"page": 0, "size": 1, "update_time_start": 1, "update_time_end": 2})
    first = client.token.access_token
    clock.at = fake.now = NOW + timedelta(days=6, hours=20)  # 4 hours left: inside the refresh margin
    client.call("order.searchList", {"page": 0, "size": 1, "update_time_start": 1, "update_time_end": 2})
    assert [r["method"] for r in fake.requests].count("token.refresh") == 1
    assert client.token.access_token != first and first in fake.tokens
    assert len(client.kept) == 2


def test_a_token_the_platform_rejects_is_refreshed_once_and_the_call_repeated(fake):
    client, _ = make_client(fake)
    client.call("order.searchList", {"page": 0, "size": 1, "update_time_start": 1, "update_time_end": 2})
    fake.expire_tokens()  # the platform's view differs from ours (revoked, clock skew)
    data = client.call("order.searchList", {"page": 0, "size": 1, "update_time_start": 1, "update_time_end": 2})
    assert data["total"] == 0
    assert [r["method"] for r in fake.requests][-3:] == ["order.searchList", "token.refresh", "order.searchList"]


def test_a_stored_token_is_used_without_creating_a_new_one(fake):
    client, _ = make_client(fake)
    client.create_token()
    stored = client.token
    again, _ = make_client(fake, token=stored)
    again.call("order.searchList", {"page": 0, "size": 1, "update_time_start": 1, "update_time_end": 2})
    assert [r["method"] for r in fake.requests].count("token.create") == 1


@pytest.mark.parametrize("modes", [["code"], ["429"], ["503"], ["code", "503", "429"]])
def test_throttling_and_server_errors_are_retried_with_growing_back_off(fake, modes):
    client, sleeps = make_client(fake)
    client.create_token()
    fake.throttle = list(modes)
    data = client.call("order.searchList", {"page": 0, "size": 1, "update_time_start": 1, "update_time_end": 2})
    assert data["total"] == 0
    assert sleeps == [0.5 * 2 ** i for i in range(len(modes))]


def test_persistent_throttling_gives_up_with_a_retryable_error(fake):
    client, sleeps = make_client(fake, max_attempts=3)
    client.create_token()
    fake.throttle = ["code"] * 5
    with pytest.raises(DouyinError) as err:
        client.call("order.searchList", {"page": 0, "size": 1, "update_time_start": 1, "update_time_end": 2})
    assert err.value.retryable and err.value.code == 20000 and len(sleeps) == 2


def test_an_unreachable_gateway_is_a_retryable_network_error():
    client = DouyinClient(gateway="http://127.0.0.1:9", app_key="K", app_secret="S", shop_id="1", now=Clock(),
                          sleep=lambda s: None, max_attempts=2, timeout_seconds=1)
    with pytest.raises(DouyinError) as err:
        client.create_token()
    assert err.value.retryable and "network error" in err.value.msg


def test_the_fake_refuses_a_page_larger_than_100_and_a_window_wider_than_its_limit(fake):
    client, _ = make_client(fake)
    with pytest.raises(DouyinError) as err:
        client.call("order.searchList", {"page": 0, "size": 101, "update_time_start": 1, "update_time_end": 2})
    assert err.value.sub_code == "isv.invalid-param"
    with pytest.raises(DouyinError) as err:
        client.call("order.searchList", {"page": 0, "size": 100, "update_time_start": 0,
                                         "update_time_end": 8 * 86400})
    assert err.value.sub_code == "isv.invalid-time-range"

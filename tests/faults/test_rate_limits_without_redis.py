"""Rate limits without Redis: the counters live in a store under the instance folder that every
gunicorn worker of the machine shares, so a limit holds whichever worker serves a request (the
control, where each worker counts alone, is in test_redis.py)."""

import pytest

from tests.faults.conftest import failed_sign_ins

pytestmark = pytest.mark.faults


def test_the_eleventh_failed_sign_in_within_a_minute_is_refused_by_every_worker(start_server, engine):
    # (engine: the failed sign-ins leave throttle rows, which the shared clean-up then removes)
    server = start_server(workers=2, RATELIMIT_LOGIN="10 per minute")
    first, second = server.wait_for_workers(2)

    ten = failed_sign_ins(server, [first, second] * 5)
    assert [status for _, status in ten] == [400] * 10

    # The eleventh served by one worker, the twelfth by the other: both are past the shared ten.
    assert failed_sign_ins(server, [first]) == [(first, 429)]
    assert failed_sign_ins(server, [second]) == [(second, 429)]
    assert (server.instance / "rate-limits" / "cache.db").is_file()

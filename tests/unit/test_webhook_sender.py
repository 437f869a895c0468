"""One webhook request: how it is signed, and what counts as delivered."""

import hashlib
import hmac

import pytest

from app import webhook_sender
from app.webhook_sender import Job
from tests.receiver import Answer, Receiver, closed_port_url, signature_is_valid

SECRET = "a" * 64
BODY = '{"data": {}, "event": "thread.created", "id": "d-1"}'


@pytest.fixture
def receivers():
    made = []

    def make(*answers, delay=0.0):
        receiver = Receiver(answers, delay=delay)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.close()


def job(url: str) -> Job:
    return Job(id=1, url=url, secret=SECRET, event="thread.created", delivery_id="d-1", payload=BODY)


def test_the_signature_is_an_hmac_of_the_timestamp_and_the_body():
    expected = hmac.new(SECRET.encode(), f"1700000000.{BODY}".encode(), hashlib.sha256).hexdigest()
    assert webhook_sender.sign(SECRET, 1700000000, BODY) == expected

    headers = webhook_sender.signed_headers(SECRET, "post.created", "d-9", BODY, 1700000000)
    assert headers["Hearth-Signature"] == f"t=1700000000,v1={expected}"
    assert headers["Hearth-Timestamp"] == "1700000000"
    assert (headers["Hearth-Event"], headers["Hearth-Delivery"]) == ("post.created", "d-9")
    assert headers["Content-Type"] == "application/json"


def test_a_2xx_answer_is_a_success(receivers):
    receiver = receivers(Answer(204, ""))

    outcome = webhook_sender.send(job(receiver.url), timeout=5)

    assert outcome.ok and outcome.status_code == 204 and outcome.error == ""
    assert outcome.duration_ms >= 0
    [received] = receiver.requests
    assert received.body == BODY
    assert received.path == "/hooks/hearth"
    assert signature_is_valid(SECRET, received)
    assert received.headers["Hearth-Delivery"] == "d-1"


@pytest.mark.parametrize("status", [301, 302, 400, 404, 410, 500, 503])
def test_any_other_answer_is_a_failure_with_its_status_and_excerpt(receivers, status):
    answer = Answer(status, "é" + "x" * 900, headers={"Location": "https://elsewhere.example.com/"})
    receiver = receivers(answer)

    outcome = webhook_sender.send(job(receiver.url), timeout=5)

    assert not outcome.ok
    assert outcome.status_code == status
    assert outcome.excerpt == ("é" + "x" * 900)[:500]
    assert str(status) in outcome.error
    assert len(receiver.requests) == 1  # a redirect is not followed


def test_a_receiver_that_does_not_answer_in_time_is_a_failure(receivers):
    receiver = receivers(delay=1.0)

    outcome = webhook_sender.send(job(receiver.url), timeout=0.2)

    assert not outcome.ok and outcome.status_code is None
    assert "No response within 0.2 s" in outcome.error
    assert 150 <= outcome.duration_ms < 1000


def test_a_receiver_that_is_down_is_a_failure():
    outcome = webhook_sender.send(job(closed_port_url()), timeout=2)

    assert not outcome.ok and outcome.status_code is None
    assert outcome.error.startswith("Could not connect")
    assert outcome.excerpt == ""

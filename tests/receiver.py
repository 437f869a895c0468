"""A real HTTP server on 127.0.0.1 that records the webhook requests it receives."""

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: Message  # looked up without regard to case, as HTTP headers are
    body: str
    # What `Receiver.on_request` returned while this request was being answered.
    seen: object = None

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that gave up waiting (a timeout test) is expected, not news


class Receiver:
    """Answers each request with the next of `answers` (a status, or an Answer), then 200."""

    def __init__(self, answers=(), delay: float = 0.0, on_request: Callable[[Received], object] | None = None):
        self.answers = [a if isinstance(a, Answer) else Answer(a) for a in answers]
        self.delay = delay
        self.on_request = on_request
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, name="test-receiver", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hooks/hearth"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                received = Received(self.path, self.headers, body)
                if receiver.on_request is not None:
                    received.seen = receiver.on_request(received)
                with receiver._lock:
                    receiver.requests.append(received)
                    answer = receiver.answers.pop(0) if receiver.answers else Answer()
                if receiver.delay:
                    time.sleep(receiver.delay)
                payload = answer.body.encode()
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format, *args):
                pass

        return Handler

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The requests once there are `count` of them (for senders in another thread)."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.requests)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def closed_port_url() -> str:
    """An address where nothing listens: the port was just free and is closed again."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks/hearth"


def signature_is_valid(secret: str, received: Received) -> bool:
    """Check Hearth-Signature the way a receiver would: HMAC-SHA256 of "<timestamp>.<body>"."""
    parts = dict(part.split("=", 1) for part in received.headers["Hearth-Signature"].split(","))
    if parts.get("t") != received.headers["Hearth-Timestamp"]:
        return False
    expected = hmac.new(secret.encode(), f"{parts['t']}.{received.body}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))

"""The fixture server: fixed pages on 127.0.0.1, for the demo and for tests.

Pages are keyed by path and query (``/moc/reviews?page=2``). A path may be given a sequence of
responses, served in order with the last one repeating, which is how a test scripts "500, then
success". Every request is recorded (with the host it was addressed to), so a test can assert what
a crawl did and did not fetch.

A page can also misbehave the way real servers do (the fault-injection tests): answer late
(``delay``), reset the connection partway through the body (``reset_after``), or stream a body of
any size without holding it in memory (``stream_bytes``).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

DEFAULT_ROBOTS = "User-agent: *\nDisallow: /private/\n"


@dataclass(frozen=True)
class Page:
    body: bytes | str
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Seconds to wait before answering (a slow or hanging site).
    delay: float = 0.0
    #: Close the connection after sending this many bytes of the body (a reset mid-body).
    reset_after: int | None = None
    #: Instead of ``body``, stream this many bytes of filler (a huge page).
    stream_bytes: int | None = None

    def payload(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else self.body


class FixtureServer:
    """A threaded HTTP server on 127.0.0.1 serving :class:`Page` objects.

    >>> with FixtureServer({"/": Page("<p>hi</p>")}) as server:  # doctest: +SKIP
    ...     urlopen(server.url + "/").read()
    """

    def __init__(
        self,
        pages: Mapping[str, Page | Iterable[Page]] | None = None,
        *,
        port: int = 0,
        robots: str | None = DEFAULT_ROBOTS,
    ) -> None:
        self._lock = threading.Lock()
        self._pages: dict[str, list[Page]] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path with query)
        self.hosts: list[str] = []  # the Host header of each request
        self.user_agents: set[str] = set()
        if robots is not None:
            self.add("/robots.txt", Page(robots, content_type="text/plain"))
        for path, page in (pages or {}).items():
            self.add(path, page)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, path: str, page: Page | Iterable[Page]) -> None:
        """Serve ``page`` at ``path`` (replacing what was there); a sequence is served in order."""
        sequence = [page] if isinstance(page, Page) else list(page)
        if not sequence:
            raise ValueError(f"{path}: no page to serve")
        with self._lock:
            self._pages[path] = sequence

    def hits(self, path: str) -> int:
        """How many times ``path`` (with its query) was requested."""
        with self._lock:
            return sum(1 for _, requested in self.requests if requested == path)

    def _respond(self, method: str, path: str, user_agent: str, host: str = "") -> Page:
        with self._lock:
            self.requests.append((method, path))
            self.hosts.append(host)
            self.user_agents.add(user_agent)
            sequence = self._pages.get(path)
            if sequence is None:
                return Page("<h1>404 Not Found</h1>", status=404)
            return sequence.pop(0) if len(sequence) > 1 else sequence[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "LadderFixture/1"
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._serve(send_body=True)

            def do_HEAD(self) -> None:
                self._serve(send_body=False)

            def _serve(self, *, send_body: bool) -> None:
                try:
                    self._answer(send_body=send_body)
                except OSError:
                    self.close_connection = True  # the client gave up: nothing more to send

            def _answer(self, *, send_body: bool) -> None:
                page = server._respond(
                    self.command,
                    self.path,
                    self.headers.get("User-Agent", ""),
                    self.headers.get("Host", ""),
                )
                if page.delay:
                    time.sleep(page.delay)
                payload = b"" if page.stream_bytes is not None else page.payload()
                length = page.stream_bytes if page.stream_bytes is not None else len(payload)
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(length))
                for name, value in page.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if not send_body:
                    return
                if page.stream_bytes is not None:
                    self._stream(page.stream_bytes)
                elif page.reset_after is not None:
                    self.wfile.write(payload[: page.reset_after])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                else:
                    self.wfile.write(payload)

            def _stream(self, size: int) -> None:
                chunk = b"<p>" + b"x" * 65_530 + b"</p>"
                sent = 0
                while sent < size:
                    part = chunk[: size - sent]
                    self.wfile.write(part)
                    sent += len(part)

            def log_message(self, format: str, *args: object) -> None:
                pass  # requests are recorded in server.requests instead

        return Handler

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fixture-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

"""The real databases the log tests run on: SQLite always, PostgreSQL where it is running.

PostgreSQL is reached at COACH_TEST_POSTGRES_URL (default: this machine's service,
trust auth, database `test`). Each test gets a database of its own, dropped after.
Where PostgreSQL is not running the PostgreSQL cases are skipped, and fail under CI=true.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import uuid
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.services import unavailable

POSTGRES_URL = os.environ.get("COACH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_unavailable() -> str | None:
    """None if PostgreSQL answers, else why the PostgreSQL tests are skipped."""
    engine = create_engine(POSTGRES_URL, future=True, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return None
    except Exception as error:
        return f"PostgreSQL not reachable at {POSTGRES_URL} ({error.__class__.__name__}); set COACH_TEST_POSTGRES_URL"
    finally:
        engine.dispose()


@contextlib.contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A PostgreSQL database of its own (created through `admin_url`), dropped afterwards."""
    name = f"coach_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield str(make_url(admin_url).set(database=name))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fresh_postgres_database() -> Iterator[str]:
    reason = postgres_unavailable()
    if reason:
        unavailable(
            reason,
            "a PostgreSQL server with trust auth and a database `test` on 127.0.0.1:5432, or COACH_TEST_POSTGRES_URL",
        )
    with fresh_database(POSTGRES_URL) as url:
        yield url


class TcpProxy:
    """A TCP relay on 127.0.0.1 that can be cut and restored: a database outage on demand."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Refuse new connections and cut the open ones, as a crashed server would."""
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            self._listener.close()
            self._listener = None
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self._connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.close()


def through_proxy(url: str, proxy: TcpProxy) -> str:
    return str(make_url(url).set(host="127.0.0.1", port=proxy.port))

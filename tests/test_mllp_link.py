"""The MLLP sender (harness/wire/hl7v2/mllp.py): connections kept open between messages,
replaced when the listener closed them, and send_mllp's contract for everything else."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from kipu_harness.wire.hl7v2 import MllpLink
from kipu_harness.wire.hl7v2 import MllpServer, make_ack

MSG = "MSH|^~\\&|EMR|FAC|RCM|FAC|20260301120000||ADT^A04^ADT_A01|{id}|P|2.5.1\rPID|1||{id}"


def message(control_id: str) -> str:
    return MSG.format(id=control_id)


@pytest.fixture
def listener():
    received: list[str] = []

    def handler(text: str) -> str:
        received.append(text)
        return make_ack(text, "AA")

    server = MllpServer(handler).start()
    yield server, received
    server.stop()


def _idle_socket(link: MllpLink) -> socket.socket:
    assert link._idle.qsize() == 1
    return link._idle.queue[0]


def test_messages_share_one_connection(listener):
    server, received = listener
    link = MllpLink(*server.address)
    try:
        first = link.send(message("L1"), timeout=5)
        conn = _idle_socket(link)
        second = link.send(message("L2"), timeout=5)
        assert _idle_socket(link) is conn  # the same socket carried both
        assert "|AA|" in first and "L1" in first and "|AA|" in second and "L2" in second
        assert [t.split("|")[9] for t in received] == ["L1", "L2"]
    finally:
        link.close()


def test_a_connection_the_listener_closed_is_replaced():
    received: list[str] = []
    server = MllpServer(lambda text: received.append(text) or make_ack(text, "AA"), idle_timeout=0.2).start()
    link = MllpLink(*server.address)
    try:
        link.send(message("I1"), timeout=5)
        time.sleep(0.6)  # the listener closes the idle connection
        assert "|AA|" in link.send(message("I2"), timeout=5)
        assert len(received) == 2
    finally:
        link.close()
        server.stop()


def test_an_outage_is_unreachable_and_a_listener_back_on_the_port_is_reached(listener):
    server, received = listener
    host, port = server.address
    link = MllpLink(host, port)
    try:
        link.send(message("O1"), timeout=5)
        server.stop()
        with pytest.raises(ConnectionError):
            link.send(message("O2"), timeout=2, connect_timeout=1)
        again = MllpServer(lambda text: received.append(text) or make_ack(text, "AA"), host=host, port=port).start()
        try:
            assert "|AA|" in link.send(message("O3"), timeout=5)
        finally:
            again.stop()
        assert [t.split("|")[9] for t in received] == ["O1", "O3"]
    finally:
        link.close()


class _RawListener:
    """A listener whose connections behave as ``plan`` says, one entry per connection: how many
    frames it answers before it closes without answering ("close") or stops answering ("hang")."""

    def __init__(self, plan: list[tuple[int, str]]):
        self.plan = list(plan)
        self.frames: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.address = self.sock.getsockname()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.plan:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            answers, then = self.plan.pop(0)
            threading.Thread(target=self._serve, args=(conn, answers, then), daemon=True).start()

    def _serve(self, conn: socket.socket, answers: int, then: str) -> None:
        buffer = b""
        with conn:
            while True:
                while b"\x1c\r" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                frame, _, buffer = buffer.partition(b"\x1c\r")
                self.frames.append(frame)
                if answers == 0:
                    if then == "hang":
                        time.sleep(3)
                    return
                answers -= 1
                conn.sendall(b"\x0b" + make_ack(frame[1:].decode(), "AA").encode() + b"\x1c\r")

    def close(self) -> None:
        self.sock.close()


def test_a_reused_connection_closed_before_its_ack_sends_the_message_again_on_a_new_one():
    raw = _RawListener([(1, "close"), (5, "close")])
    link = MllpLink(*raw.address)
    try:
        link.send(message("R1"), timeout=5)
        ack = link.send(message("R2"), timeout=5)  # the first connection closes on R2 without an ACK
        assert "|AA|" in ack and "R2" in ack
        assert [f.decode().split("|")[9] for f in raw.frames] == ["R1", "R2", "R2"]  # the RCM knows R2 by its MSH-10
    finally:
        link.close()
        raw.close()


def test_no_ack_in_time_is_a_timeout_and_the_connection_is_not_kept():
    raw = _RawListener([(0, "hang"), (5, "close")])
    link = MllpLink(*raw.address)
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            link.send(message("H1"), timeout=0.5)
        assert time.monotonic() - started < 2
        assert link._idle.qsize() == 0
        assert "|AA|" in link.send(message("H2"), timeout=5)
    finally:
        link.close()
        raw.close()


def test_nothing_listening_is_a_connection_error():
    with socket.create_server(("127.0.0.1", 0)) as s:
        address = s.getsockname()
    with pytest.raises(ConnectionError):
        MllpLink(*address).send(message("N1"), timeout=1, connect_timeout=1)

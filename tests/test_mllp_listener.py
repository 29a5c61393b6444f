"""The RCM's MLLP listener, over raw sockets on loopback: one answer per frame, bytes outside a
frame, the size limit, and the idle and read timeouts (small ones here, so nothing waits long).

Every socket has a timeout; nothing sleeps: a test waits on the server's answer, on its closing
the connection, or on a condition (kipu_harness.waiting.eventually)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from kipu_harness.waiting import eventually
from kipu_harness.wire.hl7v2 import MllpServer, ack_code, make_ack, send_mllp

SB, EB = b"\x0b", b"\x1c\r"
BOUND = 5.0  # no socket in these tests waits longer than this


def message(control_id: str = "X1", extra: str = "") -> bytes:
    return (f"MSH|^~\\&|EMR|F|RCM|F|20240101120000||ADT^A01^ADT_A01|{control_id}|P|2.5.1\r"
            f"PID|1||1^^^KIPUEMR^PI||Lee^Ann{extra}").encode()


class Handler:
    """Acknowledges what it gets (AA) and keeps it; ``hold`` makes it wait until released."""

    def __init__(self):
        self.received: list[str] = []
        self.hold: threading.Event | None = None

    def __call__(self, text: str) -> str:
        self.received.append(text)
        if self.hold is not None:
            self.hold.wait(BOUND)
        return make_ack(text, "AA")


@pytest.fixture
def handler():
    return Handler()


@pytest.fixture
def listen(handler):
    servers = []

    def start(**limits) -> MllpServer:
        server = MllpServer(handler, **limits).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def connect(server: MllpServer) -> socket.socket:
    sock = socket.create_connection(server.address, timeout=BOUND)
    sock.settimeout(BOUND)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (bounded by the socket timeout)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def frames(data: bytes) -> list[str]:
    """The frames of an answer stream, as text; asserts nothing is left outside a frame."""
    out = []
    while data:
        assert data.startswith(SB), data
        end = data.index(EB)
        out.append(data[1:end].decode())
        data = data[end + 2:]
    return out


def read_frames(sock: socket.socket, count: int) -> list[str]:
    """The next ``count`` frames (two answers may come in one read: TCP keeps no write boundaries)."""
    data = b""
    while not (data.endswith(EB) and data.count(EB) >= count):
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection without answering"
        data += chunk
    texts = frames(data)
    assert len(texts) == count, texts
    return texts


def read_frame(sock: socket.socket) -> str:
    [text] = read_frames(sock, 1)
    return text


# -- one answer per frame ------------------------------------------------------------------

def test_two_frames_in_one_write_get_one_ack_each_in_order(listen, handler):
    server = listen()
    with connect(server) as sock:
        sock.sendall(SB + message("A1") + EB + b"\r\n" + SB + message("A2") + EB)
        acks = read_frames(sock, 2)
    assert [ack_code(a)[0] for a in acks] == ["AA", "AA"]
    assert ["|A1" in a for a in acks] == [True, False] and "|A2" in acks[1]
    assert len(handler.received) == 2


def test_an_fs_cr_inside_a_message_ends_the_frame_and_gets_one_ack_only(listen, handler):
    """MLLP: a frame ends at the first <FS><CR>. The rest of the message is outside any frame:
    it gets no second ACK; the connection is closed instead (the stream is out of step)."""
    server = listen()
    with connect(server) as sock:
        sock.sendall(SB + message("F1") + EB + b"DG1|1||F10.20^Alcohol^I10" + EB)
        answers = frames(read_all(sock))
    assert len(answers) == 1 and ack_code(answers[0])[0] == "AA"
    assert handler.received == [message("F1").decode()]


@pytest.mark.parametrize("sent,why", [
    (b"hello, is this HTTP?\r\n", "outside a frame"),
    (b"MSH|^~\\&|EMR|F|RCM|F|20240101||ADT^A01^ADT_A01|U1|P|2.5.1" + EB, "outside a frame"),
    (SB + message("V1") + SB + message("V2") + EB, "a <VT> inside a frame"),
    (SB + message("V3") + b"\x1cPV1|1" + EB, "an <FS> not followed by <CR>"),
])
def test_what_cannot_be_a_message_gets_one_ar_naming_the_problem_then_the_connection_closes(listen, handler, sent, why):
    server = listen()
    with connect(server) as sock:
        sock.sendall(sent)
        answers = frames(read_all(sock))
    assert len(answers) == 1
    code, reason = ack_code(answers[0])
    assert code == "AR" and reason.startswith("MLLP: ") and why in reason, reason
    assert handler.received == []


def test_bytes_outside_a_frame_after_a_frame_close_the_connection_without_an_answer(listen, handler):
    server = listen()
    with connect(server) as sock:
        sock.sendall(SB + message("B1") + EB)
        assert ack_code(read_frame(sock))[0] == "AA"
        sock.sendall(b"not a frame")
        assert read_all(sock) == b""
    assert len(handler.received) == 1


# -- the size limit -------------------------------------------------------------------------

def test_a_message_at_the_limit_is_handled_and_one_past_it_gets_an_ar_naming_the_limit(listen, handler):
    body = message("S1")
    server = listen(max_message=len(body))
    with connect(server) as sock:
        sock.sendall(SB + body + EB)
        assert ack_code(read_frame(sock))[0] == "AA"
    with connect(server) as sock:
        sock.sendall(SB + message("S2", "x") + EB)
        answers = frames(read_all(sock))
    [(code, reason)] = [ack_code(a) for a in answers]
    assert code == "AR" and f"over the limit of {len(body)} bytes" in reason
    assert "|S2" in answers[0]  # MSA-2 names the refused message
    assert len(handler.received) == 1


def test_a_message_past_the_limit_is_refused_before_it_ends(listen, handler):
    """The AR comes once the limit is passed, without waiting for a frame end that never comes."""
    server = listen(max_message=1000, read_timeout=BOUND * 2)
    with connect(server) as sock:
        sock.sendall(SB + message("S3") + b"|" + b"x" * 2000)  # no <FS><CR>
        answers = frames(read_all(sock))
    [(code, reason)] = [ack_code(a) for a in answers]
    assert code == "AR" and "over the limit of 1000 bytes" in reason


# -- timeouts -------------------------------------------------------------------------------

def test_an_idle_connection_is_closed_after_the_idle_timeout(listen):
    server = listen(idle_timeout=0.3)
    with connect(server) as sock:
        started = time.monotonic()
        assert read_all(sock) == b""
        assert 0.25 <= time.monotonic() - started < BOUND
    eventually(lambda: server.connections == 0, timeout=BOUND, what="the connection is gone")


def test_a_half_sent_message_gets_an_ar_after_the_read_timeout(listen, handler):
    server = listen(read_timeout=0.3)
    with connect(server) as sock:
        sock.sendall(SB + message("H1"))
        answers = frames(read_all(sock))
    [(code, reason)] = [ack_code(a) for a in answers]
    assert code == "AR" and "not finished within 0.3 s" in reason
    assert handler.received == []


def test_two_hundred_half_sent_connections_are_all_closed(listen):
    server = listen(read_timeout=0.5, idle_timeout=0.5, max_connections=300, linger=0.2)
    socks = [connect(server) for _ in range(200)]
    try:
        for i, sock in enumerate(socks):
            sock.sendall(SB + b"MSH|" if i % 2 else b"")  # half of them half-sent, half silent
        for sock in socks:
            read_all(sock)  # returns once the server closed it; raises after BOUND seconds
        eventually(lambda: server.connections == 0, timeout=BOUND, what="every connection closed")
    finally:
        for sock in socks:
            sock.close()


def test_connections_beyond_the_maximum_are_closed_at_once(listen):
    server = listen(max_connections=2)
    first, second = connect(server), connect(server)
    try:
        eventually(lambda: server.connections == 2, timeout=BOUND, what="two connections open")
        with connect(server) as third:
            try:
                assert third.recv(1) == b""
            except ConnectionResetError:
                pass  # an abort: as closed
        first.sendall(SB + message("M1") + EB)
        assert ack_code(read_frame(first))[0] == "AA"  # the open ones still work
    finally:
        first.close()
        second.close()


def test_a_slow_handler_does_not_hold_up_the_timeouts_of_other_connections(listen, handler):
    handler.hold = threading.Event()
    server = listen(idle_timeout=0.3)
    busy = connect(server)
    try:
        busy.sendall(SB + message("W1") + EB)
        eventually(lambda: handler.received, timeout=BOUND, what="the handler is busy")
        with connect(server) as idle:
            assert read_all(idle) == b""  # closed at its idle timeout while the handler waits
        handler.hold.set()
        assert ack_code(read_frame(busy))[0] == "AA"
    finally:
        handler.hold.set()
        busy.close()


def test_send_mllp_still_round_trips_and_limits_must_be_positive(listen, handler):
    server = listen()
    ack = send_mllp(*server.address, message("R1").decode(), timeout=BOUND)
    assert ack_code(ack) == ("AA", "")
    with pytest.raises(ValueError, match="read_timeout"):
        MllpServer(handler, read_timeout=0)

"""The port check of `make run`: TIME-WAIT and closed ports are free, a listener is not."""

import socket

import pytest

import demo.__main__ as demo_main
from demo.processes import free_port, port_is_free


def listener(port: int = 0) -> socket.socket:
    """Return a socket listening on 127.0.0.1, bound with SO_REUSEADDR like gunicorn."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen()
    return sock


def leave_time_wait() -> int:
    """Serve one connection and close it from the server side, then stop listening.

    The side that closes first keeps the connection in TIME-WAIT, so the server's port
    has a TIME-WAIT socket afterwards, as after stopping `make run`.
    """
    server = listener()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()
    client.recv(1)  # reads the end of stream once the server side has closed
    client.close()
    server.close()
    return port


def test_time_wait_port_is_free():
    port = leave_time_wait()

    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))  # a bind without SO_REUSEADDR still fails here
    assert port_is_free(port) is True


def test_bound_and_closed_port_is_free():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    assert port_is_free(port) is True


def test_listening_port_is_busy():
    with listener() as sock:
        assert port_is_free(sock.getsockname()[1]) is False


def test_unused_port_is_free():
    assert port_is_free(free_port()) is True


def test_busy_port_fails_before_setup(monkeypatch, capsys):
    def setup_called(var_dir):
        raise AssertionError("the database setup ran before the port check")

    monkeypatch.setattr(demo_main, "_setup_django", setup_called)
    with listener() as sock:
        port = sock.getsockname()[1]

        code = demo_main.main(["run", "--port", str(port)])

    assert code == 2
    assert capsys.readouterr().out == (
        f"Port {port} is in use; stop what runs there or pass --port.\n"
    )

"""Connecting to a Ray cluster: start one on this machine ('auto') or join one at its address."""

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def connected(address: str, num_cpus: int | None = None) -> Iterator[None]:
    """A Ray session: 'auto' starts a local cluster on this machine; anything else is a cluster's address."""
    import ray

    started = address == "auto"
    if not started:
        check_reachable(address)
    if ray.is_initialized():  # a caller (a test, a notebook) already chose the cluster
        yield
        return
    ray.init(
        address="local" if started else address,
        num_cpus=num_cpus if started else None,
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.WARNING,
    )
    try:
        yield
    finally:
        ray.shutdown()


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Raise ConnectionError when nothing listens at a 'host:port' or 'ray://host:port' address.

    Ray itself keeps retrying an address that does not answer for minutes; a typo should fail at once.
    """
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # not host:port (a cluster name Ray resolves itself): let Ray decide
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ConnectionError(f"nothing answers at {host}:{port} ({exc})") from exc

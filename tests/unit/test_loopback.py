"""`is_loopback`: the one check `sim` and `serve-ssh` use before binding an address."""

from __future__ import annotations

import pytest

from console.commands import serve_ssh, sim
from console.commands.common import is_loopback


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.8.9.10", "::1"])
def test_loopback_addresses(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.1", "192.168.1.5", "example.com",
                                  "localhost.example.com", ""])
def test_other_addresses(host):
    assert not is_loopback(host)


def test_both_servers_use_the_one_check():
    assert sim.is_loopback is is_loopback
    assert serve_ssh.is_loopback is is_loopback

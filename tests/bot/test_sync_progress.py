"""`uptake sync` draws a progress bar on a terminal only, and log lines print above it."""

from __future__ import annotations

import fcntl
import logging
import os
import struct
import sys
import termios
from collections.abc import Iterator

import pytest

from bot.cli.sources import progress_bars
from bot.logs import configure_logging


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    root.handlers[:], level = saved
    root.setLevel(level)


def read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the terminal's other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode()


def test_a_terminal_gets_a_bar_and_log_lines_above_it(
    root_logging: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    leader, follower = os.openpty()
    # A new pseudo-terminal is 0 columns wide; a real one has a size.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    with os.fdopen(follower, "w", encoding="utf-8") as terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        configure_logging("INFO")
        with progress_bars() as progress:
            assert progress is not None
            progress("copilot", 1, 3)
            logging.getLogger("uptake.sync").warning("no seat for ada@example.com")
            progress("copilot", 3, 3)
            progress("cursor", 1, 2)
        monkeypatch.undo()
    output = read_all(leader)
    os.close(leader)
    assert "copilot: 100%" in output and "3/3" in output and "cursor:" in output
    line = next(line for line in output.splitlines() if "no seat for" in line)
    assert line.rstrip().endswith("WARNING uptake.sync no seat for [email]")  # scrubbed
    assert "ada@example.com" not in output


def test_no_terminal_no_bar(root_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    with progress_bars() as progress:
        assert progress is None
        logging.getLogger("uptake.sync").info("pulled a day")
    assert capsys.readouterr().err.strip().endswith("INFO uptake.sync pulled a day")

"""The office's monitor runs for months: once it has verified the log, an outage of the
service is waited out round after round, while a verification failure still stops it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer

from ledger.cli import monitor as command
from ledger.monitor import LogMisbehaved, LogUnreachable, Round

VERIFIED = Round(size=8, root=b"\x00" * 32, new_entries=8, heads_checked=True,
                 cosignature=None, seconds=0.1)


class Scripted:
    """A monitor whose rounds answer, in turn, what ``script`` holds."""

    def __init__(self, script: list[Any]) -> None:
        self.rounds: Iterator[Any] = iter(script)
        self.progress: Any = None
        self.calls = 0

    def check_once(self) -> Round:
        self.calls += 1
        step = next(self.rounds)
        if isinstance(step, BaseException):
            raise step
        return step  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command.time, "sleep", lambda seconds: None)


def test_an_outage_after_a_verified_round_is_waited_out(
        capsys: pytest.CaptureFixture[str]) -> None:
    down = LogUnreachable("http://127.0.0.1:9 is unreachable: connection refused")
    scripted = Scripted([VERIFIED, down, down, VERIFIED, KeyboardInterrupt()])
    command._run(scripted, once=False, interval=30)  # type: ignore[arg-type]
    assert scripted.calls == 5
    said = capsys.readouterr()
    assert said.err.count("log unreachable, retrying in 30 s") == 2
    assert said.out.count("checkpoint 8 verified") == 2


def test_unreachable_before_anything_was_verified_is_one_line_and_exit_2() -> None:
    scripted = Scripted([LogUnreachable("http://127.0.0.1:9 is unreachable")])
    with pytest.raises(typer.Exit) as stopped:
        command._run(scripted, once=False, interval=30)  # type: ignore[arg-type]
    assert stopped.value.exit_code == 2


def test_a_failed_check_stops_the_monitor_even_after_good_rounds() -> None:
    failed = LogMisbehaved("signature", "the record's signature does not verify", leaf=5)
    scripted = Scripted([VERIFIED, failed])
    with pytest.raises(typer.Exit) as stopped:
        command._run(scripted, once=False, interval=30)  # type: ignore[arg-type]
    assert stopped.value.exit_code == 1


def test_with_once_an_outage_is_an_error() -> None:
    scripted = Scripted([LogUnreachable("http://127.0.0.1:9 is unreachable")])
    with pytest.raises(typer.Exit):
        command._run(scripted, once=True, interval=30)  # type: ignore[arg-type]

"""How far a long step has got, how fast it goes and when it should end.

The tools say only how much is done (MakeMKV's PRGV, ffmpeg's frames or output time), as
a fraction; speed and time left come from the clock, over the last half minute so that a
rip slowing down on a scratched layer shows in the estimate soon, not after the average
has caught up. Rips show MB/s (the title's size is known), transcodes times real time
(its duration is).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True)
class _Sample:
    at: float
    fraction: float


def step_label(step: str, title_index: int, position: tuple[int, int] | None = None) -> str:
    """``rip title 3 (2 of 5)``: the title's index on the disc, then its place in the run."""
    label = f"{step} title {title_index}"
    return f"{label} ({position[0]} of {position[1]})" if position else label


def clock_time(seconds: float) -> str:
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Timed fractions of one step; ``total`` is what the whole step amounts to, in bytes
    (speed in MB/s) or seconds of media (speed as a multiple of real time). Its time runs
    from its creation (a wait for the drive counts), its speed from the tool's first report."""

    def __init__(
        self,
        label: str,
        *,
        total: float,
        per_second: bool,
        clock: Clock = time.monotonic,
        window_s: float = 30.0,
    ) -> None:
        self.label = label
        self.total = total
        self.per_second = per_second
        self.clock = clock
        self.window_s = window_s
        self.started = clock()
        self.first: _Sample | None = None
        self.recent: deque[_Sample] = deque()

    @classmethod
    def of_bytes(cls, label: str, size_bytes: int, *, clock: Clock = time.monotonic) -> Progress:
        return cls(label, total=size_bytes, per_second=False, clock=clock)

    @classmethod
    def of_media(cls, label: str, duration_s: float, *, clock: Clock = time.monotonic) -> Progress:
        return cls(label, total=duration_s, per_second=True, clock=clock)

    @property
    def fraction(self) -> float:
        return self.recent[-1].fraction if self.recent else 0.0

    @property
    def percent(self) -> int:
        """Whole percent, rounded down: 100 only once the step is done."""
        return int(self.fraction * 100)

    def record(self, fraction: float) -> None:
        """A tool's report; a value below the last one (a tool restarting a count) is
        taken as no progress, so the bar never runs backwards."""
        sample = _Sample(self.clock(), max(self.fraction, min(1.0, fraction)))
        if self.first is None:
            self.first = sample
        self.recent.append(sample)
        # Keep one sample at or before the window's start, so the rate spans the window.
        while len(self.recent) > 2 and self.recent[1].at <= sample.at - self.window_s:
            self.recent.popleft()

    def rate(self) -> float | None:
        """Fraction per second over the recent window; None until two samples apart in time."""
        return _rate(self.recent[0], self.recent[-1]) if self.recent else None

    def speed(self) -> str | None:
        return self._speed(self.rate())

    def eta_s(self) -> float | None:
        rate = self.rate()
        if not rate:
            return None
        return (1.0 - self.fraction) / rate

    def describe(self) -> str:
        """One line for the log, the Prefect UI and the terminal bar."""
        if self.first is not None and self.fraction >= 1.0:
            last = self.recent[-1]
            average = self._speed(_rate(self.first, last))
            took = f"done in {clock_time(last.at - self.started)}"
            return f"{self.label}: {took}, {average}" if average else f"{self.label}: {took}"
        parts = [f"{self.percent}%"]
        speed = self.speed()
        if speed:
            parts.append(speed)
        eta = self.eta_s()
        if eta is not None:
            parts.append(f"{clock_time(eta)} left")
        return f"{self.label}: {', '.join(parts)}"

    def _speed(self, rate: float | None) -> str | None:
        if rate is None or not self.total:
            return None
        amount = rate * self.total
        return f"{amount:.1f}x" if self.per_second else f"{amount / 1e6:.1f} MB/s"


def _rate(start: _Sample, end: _Sample) -> float | None:
    if end.at <= start.at:
        return None
    return (end.fraction - start.fraction) / (end.at - start.at)


class Throttle:
    """Whether a report is worth sending: the first, the last (done), and otherwise at most
    one every ``every_s`` and only after the work moved by ``step`` (a tool prints several
    lines a second; an API should not get them all)."""

    def __init__(
        self, every_s: float = 2.0, step: float = 0.01, clock: Clock = time.monotonic
    ) -> None:
        self.every_s = every_s
        self.step = step
        self.clock = clock
        self.sent: _Sample | None = None

    def due(self, fraction: float) -> bool:
        now = self.clock()
        last = self.sent
        send = (
            last is None
            or (fraction >= 1.0 > last.fraction)
            or (now - last.at >= self.every_s and fraction - last.fraction >= self.step)
        )
        if send:
            self.sent = _Sample(now, fraction)
        return send

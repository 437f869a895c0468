"""The tone-over-time chart: one 100% stacked bar per week, drawn as inline SVG on the server."""

from dataclasses import dataclass

from community.tone import TONES
from community.tone_report import WeekTone

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 34


@dataclass
class Segment:
    tone: str
    y: float
    height: float
    share: float
    count: int


@dataclass
class Bar:
    label: str
    x: float
    width: float
    center: float
    posts: int
    segments: list[Segment]


@dataclass
class StackedChart:
    bars: list[Bar]
    gridlines: list[tuple[float, str]]  # (y, "50%")
    show_every: int  # label every n-th week so labels do not overlap
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM


def tone_chart(weeks: list[WeekTone]) -> StackedChart | None:
    """Bars from the bottom: positive, neutral, negative; a week with no posts has no bar."""
    if not weeks:
        return None
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / len(weeks)
    bar_width = max(2.0, slot * 0.7)
    bars = []
    for i, week in enumerate(weeks):
        x = LEFT + i * slot + (slot - bar_width) / 2
        segments, bottom = [], float(HEIGHT - BOTTOM)
        for tone in reversed(TONES):  # positive first, at the bottom
            share = week.counts.share(tone)
            height = plot_height * share
            if height > 0:
                segments.append(Segment(tone, round(bottom - height, 1), round(height, 1), share, getattr(week.counts, tone)))
            bottom -= height
        bars.append(Bar(week.label, round(x, 1), round(bar_width, 1), round(x + bar_width / 2, 1), week.counts.total, segments))
    gridlines = [(round(TOP + plot_height * (1 - f), 1), f"{int(f * 100)}%") for f in (0, 0.25, 0.5, 0.75, 1)]
    return StackedChart(bars, gridlines, show_every=max(1, -(-len(weeks) // 12)))

"""A reputation-over-time line chart drawn as inline SVG on the server: no script, no CDN."""

from dataclasses import dataclass
from datetime import date, timedelta

WIDTH, HEIGHT, PAD = 640, 160, 28


@dataclass
class LineChart:
    points: str  # the SVG polyline "x,y x,y ..."
    area: str  # the same line closed along the bottom, for the shaded area
    first: str
    last: str
    low: int
    high: int
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD


def reputation_chart(series: list[tuple[str, int]], today: date, start_value: int = 1) -> LineChart | None:
    """x is time (days), y is reputation; the line is extended flat to today."""
    if not series:
        return None
    days = [(date.fromisoformat(str(day)[:10]), value) for day, value in series]
    first_day = days[0][0]
    if days[-1][0] < today:
        days.append((today, days[-1][1]))
    if len(days) == 1:
        first_day = first_day - timedelta(days=1)
        days.insert(0, (first_day, start_value))
    span = max(1, (days[-1][0] - first_day).days)
    low, high = min(start_value, *(v for _, v in days)), max(v for _, v in days)
    rise = max(1, high - low)

    def xy(day: date, value: int) -> str:
        x = PAD + (WIDTH - 2 * PAD) * (day - first_day).days / span
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * (value - low) / rise
        return f"{x:.1f},{y:.1f}"

    points = " ".join(xy(day, value) for day, value in days)
    bottom = HEIGHT - PAD
    area = f"{PAD:.1f},{bottom} {points} {WIDTH - PAD:.1f},{bottom}"
    return LineChart(points, area, first_day.isoformat(), days[-1][0].isoformat(), low, high)

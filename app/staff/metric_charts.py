"""Line and bar charts for the care metrics page, laid out on the server as inline SVG (no script)."""

import math
from dataclasses import dataclass, field

from app.staff.metric_tables import format_minutes

WIDTH = 520  # half the page: drawn about 1:1, so 13px text stays 13px
WIDE = 1040  # a chart across the whole page
MARK_POINTS_UP_TO = 26  # a line with fewer points shows each one
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 46  # room for tick labels and axis titles
BAR_LABEL_WIDTH, BAR_HEIGHT, BAR_GAP = 150, 20, 8
BAR_VALUE_ROOM = 90  # after the longest bar, for its value ("12 h 30 min")


def nice_step(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^k at or above value, so tick labels read well."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5):
        if value <= step * magnitude * (1 + 1e-9):
            return step * magnitude
    return 10 * magnitude


def nice_scale(high: float, whole: bool, ticks: int = 4) -> tuple[float, list[float]]:
    """The top of an axis from 0 and its tick values: about `ticks` round steps reaching `high`.

    `whole` keeps steps at 1 or more, for counts."""
    step = nice_step(high / ticks) if high > 0 else 1
    if whole:
        step = max(1, step)
    count = max(1, math.ceil(high / step - 1e-9))
    return step * count, [step * n for n in range(count + 1)]


@dataclass
class Tick:
    position: float
    label: str


@dataclass
class LineChart:
    title: str
    x_title: str
    y_title: str
    segments: list[str]  # SVG polyline points; a gap in the data starts a new segment
    dots: list[tuple[float, float]]  # points drawn as circles: lone ones, or all when there are few
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    width: int = WIDTH
    height: int = 240
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = 240 - BOTTOM


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def line_chart(
    title: str, x_title: str, y_title: str, points: list[tuple[str, float | None]], whole: bool = True,
    height: int = 240, width: int = WIDTH,
) -> LineChart:
    """x evenly spaced in the given order (labelled at the ends and the middle); None leaves a gap."""
    bottom, right = height - BOTTOM, width - RIGHT
    known = [value for _, value in points if value is not None]
    high, tick_values = nice_scale(max(known, default=0), whole)
    step = (right - LEFT) / max(1, len(points) - 1)

    def x(index: int) -> float:
        return LEFT + step * index if len(points) > 1 else (LEFT + right) / 2

    def y(value: float) -> float:
        return bottom - (bottom - TOP) * value / high

    segments, dots, run = [], [], []
    for index, (_, value) in enumerate(points + [("", None)]):
        if value is not None:
            run.append((x(index), y(value)))
            continue
        if len(run) > 1:
            segments.append(" ".join(f"{px:.1f},{py:.1f}" for px, py in run))
        elif run:
            dots.append(run[0])
        run = []
    if len(points) <= MARK_POINTS_UP_TO:
        dots = [(x(i), y(value)) for i, (_, value) in enumerate(points) if value is not None]
    shown = sorted({0, len(points) // 2, len(points) - 1}) if points else []
    x_ticks = [Tick(x(i), points[i][0]) for i in shown]
    y_ticks = [Tick(y(value), _number(value)) for value in tick_values]
    return LineChart(
        title, x_title, y_title, segments, dots, x_ticks, y_ticks, width=width, height=height, right=right, bottom=bottom
    )


@dataclass
class Bar:
    label: str
    value_label: str
    y: float
    length: float


@dataclass
class BarChart:
    title: str
    x_title: str
    bars: list[Bar] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    width: int = WIDTH
    height: int = 0
    left: int = BAR_LABEL_WIDTH
    right: int = WIDTH - BAR_VALUE_ROOM
    top: int = TOP
    bottom: int = 0
    bar_height: int = BAR_HEIGHT


def bar_chart(
    title: str, x_title: str, rows: list[tuple[str, float | None]], whole: bool = True, value_format=_number
) -> BarChart:
    """Horizontal bars, one per row, in the given order; a row without a value gets no bar and "–"."""
    known = [value for _, value in rows if value is not None]
    high, tick_values = nice_scale(max(known, default=0), whole)
    chart = BarChart(title, x_title)
    chart.bottom = TOP + len(rows) * (BAR_HEIGHT + BAR_GAP)
    chart.height = chart.bottom + BOTTOM
    span = chart.right - chart.left
    for index, (label, value) in enumerate(rows):
        short = label if len(label) <= 24 else label[:23] + "…"
        length = 0.0 if value is None else span * value / high
        shown = "–" if value is None else value_format(value)
        chart.bars.append(Bar(short, shown, TOP + index * (BAR_HEIGHT + BAR_GAP) + BAR_GAP / 2, length))
    chart.x_ticks = [Tick(chart.left + span * value / high, _number(value)) for value in tick_values]
    return chart


def _time_unit(values: list[float | None]) -> tuple[str, float]:
    """Minutes for short times, hours once the longest passes two hours: ticks stay round."""
    longest = max((v for v in values if v is not None), default=0)
    return ("hours", 60) if longest >= 120 else ("minutes", 1)


def _in_unit(values: list[float | None], divisor: float) -> list[float | None]:
    return [None if v is None else v / divisor for v in values]


def metrics_charts(metrics) -> dict:
    """Every chart of the care metrics page, keyed by name."""
    day_labels = [point.day.strftime("%d %b") for point in metrics.days]
    weekly = [week.median_first_response for week in metrics.weeks]
    week_unit, week_div = _time_unit(weekly)
    category_times = [row.median_first_response for row in metrics.categories]
    category_unit, category_div = _time_unit(category_times)
    return {
        "backlog": line_chart(
            "Unanswered threads at the end of each day", "Day (UTC)", "Threads",
            list(zip(day_labels, [point.backlog for point in metrics.days], strict=True)),
            height=220, width=WIDE,
        ),
        "volume": line_chart(
            "New questions per day", "Day (UTC)", "Questions",
            list(zip(day_labels, [point.new_questions for point in metrics.days], strict=True)),
        ),
        "weekly": line_chart(
            "Median first response per week", "Week the questions were asked", f"Median, {week_unit}",
            list(zip([w.label for w in metrics.weeks], _in_unit(weekly, week_div), strict=True)), whole=False,
        ),
        "category_volume": bar_chart(
            "Questions per category", "Questions", [(row.name, row.questions) for row in metrics.categories]
        ),
        "category_response": bar_chart(
            "Median first response per category", f"Median first response, {category_unit}",
            list(zip([row.name for row in metrics.categories], _in_unit(category_times, category_div), strict=True)),
            whole=False, value_format=lambda value: format_minutes(value * category_div),
        ),
    }

"""The simulated calendar: which days the history covers, how busy each day is, and how event times
are drawn.

Business rhythm is modelled as a *daily intensity*: 1.0 is an ordinary day; the 618 mid-year sale,
Double 11 and Double 12 are peaks, Chinese New Year is a dip and weekends are quieter for office work.
Events (orders, follow-ups, tickets ...) are drawn from that intensity with an inverse cumulative
distribution, for all customers at once (no per-customer loops). A customer who is drifting away has
a lower (or, for complaints, higher) intensity from the drift start until churn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

# Chinese New Year (Spring Festival) dates; years outside the table fall back to February 1st.
CHINESE_NEW_YEAR: dict[int, date] = {
    2015: date(2015, 2, 19), 2016: date(2016, 2, 8), 2017: date(2017, 1, 28), 2018: date(2018, 2, 16),
    2019: date(2019, 2, 5), 2020: date(2020, 1, 25), 2021: date(2021, 2, 12), 2022: date(2022, 2, 1),
    2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17),
    2027: date(2027, 2, 6), 2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3),
    2031: date(2031, 1, 23), 2032: date(2032, 2, 11), 2033: date(2033, 1, 31), 2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}

EPOCH = date(1970, 1, 1)
EXCEL_EPOCH_OFFSET = 25569  # Excel serial number of 1970-01-01
SECONDS_PER_DAY = 86400

# Share of events per hour of the day, by kind of activity.
HOURLY_PROFILES: dict[str, tuple[float, ...]] = {
    # online and offline purchases: office hours plus an evening peak
    "orders": (0.6, 0.3, 0.2, 0.1, 0.1, 0.2, 0.5, 1.0, 2.0, 4.5, 6.0, 6.0, 4.5, 5.0, 6.0, 6.0, 5.5, 4.5,
               3.0, 3.5, 4.5, 5.0, 4.0, 2.0),
    # sales follow-ups, surveys: office hours
    "office": (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 2.0, 8.0, 10.0, 9.0, 3.0, 5.0, 9.0, 10.0, 9.0, 7.0,
               2.5, 1.0, 0.8, 0.5, 0.2, 0.0),
    # service desk: long day, some evenings
    "service": (0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 1.0, 3.0, 7.0, 8.5, 8.0, 5.0, 6.5, 8.0, 8.0, 7.0, 6.0,
                4.0, 3.5, 3.0, 2.5, 1.5, 0.6),
}


def years_back(end: date, years: int) -> date:
    """The first day of a history of ``years`` years ending on ``end`` (inclusive)."""
    try:
        anniversary = end.replace(year=end.year - years)
    except ValueError:  # 29 February
        anniversary = end.replace(year=end.year - years, day=28)
    return anniversary + timedelta(days=1)


@dataclass(frozen=True)
class Timeline:
    """The days the history covers, ``start`` to ``end`` inclusive. Day 0 is ``start``; times are
    measured in (fractional) days from the start of day 0.

    ``calendar_end`` (default ``end``) is the last day the business rhythm is normalised over. It is
    set by :meth:`observed` when the exports stop before the simulated history does, so a day is as
    busy in the cut exports as in the full simulation."""

    start: date
    end: date
    calendar_end: date | None = None

    def observed(self, until: date) -> Timeline:
        """The same calendar, seen from ``until`` (``start`` <= until <= ``end``): the days up to it."""
        if not self.start <= until <= self.end:
            raise ValueError(f"the observation date {until} must lie in the history {self.start} .. {self.end}")
        return Timeline(self.start, until, self.calendar_end or self.end)

    @property
    def end_of_last_day_s(self) -> int:
        """Unix seconds of the last second of ``end`` (Beijing wall-clock time)."""
        return int(self.epoch_seconds(np.array([self.days - 1]), np.array([SECONDS_PER_DAY - 1]))[0])

    @property
    def days(self) -> int:
        """Number of days in the history."""
        return (self.end - self.start).days + 1

    @property
    def epoch_day0(self) -> int:
        """Days between 1970-01-01 and the first day."""
        return (self.start - EPOCH).days

    @property
    def calendar_years(self) -> list[int]:
        """Calendar years the history touches, oldest first."""
        return list(range(self.start.year, self.end.year + 1))

    def epoch_seconds(self, day: np.ndarray, second_of_day: np.ndarray) -> np.ndarray:
        """Unix seconds (no time zone: Beijing wall-clock time) of a day index and second of day."""
        return (day.astype(np.int64) + self.epoch_day0) * SECONDS_PER_DAY + second_of_day.astype(np.int64)

    def day_dates(self) -> list[date]:
        """All dates of the history (a short list: one entry per day)."""
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def intensity(self, profile: str) -> np.ndarray:
        """Relative busyness of every day (mean 1.0 over the calendar) for ``profile`` 'orders',
        'office' or 'service'."""
        calendar = Timeline(self.start, self.calendar_end or self.end)
        dates = calendar.day_dates()
        n = len(dates)
        weekday = np.array([d.weekday() for d in dates])
        month = np.array([d.month for d in dates])
        dom = np.array([d.day for d in dates])
        years = np.array([d.year for d in dates])
        value = np.ones(n)
        # Chinese New Year: a week before to ten days after, business slows down.
        cny_dist = np.full(n, 999)
        for year in sorted(set(years.tolist()) | {int(years.max()) + 1}):
            cny = CHINESE_NEW_YEAR.get(year, date(year, 2, 1))
            offset = (cny - self.start).days
            cny_dist = np.where(np.abs(np.arange(n) - offset) < np.abs(cny_dist), np.arange(n) - offset,
                                cny_dist)
        in_cny = (cny_dist >= -7) & (cny_dist <= 10)
        national_day = (month == 10) & (dom <= 7)
        if profile == "orders":
            value *= np.where(weekday == 5, 0.9, np.where(weekday == 6, 0.85, 1.0))
            value *= np.where((month == 6) & (dom <= 15), 1.5, 1.0)
            value *= np.where((month == 6) & (dom >= 16) & (dom <= 18), 3.0, 1.0)
            value *= np.where((month == 11) & (dom <= 10), 1.3, 1.0)
            value *= np.where((month == 11) & (dom == 11), 6.0, 1.0)
            value *= np.where((month == 11) & ((dom == 12) | (dom == 13)), 1.6, 1.0)
            value *= np.where((month == 12) & (dom == 12), 2.5, 1.0)
            value *= np.where(in_cny, 0.35, 1.0)
            value *= 1.0 + 0.08 * np.arange(n) / 365.0  # the business grows a little every year
        elif profile == "office":
            value *= np.where(weekday == 5, 0.2, np.where(weekday == 6, 0.08, 1.0))
            value *= np.where(in_cny, 0.15, 1.0)
            value *= np.where(national_day, 0.2, 1.0)
        elif profile == "service":
            value *= np.where(weekday >= 5, 0.6, 1.0)
            value *= np.where(in_cny, 0.5, 1.0)
            value *= np.where((month == 6) & (dom >= 19) & (dom <= 28), 1.6, 1.0)
            value *= np.where((month == 11) & (dom >= 12) & (dom <= 22), 1.9, 1.0)
        else:
            raise ValueError(f"unknown intensity profile {profile!r}")
        return (value / value.mean())[: self.days]

    def cumulative(self, profile: str) -> np.ndarray:
        """Running total of the intensity: entry k is the intensity of days 0..k-1 (length days + 1)."""
        return np.concatenate([[0.0], np.cumsum(self.intensity(profile))])


def _cum_at(cum: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Cumulative intensity at fractional day ``t`` (clipped to the history)."""
    days = cum.shape[0] - 1
    t = np.clip(t, 0.0, float(days))
    k = np.minimum(np.floor(t).astype(np.int64), days - 1)
    return cum[k] + (cum[k + 1] - cum[k]) * (t - k)


def _day_at(cum: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_cum_at`: the fractional day where the cumulative intensity reaches ``c``."""
    days = cum.shape[0] - 1
    k = np.clip(np.searchsorted(cum, c, side="right") - 1, 0, days - 1)
    return k + np.clip((c - cum[k]) / (cum[k + 1] - cum[k]), 0.0, 1.0 - 1e-9)


def expected_exposure(cum: np.ndarray, start: np.ndarray, drift: np.ndarray, stop: np.ndarray,
                      drift_factor: float) -> np.ndarray:
    """Intensity-weighted number of active days between ``start`` and ``stop``, where days after
    ``drift`` count ``drift_factor`` times. Multiply by a daily rate to get the expected event count."""
    start = np.minimum(start, stop)
    drift = np.clip(drift, start, stop)
    c_start, c_drift, c_stop = _cum_at(cum, start), _cum_at(cum, drift), _cum_at(cum, stop)
    return (c_drift - c_start) + drift_factor * (c_stop - c_drift)


def sample_event_days(
    rng: np.random.Generator,
    cum: np.ndarray,
    rate: np.ndarray,
    start: np.ndarray,
    drift: np.ndarray,
    stop: np.ndarray,
    drift_factor: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw events for many entities at once.

    Entity i is active from fractional day ``start[i]`` to ``stop[i]``, produces on average ``rate[i]``
    events per ordinary day, and from ``drift[i]`` on ``drift_factor`` times as many. Returns
    ``(entity index, fractional day)`` of every event, grouped by entity.
    """
    start = np.minimum(start, stop)
    drift = np.clip(drift, start, stop)
    c_start, c_drift, c_stop = _cum_at(cum, start), _cum_at(cum, drift), _cum_at(cum, stop)
    w_normal = c_drift - c_start
    w_drift = drift_factor * (c_stop - c_drift)
    total = w_normal + w_drift
    counts = rng.poisson(np.maximum(rate * total, 0.0))
    owner = np.repeat(np.arange(rate.shape[0], dtype=np.int64), counts)
    x = rng.random(owner.shape[0]) * total[owner]
    first = x < w_normal[owner]
    safe_factor = drift_factor if drift_factor > 0 else 1.0
    c = np.where(first, c_start[owner] + x, c_drift[owner] + (x - w_normal[owner]) / safe_factor)
    return owner, _day_at(cum, c)


def sample_timed_events(
    rng: np.random.Generator,
    timeline: Timeline,
    profile: str,
    rate: np.ndarray,
    start: np.ndarray,
    drift: np.ndarray,
    stop: np.ndarray,
    drift_factor: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw events as ``sample_event_days`` does, give each a time of day from the ``profile``'s hourly
    pattern, and return ``(entity index, epoch seconds, fractional day)`` in time order (ties by entity)."""
    owner, tday = sample_event_days(rng, timeline.cumulative(profile), rate, start, drift, stop, drift_factor)
    day = np.floor(tday).astype(np.int64)
    epoch = timeline.epoch_seconds(day, sample_second_of_day(rng, day.shape[0], profile))
    order = np.lexsort((owner, epoch))
    return owner[order], epoch[order], tday[order]


def sample_second_of_day(rng: np.random.Generator, n: int, profile: str) -> np.ndarray:
    """Seconds after midnight for ``n`` events, following the hourly profile."""
    weights = np.asarray(HOURLY_PROFILES[profile], dtype=np.float64)
    hours = rng.choice(24, size=n, p=weights / weights.sum())
    return hours.astype(np.int64) * 3600 + rng.integers(0, 3600, n)

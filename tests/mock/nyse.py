#!/usr/bin/python3
"""NYSE trading calendar (regular sessions, holidays, 13:00 early closes).

A small, stdlib-only, rule-based implementation written for the test suite:
the mock provider serves US stock bars on these sessions, and the test
oracle (tests/integration/expected.py) uses it as a second, independent
implementation that marketfs's C calendar is checked against. It follows
the rules of shared/research/market-peers.md section 4:

Full closures (observed on a weekday only):
  * New Year's Day, Jan 1: Sunday -> Monday Jan 2; Saturday -> NOT observed
    (the NYSE keeps Dec 31 open for year-end accounting).
  * Martin Luther King Jr. Day, 3rd Monday of January, from 1998.
  * Washington's Birthday (Presidents' Day), 3rd Monday of February.
  * Good Friday, two days before Western (Gregorian) Easter Sunday.
  * Memorial Day, last Monday of May.
  * Juneteenth, June 19, from 2022: Saturday -> Friday, Sunday -> Monday.
  * Independence Day, July 4: Saturday -> Friday, Sunday -> Monday.
  * Labor Day, 1st Monday of September.
  * Thanksgiving, 4th Thursday of November.
  * Christmas, Dec 25: Saturday -> Friday, Sunday -> Monday.
  * One-off closures (a list, not a rule): 1985-09-27 (Hurricane Gloria),
    1994-04-27 (Nixon), 2001-09-11..14, 2004-06-11 (Reagan), 2007-01-02
    (Ford), 2012-10-29..30 (Hurricane Sandy), 2018-12-05 (G. H. W. Bush),
    2025-01-09 (Carter).

Early closes at 13:00 New York (only on dates that are sessions):
  * July 3 before a Tuesday-Friday July 4 holiday: July 3 on a Monday,
    Tuesday or Thursday from 1995, on a Wednesday from 2013. Before 2013
    (from 1995) a Thursday July 4 made Friday July 5 the early close instead.
  * The day after Thanksgiving.
  * Christmas Eve, Dec 24, on a Monday-Thursday, from 1993.

Scope: the rules above are the modern ones. They are exact from 1998 (MLK)
on, and for sessions from 1985 (pre-1998 years simply have no MLK holiday);
older rules (Election Day closures to 1980, the 14:00 Christmas Eve and
day-after-Thanksgiving closes before 1993, pre-1971 Monday holidays) are
not modelled. A session opens at 09:30 New York; it closes at 16:00, or at
13:00 on an early close.

API (d is a datetime.date):
    is_session(d) -> bool
    session_close(d) -> datetime.time (16:00 or 13:00; ValueError if d is not a session)
    sessions(year) -> [date, ...]           all sessions of the year, ascending
    early_closes(year) -> [date, ...]       the 13:00 sessions of the year
    holidays(year) -> {date: name}          weekday closures (rule holidays and one-offs)
    first_session(start, end) -> date|None  first session in [start, end]
    next_session(d) / prev_session(d)       the session after / before d (exclusive)

`python3 nyse.py` runs a self-check against published NYSE calendars
(2023-2027 holidays, early closes and session counts) and prints the number
of sessions of each year 2000-2026.
"""

import functools
import sys
from datetime import date, time, timedelta

OPEN = time(9, 30)
CLOSE = time(16, 0)
EARLY_CLOSE = time(13, 0)
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)

ONE_OFF_CLOSURES = {
    date(1985, 9, 27): "Hurricane Gloria",
    date(1994, 4, 27): "National Day of Mourning (Richard Nixon)",
    date(2001, 9, 11): "September 11 attacks",
    date(2001, 9, 12): "September 11 attacks",
    date(2001, 9, 13): "September 11 attacks",
    date(2001, 9, 14): "September 11 attacks",
    date(2004, 6, 11): "National Day of Mourning (Ronald Reagan)",
    date(2007, 1, 2): "National Day of Mourning (Gerald Ford)",
    date(2012, 10, 29): "Hurricane Sandy",
    date(2012, 10, 30): "Hurricane Sandy",
    date(2018, 12, 5): "National Day of Mourning (George H. W. Bush)",
    date(2025, 1, 9): "National Day of Mourning (Jimmy Carter)",
}


def easter(year):
    """Western (Gregorian) Easter Sunday: the anonymous Gregorian algorithm
    (Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _nth_weekday(year, month, weekday, n):
    """The n-th (1-based) given weekday of the month."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year, month, weekday):
    nxt = date(year + month // 12, month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _sat_fri_sun_mon(d):
    """Saturday -> Friday, Sunday -> Monday."""
    if d.weekday() == SAT:
        return d - timedelta(days=1)
    if d.weekday() == SUN:
        return d + timedelta(days=1)
    return d


@functools.lru_cache(maxsize=None)
def _holidays(year):
    out = {}
    jan1 = date(year, 1, 1)
    if jan1.weekday() == SUN:
        out[jan1 + timedelta(days=1)] = "New Year's Day (observed)"
    elif jan1.weekday() != SAT:  # Saturday: not observed (Dec 31 stays open)
        out[jan1] = "New Year's Day"
    if year >= 1998:
        out[_nth_weekday(year, 1, MON, 3)] = "Martin Luther King Jr. Day"
    out[_nth_weekday(year, 2, MON, 3)] = "Washington's Birthday"
    out[easter(year) - timedelta(days=2)] = "Good Friday"
    out[_last_weekday(year, 5, MON)] = "Memorial Day"
    if year >= 2022:
        d = date(year, 6, 19)
        out[_sat_fri_sun_mon(d)] = "Juneteenth" + (" (observed)" if d.weekday() >= SAT else "")
    d = date(year, 7, 4)
    out[_sat_fri_sun_mon(d)] = "Independence Day" + (" (observed)" if d.weekday() >= SAT else "")
    out[_nth_weekday(year, 9, MON, 1)] = "Labor Day"
    out[_nth_weekday(year, 11, THU, 4)] = "Thanksgiving Day"
    d = date(year, 12, 25)
    out[_sat_fri_sun_mon(d)] = "Christmas Day" + (" (observed)" if d.weekday() >= SAT else "")
    for d, name in ONE_OFF_CLOSURES.items():
        if d.year == year:
            out[d] = name
    return dict(sorted(out.items()))


def holidays(year):
    """{date: name} of every weekday of the year on which the NYSE is closed
    (rule holidays on their observed date, and one-off closures)."""
    return dict(_holidays(year))


def is_session(d):
    """True if the NYSE holds a regular session on date d."""
    return d.weekday() < SAT and d not in _holidays(d.year)


@functools.lru_cache(maxsize=None)
def _early_closes(year):
    cands = []
    if year >= 1995:
        jul3 = date(year, 7, 3)
        if jul3.weekday() in (MON, TUE, THU) or (jul3.weekday() == WED and year >= 2013):
            cands.append(jul3)
        jul5 = date(year, 7, 5)
        if jul5.weekday() == FRI and year < 2013:  # July 4 on a Thursday
            cands.append(jul5)
    cands.append(_nth_weekday(year, 11, THU, 4) + timedelta(days=1))
    if year >= 1993:
        dec24 = date(year, 12, 24)
        if dec24.weekday() in (MON, TUE, WED, THU):
            cands.append(dec24)
    return tuple(sorted(d for d in cands if is_session(d)))


def early_closes(year):
    """The sessions of the year that close at 13:00 New York."""
    return list(_early_closes(year))


def session_close(d):
    """Closing time (New York wall clock) of session d: 16:00 or 13:00."""
    if not is_session(d):
        raise ValueError(f"{d.isoformat()} is not an NYSE session")
    return EARLY_CLOSE if d in _early_closes(d.year) else CLOSE


@functools.lru_cache(maxsize=None)
def _sessions(year):
    d, out = date(year, 1, 1), []
    while d.year == year:
        if is_session(d):
            out.append(d)
        d += timedelta(days=1)
    return tuple(out)


def sessions(year):
    """All session dates of the year, ascending."""
    return list(_sessions(year))


def first_session(start, end):
    """The first session in [start, end] (dates, inclusive), or None."""
    d = start
    while d <= end:
        if is_session(d):
            return d
        d += timedelta(days=1)
    return None


def next_session(d):
    """The first session strictly after d."""
    d += timedelta(days=1)
    while not is_session(d):
        d += timedelta(days=1)
    return d


def prev_session(d):
    """The last session strictly before d."""
    d -= timedelta(days=1)
    while not is_session(d):
        d -= timedelta(days=1)
    return d


# ------------------------------------------------------------------ self-check
_KNOWN_HOLIDAYS = {  # NYSE published holiday calendars
    2023: "01-02 01-16 02-20 04-07 05-29 06-19 07-04 09-04 11-23 12-25",
    2024: "01-01 01-15 02-19 03-29 05-27 06-19 07-04 09-02 11-28 12-25",
    2025: "01-01 01-09 01-20 02-17 04-18 05-26 06-19 07-04 09-01 11-27 12-25",
    2026: "01-01 01-19 02-16 04-03 05-25 06-19 07-03 09-07 11-26 12-25",
    2027: "01-01 01-18 02-15 03-26 05-31 06-18 07-05 09-06 11-25 12-24",
}
_KNOWN_EARLY = {
    2023: "07-03 11-24",  # Dec 24 was a Sunday
    2024: "07-03 11-29 12-24",
    2025: "07-03 11-28 12-24",
    2026: "11-27 12-24",  # July 3 is the observed holiday
    2027: "11-26",  # Dec 24 is the observed Christmas; July 3 a Saturday
}
_KNOWN_COUNTS = {2023: 250, 2024: 252, 2025: 250, 2026: 251}
# Published yearly session counts of earlier years (one-off closures in 2001,
# 2004, 2007, 2012 and 2018; 253 in 2008 and 2020).
_KNOWN_COUNTS.update(zip(range(2000, 2023), (252, 248, 252, 252, 252, 252, 251, 251, 253, 252, 252, 252,
                                              250, 252, 252, 252, 252, 251, 251, 252, 253, 252, 251)))


def _self_check():
    problems = []

    def expect(what, got, want):
        if got != want:
            problems.append(f"{what}: got {got!r}, want {want!r}")

    for y, text in _KNOWN_HOLIDAYS.items():
        expect(f"holidays {y}", [d.isoformat()[5:] for d in holidays(y)], text.split())
    for y, text in _KNOWN_EARLY.items():
        expect(f"early closes {y}", [d.isoformat()[5:] for d in early_closes(y)], text.split())
    for y, n in _KNOWN_COUNTS.items():
        expect(f"sessions {y}", len(sessions(y)), n)
    expect("easter", [easter(y).isoformat() for y in (2000, 2008, 2011, 2019, 2024, 2038)],
           ["2000-04-23", "2008-03-23", "2011-04-24", "2019-04-21", "2024-03-31", "2038-04-25"])
    # Rule edges.
    expect("Jan 1 on a Saturday not observed (2022)", is_session(date(2021, 12, 31)), True)
    expect("Jan 1 on a Sunday -> Monday (2017)", is_session(date(2017, 1, 2)), False)
    expect("no MLK day before 1998", is_session(date(1997, 1, 20)), True)
    expect("MLK day 1998", is_session(date(1998, 1, 19)), False)
    expect("no Juneteenth before 2022", is_session(date(2021, 6, 18)), True)
    expect("July 4 on a Saturday -> Friday (2020)", is_session(date(2020, 7, 3)), False)
    expect("July 5 2002 (pre-2013 Thursday July 4) closes 13:00", session_close(date(2002, 7, 5)), EARLY_CLOSE)
    expect("July 3 2002 (Wednesday, pre-2013) full day", session_close(date(2002, 7, 3)), CLOSE)
    expect("July 3 2013 (Wednesday) closes 13:00", session_close(date(2013, 7, 3)), EARLY_CLOSE)
    expect("July 5 2013 full day", session_close(date(2013, 7, 5)), CLOSE)
    expect("July 3 1995 (Monday) closes 13:00", session_close(date(1995, 7, 3)), EARLY_CLOSE)
    expect("no July or Dec 24 early close in 1991", early_closes(1991), [date(1991, 11, 29)])
    expect("Christmas Eve 2021 is the observed holiday", is_session(date(2021, 12, 24)), False)
    expect("2001-09-17 reopened", is_session(date(2001, 9, 17)), True)
    expect("2012-10-31 reopened", is_session(date(2012, 10, 31)), True)
    expect("sessions are weekdays", all(d.weekday() < SAT for y in range(1985, 2031) for d in sessions(y)), True)
    try:
        session_close(date(2024, 12, 25))
        problems.append("session_close of a holiday did not raise")
    except ValueError:
        pass
    return problems


def main():
    problems = _self_check()
    for p in problems:
        print("FAIL:", p)
    print(" ".join(f"{y}:{len(sessions(y))}" for y in range(2000, 2027)))
    print("nyse self-check:", "ok" if not problems else f"{len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

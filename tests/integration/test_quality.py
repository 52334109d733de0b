#!/usr/bin/python3
"""Data quality through the mount (issue: calendars, gap accounting,
quality score): a day the provider leaves out is reported in the sidecar as
exactly that day, `missing`; holidays are named as holidays; weekly bars
carry the first session's date; _metadata/quality_scores.json lists every
cached file with the score of its sidecar, and never asks a provider."""

import datetime
import json
import os
import sys

import harness
from harness import expected

sys.path.insert(0, os.path.join(harness.SRC, "tests", "mock"))
import dataset  # noqa: E402
import nyse  # noqa: E402


def iso_day(d):
    return d.strftime("%Y-%m-%dT00:00:00Z")


class QualityTest(harness.MarketfsTest):

    def null_days(self, symbol, year):
        return [b.date for b in dataset.yahoo_daily_truth(symbol, datetime.date(year, 1, 1),
                                                          datetime.date(year, 12, 31))
                if b.is_null]

    def test_omitted_day_is_reported_as_missing(self):
        omitted = datetime.date(2024, 3, 14)
        self.mock.fault("omit", provider="yahoo", count=-1, date=omitted.isoformat())
        m = self.mount()
        data = m.read("AAPL/1d/2024.csv.gz")
        self.assertCsvEqual(data, expected.expected_csv("yahoo", "AAPL", "1d", 2024,
                                                        omit=(omitted.isoformat(),)),
                            "AAPL/1d/2024 without 2024-03-14")
        dq = m.sidecar("AAPL/1d/2024.csv.gz")["data_quality"]
        sessions = nyse.sessions(2024)
        self.assertEqual(dq["calendar"], "NYSE")
        self.assertEqual(dq["expected_bars"], len(sessions))
        holes = sorted(self.null_days("AAPL", 2024) + [omitted])
        self.assertEqual(dq["present_bars"], len(sessions) - len(holes))
        self.assertEqual(dq["gaps"], len(holes))
        missing = [g for g in dq["gap_list"] if g["reason"] == "missing"]
        self.assertEqual([g["start"] for g in missing], [iso_day(d) for d in holes])
        self.assertIn({"start": "2024-03-14T00:00:00Z", "end": "2024-03-15T00:00:00Z",
                       "reason": "missing", "bars": 1}, missing)
        # the holidays of 2024 are named holidays, never missing
        holidays = sorted(g["start"] for g in dq["gap_list"] if g["reason"] == "holiday")
        self.assertEqual(holidays, [iso_day(d) for d in sorted(nyse.holidays(2024))])
        self.assertEqual(dq["gap_totals"]["missing"], len(holes))
        self.assertGreaterEqual(dq["gap_totals"]["weekend"], 52)
        # coverage enters the score: the same year without the hole scores higher
        self.mock.reset()
        m2 = self.mount(name="clean")
        clean = m2.sidecar("AAPL/1d/2024.csv.gz")["data_quality"]
        self.assertEqual(clean["gaps"], len(holes) - 1)
        self.assertLess(dq["score"], clean["score"])

    def test_weekly_bars_carry_the_first_session_date(self):
        m = self.mount()
        # 2024-01-01 (New Year) and 2024-01-15 (MLK) are Monday holidays
        data = m.read("AAPL/1w/2024.csv.gz")
        self.assertCsvEqual(data, expected.expected_csv("yahoo", "AAPL", "1w", 2024), "AAPL/1w/2024")
        text = harness.gunzip_text(data)
        self.assertIn("\n2024-01-02,", text)
        self.assertIn("\n2024-01-16,", text)
        data = m.read("AAPL/1M/2024.csv.gz")
        self.assertCsvEqual(data, expected.expected_csv("yahoo", "AAPL", "1M", 2024), "AAPL/1M/2024")
        self.assertIn("\n2024-09-03,", harness.gunzip_text(data))  # Sep 2 is Labor Day

    def test_crypto_outage_is_one_missing_stretch(self):
        m = self.mount()
        m.read("BTCUSDT/1h/2020.csv.gz")
        dq = m.sidecar("BTCUSDT/1h/2020.csv.gz")["data_quality"]
        self.assertEqual(dq["calendar"], "crypto")
        self.assertEqual(dq["gaps"], 1)
        self.assertEqual(dq["gap_list"], [{"start": "2020-11-30T06:00:00Z",
                                            "end": "2020-11-30T07:00:00Z",
                                            "reason": "missing", "bars": 1}])
        self.assertEqual(dq["expected_bars"], 366 * 24)
        self.assertEqual(dq["present_bars"], 366 * 24 - 1)

    def test_quality_scores_json(self):
        m = self.mount()
        self.assertIn("_metadata", os.listdir(m.mnt))
        self.assertEqual(sorted(os.listdir(m.path("_metadata"))),
                         ["metrics", "providers.json", "quality_scores.json", "status.json",
                          "symbols.json"])
        empty = json.loads(m.read("_metadata/quality_scores.json"))
        self.assertEqual(empty["files"], [])
        m.read("AAPL/1d/2024.csv.gz")
        m.read("BTCUSDT/1d/2023.csv.gz")
        self.mock.reset()
        path = m.path("_metadata/quality_scores.json")
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            raw = fh.read()
        self.assertEqual(size, len(raw), "fstat and read disagree")
        self.assertEqual(os.stat(path).st_size, len(raw))
        doc = json.loads(raw)
        paths = [f["path"] for f in doc["files"]]
        self.assertEqual(doc["count"], len(paths))
        # every cached data file, and only those
        cached = sorted(os.path.relpath(os.path.join(r, n), m.cache)
                        for r, _, ns in os.walk(m.cache) for n in ns
                        if n.endswith(".csv.gz") and not n.startswith("."))
        self.assertEqual(sorted(paths), cached)
        for f in doc["files"]:
            sc = m.sidecar(f["path"])
            self.assertEqual(f["score"], sc["data_quality"]["score"], f["path"])
            self.assertEqual(f["gaps"], sc["data_quality"]["gaps"], f["path"])
            self.assertEqual(f["rows"], sc["file_info"]["rows"], f["path"])
        self.assertEqual(self.mock.log(), [], "generating the file asked a provider")
        # the daemon restarted on the same cache still knows every score
        self.assertEqual(m.umount(), 0)
        m.start()
        again = json.loads(m.read("_metadata/quality_scores.json"))
        self.assertEqual([f["path"] for f in again["files"]], paths)
        # generated files are read-only too
        self.assertErrno(30, lambda: open(path, "w"), what="write to quality_scores.json")
        self.assertErrno(2, os.stat, m.path("_metadata/nope.json"), what="unknown generated file")


if __name__ == "__main__":
    harness.main()

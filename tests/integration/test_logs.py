#!/usr/bin/python3
"""Logs (-o log=FILE, -o log_format=text|json): in JSON mode every line of
the log file is one JSON object with time, level, pid and message, and the
end of each fetch (installed, provider failure, stale copy served, a
fundamentals snapshot) carries the event's fields; libfuse's own messages
come out in the same format; text mode keeps the familiar lines."""

import errno
import json
import os
import re
import subprocess
import time

import harness
from harness import parse_iso

CUR = harness.current_year()
BASE_KEYS = {"time", "level", "pid", "message"}
FETCH_KEYS = {"event", "symbol", "timeframe", "year", "provider", "duration_ms", "result"}
LEVELS = {"error", "warning", "notice", "info", "debug"}
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class LogsTest(harness.MarketfsTest):

    def json_records(self, path):
        """Every line of the file parsed; fails on the first line that is not
        one JSON object with the base keys."""
        with open(path, "rb") as fh:
            raw = fh.read()
        self.assertTrue(raw.endswith(b"\n"), f"{path}: the last record has no newline")
        out = []
        for n, line in enumerate(raw.split(b"\n")[:-1], 1):
            try:
                rec = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                self.fail(f"{path}:{n} is not one JSON object ({e}): {line[:300]!r}")
            self.assertIsInstance(rec, dict, f"{path}:{n}")
            self.assertLessEqual(BASE_KEYS, set(rec), f"{path}:{n}: {rec}")
            self.assertRegex(rec["time"], TIME_RE, f"{path}:{n}")
            self.assertIn(rec["level"], LEVELS, f"{path}:{n}")
            self.assertIsInstance(rec["pid"], int, f"{path}:{n}")
            out.append(rec)
        return out

    def assertFetchEvent(self, rec, provider=True):
        keys = FETCH_KEYS if provider else FETCH_KEYS - {"provider"}
        self.assertLessEqual(keys, set(rec), f"a fetch event without {keys - set(rec)}: {rec}")
        self.assertIsInstance(rec["year"], int, rec)
        self.assertIsInstance(rec["duration_ms"], int, rec)
        self.assertGreaterEqual(rec["duration_ms"], 0, rec)
        self.assertIn(rec["result"], ("ok", "error", "stale"), rec)

    def no_unexpected_errors(self, recs, allowed):
        for r in recs:
            if r["level"] == "error" and not re.search(allowed, r["message"]):
                self.fail(f"unexpected error-level record: {r}")

    # ------------------------------------------------------------ JSON mode
    def test_json_fetch_ok_and_provider_failure(self):
        m = self.mount(options=["log_format=json"])
        m.expect_error(r"(?i)yahoo.*500|500.*yahoo")
        data = m.read("AAPL/1d/2024.csv.gz")
        self.assertGreater(len(data), 100)
        m.read("BTCUSDT/1h/2024.csv.gz")
        self.mock.fault("500", provider="yahoo", count=-1)
        self.assertErrno(errno.EIO, m.read, "MSFT/1d/2024.csv.gz", what="provider down")
        self.mock.reset()
        self.assertEqual(m.umount(), 0)

        recs = self.json_records(m.log_path)
        self.no_unexpected_errors(recs, r"(?i)yahoo.*500|500.*yahoo")
        pids = {r["pid"] for r in recs}
        self.assertEqual(pids, {m.proc.pid}, "records of another process")
        fetches = [r for r in recs if r.get("event") == "fetch"]
        for r in fetches:
            self.assertFetchEvent(r)

        ok = [r for r in fetches if r["result"] == "ok" and r["symbol"] == "AAPL"
              and r["year"] == 2024]
        self.assertEqual(len(ok), 1, f"AAPL/1d/2024 installed {len(ok)} times: {fetches}")
        ok = ok[0]
        self.assertEqual((ok["timeframe"], ok["provider"], ok["level"]), ("1d", "yahoo", "info"))
        self.assertTrue(ok["message"].startswith("installed AAPL/1d/2024 ("), ok)
        sc = m.cached_sidecar("AAPL/1d/2024.csv.gz")
        self.assertEqual(ok["rows"], sc["file_info"]["rows"])
        self.assertEqual(ok["bytes"], len(data))
        self.assertEqual(ok["requests"], sc["fetch"]["requests"])
        self.assertEqual(ok["duration_ms"], sc["fetch"]["duration_ms"])
        # one Yahoo daily answer installs every year: each says so, with the same fetch
        years = {r["year"] for r in fetches if r["symbol"] == "AAPL" and r["result"] == "ok"}
        self.assertIn(CUR, years)

        btc = [r for r in fetches if r["symbol"] == "BTCUSDT" and r["result"] == "ok"]
        self.assertEqual([(r["timeframe"], r["year"], r["provider"]) for r in btc],
                         [("1h", 2024, "binance")])
        self.assertGreater(btc[0]["rows"], 0)

        err = [r for r in fetches if r["symbol"] == "MSFT"]
        self.assertTrue(err, "no fetch event for the failed MSFT read")
        for r in err:
            self.assertEqual((r["result"], r["provider"], r["timeframe"], r["year"]),
                             ("error", "yahoo", "1d", 2024), r)
            self.assertEqual(r["level"], "warning")
            self.assertEqual(r.get("error"), "server_error", r)
            self.assertIn("HTTP 500", r["message"])
            self.assertTrue(r["message"].startswith("MSFT/1d/2024: "), r)
            self.assertGreaterEqual(r["requests"], 1)
            self.assertNotIn("rows", r)
        # records without an event carry no fetch fields
        for r in recs:
            if "event" not in r:
                self.assertFalse(FETCH_KEYS & set(r), r)
        # what was logged before the log file opened (the mount notice) is JSON too
        mounted = [json.loads(l) for l in m.stderr_text().splitlines()
                   if "mounted at" in l]
        self.assertTrue(mounted and mounted[0]["level"] == "notice", m.stderr_text()[-500:])
        # ... and the log file has it as well, for whoever reads only the log
        in_log = [r for r in recs if r["message"].startswith("marketfs ")
                  and f"mounted at {m.mnt} (cache " in r["message"]]
        self.assertEqual(len(in_log), 1, [r["message"] for r in recs[:5]])
        self.assertEqual(in_log[0]["level"], "notice")

    def test_json_stale_copy_served(self):
        m = self.mount(config={"max_age": "2s"}, options=["log_format=json"])
        m.expect_error(r"(?i)yahoo.*500|500.*yahoo")
        rel = f"AAPL/1d/{CUR}.csv.gz"
        old = m.read(rel)
        stale_at = parse_iso(m.cached_sidecar(rel)["stale_after"])
        time.sleep(max(0, stale_at - time.time()) + 1.2)
        self.mock.fault("500", provider="yahoo", count=-1)
        self.assertEqual(m.read(rel), old, "the stale copy must be served")
        self.mock.reset()
        self.assertEqual(m.umount(), 0)
        recs = self.json_records(m.log_path)
        stale = [r for r in recs if r.get("event") == "fetch" and r["result"] == "stale"]
        self.assertEqual(len(stale), 1, f"stale events: {stale}")
        self.assertFetchEvent(stale[0], provider=False)
        self.assertEqual((stale[0]["symbol"], stale[0]["timeframe"], stale[0]["year"]),
                         ("AAPL", "1d", CUR))
        self.assertEqual(stale[0]["level"], "warning")
        self.assertIn("serving the stale copy", stale[0]["message"])
        errs = [r for r in recs if r.get("event") == "fetch" and r["result"] == "error"]
        self.assertTrue(errs and all(r["provider"] == "yahoo" for r in errs), errs)

    def test_json_fundamentals_event(self):
        m = self.mount(options=["log_format=json"], yahoo={"cookie_url": self.mock.url})
        with open(m.path("AAPL/fundamentals/combined.json")) as fh:
            self.assertEqual(json.load(fh)["symbol"], "AAPL")
        self.assertEqual(m.umount(), 0)
        recs = self.json_records(m.log_path)
        fund = [r for r in recs if r.get("event") == "fundamentals"]
        self.assertTrue(fund, "no fundamentals event")
        yahoo = [r for r in fund if r.get("provider") == "yahoo"]
        self.assertEqual(len(yahoo), 1, fund)
        r = yahoo[0]
        self.assertEqual((r["symbol"], r["result"], r["level"]), ("AAPL", "ok", "info"))
        self.assertIsInstance(r["duration_ms"], int)
        self.assertGreaterEqual(r["requests"], 1)
        self.assertNotIn("timeframe", r)
        self.assertNotIn("year", r)

    def test_json_libfuse_messages(self):
        """libfuse's own complaint (an unknown option) comes out as a JSON record."""
        m = self.mount(start=False, options=["log_format=json", "no_such_fuse_option"])
        r = subprocess.run(m.argv(), capture_output=True, text=True, timeout=20)
        self.assertNotEqual(r.returncode, 0)
        self.assertFalse(harness.in_mount_table(m.mnt))
        recs = [json.loads(l) for l in r.stderr.splitlines() if l.startswith("{")]
        fuse = [x for x in recs if x["message"].startswith("fuse: ")
                and "no_such_fuse_option" in x["message"]]
        self.assertTrue(fuse, f"libfuse's message is not a JSON record: {r.stderr!r}")
        self.assertEqual(fuse[0]["level"], "error")

    def test_bad_log_format_refused(self):
        m = self.mount(start=False, options=["log_format=xml"])
        r = subprocess.run(m.argv(), capture_output=True, text=True, timeout=20)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("log_format", r.stderr)
        self.assertIn("text or json", r.stderr)
        self.assertFalse(harness.in_mount_table(m.mnt))

    # ------------------------------------------------------------ text mode
    def test_text_mode_familiar_lines(self):
        for opts in ([], ["log_format=text"]):
            with self.subTest(options=opts):
                m = self.mount(options=opts)
                m.expect_error(r"(?i)yahoo.*500|500.*yahoo")
                m.read("AAPL/1d/2024.csv.gz")
                self.mock.fault("500", provider="yahoo", count=-1)
                self.assertErrno(errno.EIO, m.read, "MSFT/1d/2024.csv.gz")
                self.mock.reset()
                self.assertEqual(m.umount(), 0)
                with open(m.log_path) as fh:
                    lines = fh.read().splitlines()
                prefix = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z marketfs\[\d+\]: "
                for line in lines:
                    self.assertRegex(line, prefix + r"(error|warning|notice|info|debug): ")
                    self.assertNotIn('"event"', line)
                self.assertTrue([l for l in lines if re.search(
                    prefix + r"info: installed AAPL/1d/2024 \(\d+ rows, \d+ bytes, score "
                    r"[0-9.]+, from yahoo\)$", l)], "no 'installed' line")
                self.assertTrue([l for l in lines if re.search(
                    prefix + r"warning: MSFT/1d/2024: .*HTTP 500", l)], "no failure line")
                self.mock.reset()


if __name__ == "__main__":
    harness.main()

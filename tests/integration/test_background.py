#!/usr/bin/python3
"""The daemon's background work (docs/operations.md): the watch list, daily
maintenance and eviction, with nobody reading.

- The watch list backfills its current-year files at start and refreshes
  each one incrementally as it goes stale, with no reader; a reader then
  finds the file fresh (no request, a cache hit).
- A reader's fetch is not held up by a long, rate-limited backfill: it
  completes while watch work is still queued and in flight, and status.json
  shows the queue per priority and the in-flight fetches with their
  priority.
- Daily maintenance is recorded step by step in index.db (table
  `maintenance`) and, after a stop or a kill -9, resumes at the first
  step not completed: a completed step is not done again.
- Eviction keeps the cache under cache_max_size but never removes a file
  open right now or any year of a watched (symbol, timeframe), and an
  evicted year is simply downloaded again when it is next read.
- status.json's `scheduler` section describes the watch list and the next
  maintenance runs.

How "step 1 is not done again" is observed: step 1 (refresh) fetches the
class's recently read, non-final files that are stale. The tests read a
current-year file with `max_age = 2s` and no watch list, so the file is
stale again two seconds later and nothing but maintenance step 1 would ever
send a request for it (no reader, no watch refresh). A run that resumes
after step 1 must therefore send no request for it; the same setup with the
run set back to "begun" (step 0) does send one, which shows that the
observation can see a repeated step 1."""

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from datetime import datetime, timedelta, timezone
from datetime import time as dtime
from zoneinfo import ZoneInfo

import harness
from harness import expected, parse_iso

sys.path.insert(0, os.path.join(harness.SRC, "tests", "mock"))
import nyse  # noqa: E402

CUR = harness.current_year()
NY = ZoneInfo("America/New_York")
CTL = os.environ.get("MARKETFS_CTL") or os.path.join(os.path.dirname(harness.BIN), "marketfs-ctl")
MAINT_COLS = ("run", "class", "scheduled", "step", "started", "finished", "note")
STEP_NAMES = {1: "refresh", 2: "fundamentals", 3: "bulk", 4: "evict"}


# ---------------------------------------------------------------- helpers
def status(m):
    return json.loads(m.read("_metadata/status.json"))


def sleep_until(t):
    """Time has to pass for a file to go stale: there is nothing to poll."""
    left = t - time.time()
    if left > 0:
        time.sleep(left)


def data_requests(mock, symbol, interval=None, since=0):
    """Provider requests for bars of symbol (not Binance's limit=1 first-trade probe)."""
    return [r for r in mock.requests(symbol=symbol, interval=interval)
            if r["ts"] >= since and r["query"].get("limit") != "1"]


def binance_start_s(req):
    return int(req["query"].get("startTime", "0")) / 1000


def disk_use(cache):
    """{relative path: disk bytes} as eviction counts it: st_blocks * 512 of every
    regular file outside _metadata/, dot-files left out."""
    out = {}
    for root, dirs, names in os.walk(cache):
        rel_root = os.path.relpath(root, cache)
        if rel_root.split(os.sep)[0] == "_metadata":
            dirs[:] = []
            continue
        for n in names:
            if n.startswith("."):
                continue
            p = os.path.join(root, n)
            out[os.path.normpath(os.path.join(rel_root, n))] = os.lstat(p).st_blocks * 512
    return out


def year_pairs(cache):
    """The YEAR pairs on disk: {"SYM/TF/YEAR": set of kinds ("data", "sidecar")}."""
    pairs = {}
    for rel in disk_use(cache):
        m = re.fullmatch(r"(.+/.+)/(\d{4})\.(csv\.gz|metadata\.json)", rel)
        if m:
            pairs.setdefault(f"{m.group(1)}/{m.group(2)}", set()).add(
                "data" if m.group(3) == "csv.gz" else "sidecar")
    return pairs


def maint_row(m, run):
    """The maintenance row of run in the cache's index.db, as a dict (or None)."""
    with closing(sqlite3.connect(m.cache_path("_metadata/index.db"), timeout=10)) as con:
        r = con.execute(f"SELECT {', '.join(MAINT_COLS)} FROM maintenance WHERE run = ?",
                        (run,)).fetchone()
    return dict(zip(MAINT_COLS, r)) if r else None


def maint_update(m, sql, *args):
    """Edit index.db while the daemon is stopped (as a crash would have left it)."""
    assert not m.is_mounted(), "index.db is edited only while the daemon is stopped"
    with closing(sqlite3.connect(m.cache_path("_metadata/index.db"), timeout=10)) as con:
        con.execute(sql, args)
        con.commit()


def note_steps(note):
    """'1 refresh: ...\\n2 fundamentals: ...' -> [1, 2]; each line must name its step."""
    out = []
    for line in note.split("\n"):
        mm = re.match(r"(\d) (\w+): ", line)
        assert mm, f"maintenance note line {line!r} is not 'N step: ...'"
        assert STEP_NAMES.get(int(mm.group(1))) == mm.group(2), f"note line {line!r}"
        out.append(int(mm.group(1)))
    return out


def log_mark(m):
    """Where the daemon's stderr and log file end now (see log_since)."""
    return tuple(os.path.getsize(p) if os.path.exists(p) else 0
                 for p in (m.stderr_path, m.log_path))


def log_since(m, mark):
    """What the daemon wrote to its stderr and its log file after log_mark(m)."""
    out = []
    for p, off in zip((m.stderr_path, m.log_path), mark):
        try:
            with open(p, "rb") as fh:
                fh.seek(off)
                out.append(fh.read().decode("utf-8", "replace"))
        except OSError:
            pass
    return "\n".join(out)


def utc(t):
    return datetime.fromtimestamp(t, timezone.utc)


def crypto_runs(now):
    """(name of the most recent crypto run, UTC second it was due, next due) at 00:05 UTC."""
    d = utc(now)
    at = d.replace(hour=0, minute=5, second=0, microsecond=0)
    if at.timestamp() > now:
        at -= timedelta(days=1)
    return f"crypto/{(at - timedelta(days=1)).date()}", at.timestamp(), \
        (at + timedelta(days=1)).timestamp()


def stock_runs(now):
    """(name of the most recent stock run, its due time, the next due time): 17:00 New
    York on NYSE sessions (early closes included)."""
    today = utc(now).astimezone(NY).date()
    last = nxt = None
    for i in range(0, 21):
        d = today - timedelta(days=i)
        at = datetime.combine(d, dtime(17, 0), NY).timestamp()
        if nyse.is_session(d) and at <= now:
            last = (f"stock/{d}", at)
            break
    for i in range(0, 21):
        d = today + timedelta(days=i)
        at = datetime.combine(d, dtime(17, 0), NY).timestamp()
        if nyse.is_session(d) and at > now:
            nxt = at
            break
    return last[0], last[1], nxt


class BackgroundTest(harness.MarketfsTest):
    TIMEOUT = 90

    def skip_near_a_run(self, margin=150):
        """A run falling due in the middle of a test would change what is checked."""
        now = time.time()
        nxt = min(crypto_runs(now)[2], stock_runs(now)[2])
        if nxt - now < margin:
            self.skipTest(f"a maintenance run is due in {nxt - now:.0f} s")

    def wait_finished(self, m, cls, timeout=20, run=None):
        """Wait until status.json says the newest run of cls (run, if given) finished."""
        def done():
            c = status(m)["scheduler"]["maintenance"][cls]
            if c["last_finished"] and (run is None or c["last_run"] == run):
                return c
            return None
        return harness.wait_for(done, timeout, interval=0.1,
                                what=f"the {cls} maintenance run to finish")

    # ------------------------------------------------------------ 1. watch list
    def test_watch_list_backfills_and_refreshes_without_a_reader(self):
        m = self.mount(config={"watch": "BTCUSDT:1h", "max_age": "5s"})
        rel = f"BTCUSDT/1h/{CUR}.csv.gz"
        side = f"BTCUSDT/1h/{CUR}.metadata.json"
        # the backfill: the file appears in the cache without anyone reading
        harness.wait_for(lambda: os.path.exists(m.cache_path(side)), 20,
                         what=f"the backfill of {rel} (its sidecar in the cache)")
        m.wait_log(r"watch: backfill of 1 files done: 1 fetched, 0 failed", 10)
        sc1 = m.cached_sidecar(rel)
        first = data_requests(self.mock, "BTCUSDT", "1h")
        self.assertTrue(first, "no request for the backfill")
        self.assertEqual(binance_start_s(first[0]), harness.year_start(CUR),
                         "the backfill of an absent file starts at January 1")
        self.assertLessEqual(parse_iso(sc1["stale_after"]), parse_iso(sc1["last_updated"]) + 5,
                             "max_age = 5s: stale five seconds after the fetch")
        st = status(m)
        self.assertEqual((st["cache"]["hits"], st["cache"]["misses"]), (0, 0),
                         "nobody has read anything yet")

        # the refresh: an incremental request for it once it went stale, still no reader
        n1 = len(first)

        def refreshed():
            new = data_requests(self.mock, "BTCUSDT", "1h")[n1:]
            return new if new and m.cached_sidecar(rel)["last_updated"] != sc1["last_updated"] \
                else None
        new = harness.wait_for(refreshed, 12, interval=0.1,
                               what=f"a watch refresh of {rel} (max_age 5s)")
        start = binance_start_s(new[0])
        last_bar = parse_iso(sc1["end_date"])
        self.assertGreater(start, last_bar, f"the refresh asked again for bars up to "
                           f"{sc1['end_date']}: not incremental ({new[0]['query']})")
        self.assertLessEqual(start, last_bar + 3600, "the refresh skips bars")
        sc2 = m.cached_sidecar(rel)
        self.assertGreater(parse_iso(sc2["last_updated"]), parse_iso(sc1["last_updated"]))
        self.assertEqual(sc2["created_at"], sc1["created_at"])
        st = status(m)
        self.assertEqual((st["cache"]["hits"], st["cache"]["misses"]), (0, 0),
                         "the refresh was a reader's: nobody reads")
        self.assertEqual(st["scheduler"]["watch"]["files"], 1)
        self.assertEqual(st["scheduler"]["watch"]["failing"], 0)

        # a reader right after a refresh: served from the cache, no request
        pat = re.compile(r"watch: BTCUSDT/1h/%d refreshed" % CUR)
        k = len(pat.findall(m.log_text()))
        harness.wait_for(lambda: len(pat.findall(m.log_text())) > k, 10, interval=0.05,
                         what="the next watch refresh")
        n2 = len(self.mock.log())
        t0 = time.time()
        data = m.read(rel)
        t1 = time.time()
        self.assertEqual(self.mock.log()[n2:], [], "a read of a watched, fresh file sent a request")
        st2 = status(m)
        self.assertEqual(st2["cache"]["misses"], 0, "the read of a watched file needed a fetch")
        self.assertEqual(st2["cache"]["hits"], 1)
        sc = m.cached_sidecar(rel)
        self.assertEqual(sc["file_info"]["sha256"], harness.sha256(data))
        self.assertOracle(data, "binance", "BTCUSDT", "1h", CUR, harness.fetch_times(sc, t0, t1))

    # ------------------------------------------------------------ 2. priorities
    def test_reader_is_served_while_a_rate_limited_backfill_is_queued(self):
        """BTCUSDT's watched files are short (1h: 8 pages, then 1-2 pages each),
        ETHUSDT's 1m file is hundreds of pages at 2 requests/s: the backfill
        lasts minutes. Three Yahoo reads made slow (3 s each) keep both fetch
        threads busy with foreground work for a while, so the watch job that
        follows BTCUSDT/1h has to wait in the queue (watch > 0)."""
        self.mock.fault("slow", provider="yahoo", count=3, delay_ms=3000,
                        path_contains="/v8/finance/chart/")
        m = self.mount(config={"watch": "BTCUSDT:1h,4h,1d,1w,1M "
                                        "ETHUSDT:1m,5m,15m,30m,1h,4h,1d,1w,1M",
                               "max_parallel_fetches": "2"},
                       binance={"rate_limit": "2/1s"})
        t_mount = time.time()
        reads = ["AAPL/1d/2024.csv.gz", "MSFT/1d/2024.csv.gz", "AAPL/1w/2024.csv.gz",
                 "BTCUSDT/1d/2023.csv.gz"]
        got, errors, after_btc = {}, {}, {}

        def read(rel):
            try:
                data = m.read(rel)
                got[rel] = (data, time.time())
                if rel.startswith("BTCUSDT"):
                    # right when the reader got its file: is the backfill still going?
                    after_btc["status"] = status(m)
                    after_btc["log"] = m.log_text()
            except Exception as e:  # reported below, in the test's thread
                errors[rel] = e
        threads = [threading.Thread(target=read, args=(r,), daemon=True) for r in reads]
        for t in threads:
            t.start()
        snaps = []
        while any(t.is_alive() for t in threads) and time.time() - t_mount < 40:
            snaps.append(status(m))
            time.sleep(0.05)
        for t in threads:
            t.join(timeout=1)
        self.assertEqual(errors, {}, "reads failed")
        self.assertEqual(sorted(got), sorted(reads), "reads did not complete within 40 s")
        for rel, (data, _) in got.items():
            sym, tf, y = rel.split("/")
            prov = "binance" if sym.endswith("USDT") else "yahoo"
            self.assertCsvEqual(data, expected.expected_csv(prov, sym, tf, int(y[:4])), rel)

        # status.json: the queue per priority, in-flight fetches with their priority
        for s in snaps:
            self.assertEqual(set(s["queue"]), {"foreground", "watch", "maintenance", "prefetch",
                                               "oldest_s"})
            for f in s["in_flight"]:
                self.assertIn(f["priority"], ("foreground", "watch", "maintenance", "prefetch"))
        watch_flight = [f for s in snaps for f in s["in_flight"] if f["priority"] == "watch"]
        self.assertTrue(watch_flight, "no in-flight fetch with priority watch in status.json")
        self.assertTrue(all(f["provider"] == "binance" and f["symbol"] in ("BTCUSDT", "ETHUSDT")
                            for f in watch_flight), watch_flight)
        self.assertGreater(max(s["queue"]["watch"] for s in snaps), 0,
                           "status.json never showed a queued watch fetch")
        self.assertGreater(max(s["queue"]["foreground"] for s in snaps), 0)

        # the Binance reader did not wait for the backfill to be done
        st = after_btc["status"]
        busy = st["queue"]["watch"] + sum(f["priority"] == "watch" for f in st["in_flight"])
        self.assertGreater(busy, 0, "no watch work queued or in flight when the Binance "
                           f"read returned: {st['queue']} {st['in_flight']}")
        self.assertNotRegex(after_btc["log"], r"watch: backfill of \d+ files done",
                            "the backfill was done before the Binance read returned")
        t_btc = got["BTCUSDT/1d/2023.csv.gz"][1]
        self.assertLess(t_btc - t_mount, 20, "the Binance read took longer than 20 s")
        # in the mock's log: the reader's request came before the backfill's last one
        fg = [r for r in data_requests(self.mock, "BTCUSDT", "1d")
              if harness.year_start(2023) <= binance_start_s(r) < harness.year_start(2024)]
        self.assertEqual(len(fg), 1, f"requests for BTCUSDT/1d/2023: {[r['query'] for r in fg]}")

        def backfill_after():
            bf = [r for r in self.mock.requests(provider="binance")
                  if r["query"].get("limit") != "1" and binance_start_s(r) >= harness.year_start(CUR)]
            return bf if bf and bf[-1]["ts"] > fg[0]["ts"] else None
        harness.wait_for(backfill_after, 10, interval=0.1,
                         what="a backfill request after the reader's request")
        self.assertNotIn("watch: backfill of", m.log_text(), "backfill done already")

    # ------------------------------------------------------------ 3. maintenance
    def test_maintenance_resumes_after_the_last_completed_step(self):
        """index.db is set back to 'step 1 completed' while the daemon is
        stopped: the next start runs steps 2-4 only; set back to 'begun'
        (step 0), the next start runs step 1 again (the control: step 1
        does send a request then)."""
        self.skip_near_a_run()
        rel = f"BTCUSDT/1d/{CUR}.csv.gz"
        m = self.mount(config={"max_age": "2s"})
        m.read(rel)  # recently read, not final: step 1's work from now on
        run = self.wait_finished(m, "crypto")["last_run"]
        self.assertEqual(run, crypto_runs(time.time())[0])
        stock = self.wait_finished(m, "stock")["last_run"]
        self.assertEqual(m.umount(), 0)
        row = maint_row(m, run)
        self.assertEqual(row["step"], 4)
        self.assertGreater(row["finished"], 0)
        self.assertEqual(note_steps(row["note"]), [1, 2, 3, 4])
        stock_row = maint_row(m, stock)
        step1 = row["note"].split("\n")[0]
        # as if killed after step 1 was recorded
        maint_update(m, "UPDATE maintenance SET step = 1, finished = 0, note = ? WHERE run = ?",
                     step1, run)
        sleep_until(parse_iso(m.cached_sidecar(rel)["stale_after"]) + 0.5)
        self.mock.reset()
        t_start = time.time()
        mark = log_mark(m)
        m.start()
        self.wait_finished(m, "crypto", run=run)
        m.wait_log(re.escape(f"maintenance {run}: finished in"), 5)
        log = log_since(m, mark)
        self.assertIn(f"maintenance {run}: resuming at step 2 fundamentals", log)
        self.assertNotIn(f"maintenance {run}: step 1 ", log, "step 1 was done again")
        self.assertNotIn(f"maintenance {stock}:", log, "the finished stock run ran again")
        row2 = maint_row(m, run)
        self.assertEqual(row2["step"], 4)
        self.assertGreaterEqual(row2["finished"], int(t_start))
        self.assertEqual(row2["started"], row["started"], "a resumed run keeps its first start")
        self.assertEqual(note_steps(row2["note"]), [1, 2, 3, 4],
                         f"note after the resume:\n{row2['note']}")
        self.assertEqual(row2["note"].split("\n")[0], step1, "step 1's line was rewritten")
        self.assertEqual(self.mock.log(), [], "step 1 was done again: the stale, recently "
                         "read file was fetched by the resumed run")
        self.assertEqual(maint_row(m, stock), stock_row, "the finished stock run was touched")

        # control: 'begun' (step 0) does step 1 again, which fetches the stale file
        self.assertEqual(m.umount(), 0)
        m.check_log()
        maint_update(m, "UPDATE maintenance SET step = 0, finished = 0, note = '' WHERE run = ?",
                     run)
        self.mock.reset()
        t_start = time.time()
        m.start()
        self.wait_finished(m, "crypto", run=run)
        m.wait_log(re.escape(f"maintenance {run}: resuming at step 1 refresh"), 5)
        row3 = maint_row(m, run)
        self.assertEqual(note_steps(row3["note"]), [1, 2, 3, 4], row3["note"])
        self.assertRegex(row3["note"].split("\n")[0], r"^1 refresh: 1 files: 1 refreshed, 0 already "
                         r"fresh, 0 failed$")
        reqs = data_requests(self.mock, "BTCUSDT", "1d")
        self.assertEqual(len(reqs), 1, f"step 1 should refresh {rel} once: "
                         f"{[r['query'] for r in reqs]}")
        self.assertGreater(binance_start_s(reqs[0]), harness.year_start(CUR), "not incremental")
        self.assertGreaterEqual(parse_iso(m.cached_sidecar(rel)["last_updated"]), int(t_start))

    def test_bulk_step_pulls_the_firstrate_day_archive(self):
        """Step 3 (bulk): with FirstRate in the chain of stocks at 1d, a
        run asks last_update, downloads the "day" archive once for every
        cached current-year file of the class, and merges it in; a second
        run with the same last_update downloads nothing."""
        self.skip_near_a_run()
        rel = f"AAPL/1d/{CUR}.csv.gz"
        fr = {"base_url": self.mock.url, "api_key": "fr-user", "rate_limit": "1000/1s"}
        m = self.mount(start=False, providers={"firstrate": fr},
                       rules=dict(harness.Mount.RULES, **{"stock.1d": "firstrate"}))
        os.chmod(m.conf, 0o600)
        m.start()
        before = m.read(rel)
        stock = self.wait_finished(m, "stock")["last_run"]
        self.assertEqual(m.umount(), 0)
        # as if the run had stopped after step 2: the next start does step 3 with AAPL cached
        maint_update(m, "UPDATE maintenance SET step = 2, finished = 0 WHERE run = ?", stock)
        self.mock.reset()
        mark = log_mark(m)
        m.start()
        self.wait_finished(m, "stock", run=stock)
        log = log_since(m, mark)
        self.assertRegex(log, r"bulk: firstrate stock 1d \(\d{4}-\d\d-\d\d\): 1 of 1 cached "
                         r"symbols updated, 0 failed")
        self.assertRegex(maint_row(m, stock)["note"], r"3 bulk: firstrate: 1 archives pulled, 1 "
                         r"files updated, 0 failed")
        paths = [(r["path"], r["query"]) for r in self.mock.log()]
        self.assertEqual(sum(p == "/api/last_update" for p, _ in paths), 1, paths)
        days = [q for p, q in paths if p == "/api/data_file"]
        self.assertEqual(len(days), 1, paths)
        self.assertEqual((days[0]["period"], days[0]["type"], days[0]["timeframe"]),
                         ("day", "stock", "1day"))
        side = m.cached_sidecar(rel)
        self.assertEqual(side["data_source"], "firstrate")
        after = harness.gunzip_text(m.read(rel)).splitlines()
        self.assertGreaterEqual(len(after), len(harness.gunzip_text(before).splitlines()))
        # again: last_update is unchanged, so no archive is downloaded
        self.assertEqual(m.umount(), 0)
        maint_update(m, "UPDATE maintenance SET step = 2, finished = 0 WHERE run = ?", stock)
        self.mock.reset()
        m.start()
        self.wait_finished(m, "stock", run=stock)
        paths = [r["path"] for r in self.mock.log()]
        self.assertEqual(paths.count("/api/data_file"), 0, paths)
        self.assertEqual(paths.count("/api/last_update"), 1, paths)

    def wait_in_step(self, m, run, step, symbol):
        """Wait until status.json shows run in step, with a fetch for symbol in flight;
        returns those in-flight entries."""
        def seen():
            s = status(m)
            mt = s["scheduler"]["maintenance"]
            fl = [f for f in s["in_flight"] if f["symbol"] == symbol]
            if mt["current_run"] == run and mt["current_step"] == step and fl:
                return fl
            return None
        return harness.wait_for(seen, 20, interval=0.05,
                                what=f"{run} in step {step} fetching {symbol}")

    def test_kill9_in_step_2_resumes_at_step_2(self):
        """The stock run is killed in step 2 (fundamentals, made slow), after
        step 1 was recorded: the next start (which rebuilds index.db, as after
        any crash) resumes it at step 2; step 1 is neither done nor recorded
        again, and the run finishes."""
        self.skip_near_a_run()
        arel = f"AAPL/1d/{CUR}.csv.gz"
        m = self.mount(config={"max_age": "2s"}, yahoo={"cookie_url": self.mock.url})
        m.read(arel)
        json.loads(m.read("AAPL/fundamentals/combined.json"))
        stock = self.wait_finished(m, "stock")["last_run"]
        self.assertEqual(stock, stock_runs(time.time())[0])
        crypto_row = maint_row(m, self.wait_finished(m, "crypto")["last_run"])
        self.assertEqual(m.umount(), 0)
        # the run is to be done again (operations.md: delete its row), and
        # AAPL's fundamentals snapshot made old so that step 2 has work
        maint_update(m, "DELETE FROM maintenance WHERE run = ?", stock)
        fdir = m.cache_path("AAPL/fundamentals")
        snaps = [n for n in os.listdir(fdir) if n.startswith("yahoo_")]
        self.assertEqual(len(snaps), 1, os.listdir(fdir))
        os.rename(os.path.join(fdir, snaps[0]), os.path.join(fdir, "yahoo_20200102_030405.json"))
        sleep_until(parse_iso(m.cached_sidecar(arel)["stale_after"]) + 0.5)

        # killed in step 2
        self.mock.reset()
        self.mock.fault("slow", provider="yahoo", count=1, delay_ms=8000,
                        path_contains="/v10/finance/quoteSummary/")
        t_a = time.time()
        m.start()
        fl = self.wait_in_step(m, stock, "fundamentals", "AAPL")
        self.assertEqual([(f["what"], f["priority"]) for f in fl],
                         [("fundamentals", "maintenance")], fl)
        m.kill9()
        row = maint_row(m, stock)
        self.assertIsNotNone(row, "the run was not recorded when it began")
        self.assertEqual((row["step"], row["finished"]), (1, 0), row)
        self.assertRegex(row["note"], r"^1 refresh: 1 files: 1 refreshed, 0 already fresh, "
                         r"0 failed$", "step 1 (and only step 1) recorded")
        self.assertEqual(len(data_requests(self.mock, "AAPL", "1d", since=t_a)), 1,
                         "step 1 did not refresh the stale, recently read AAPL file")

        # the next start resumes at step 2
        self.mock.reset()
        mark = log_mark(m)
        m.start()
        self.wait_finished(m, "stock", run=stock)
        m.wait_log(re.escape(f"maintenance {stock}: finished in"), 5)
        log = log_since(m, mark)
        self.assertIn("a previous run did not stop cleanly: rebuilding index.db", log)
        self.assertIn(f"maintenance {stock}: resuming at step 2 fundamentals", log)
        self.assertNotIn(f"maintenance {stock}: step 1 ", log, "step 1 was done again")
        self.assertNotIn(f"maintenance {stock}: starting", log)
        row2 = maint_row(m, stock)
        self.assertEqual(row2["step"], 4)
        self.assertGreater(row2["finished"], 0)
        self.assertEqual(row2["started"], row["started"], "a resumed run keeps its first start")
        self.assertEqual(note_steps(row2["note"]), [1, 2, 3, 4], row2["note"])
        self.assertEqual(row2["note"].split("\n")[0], row["note"])
        self.assertRegex(row2["note"].split("\n")[1],
                         r"^2 fundamentals: 1 symbols: 1 stale, 1 refreshed, 0 failed$")
        self.assertTrue(self.mock.requests(path_prefix="/v10/finance/quoteSummary/AAPL"),
                        "step 2 sent no fundamentals request")
        self.assertEqual(data_requests(self.mock, "AAPL", "1d"), [],
                         "the resumed run refreshed step 1's file again")
        self.assertEqual(maint_row(m, crypto_row["run"]), crypto_row, "the crypto run was touched")
        mt = status(m)["scheduler"]["maintenance"]
        self.assertIsNone(mt["current_run"])
        self.assertEqual((mt["stock"]["last_run"], mt["stock"]["last_step"]), (stock, 4))

    def test_kill9_in_step_1_does_step_1_again(self):
        """The crypto run is killed in step 1 (its refresh of a stale,
        recently read file made slow): the next start resumes at step 1 and
        does it again from its beginning (operations.md: 'The step that was
        cut short is done again from its beginning'), so the file whose
        refresh was cut short is refreshed, and the run finishes."""
        self.skip_near_a_run()
        brel = f"BTCUSDT/1d/{CUR}.csv.gz"
        m = self.mount(config={"max_age": "2s"})
        m.read(brel)  # recently read, not final: step 1's work
        crypto = self.wait_finished(m, "crypto")["last_run"]
        self.assertEqual(crypto, crypto_runs(time.time())[0])
        stock_row = maint_row(m, self.wait_finished(m, "stock")["last_run"])
        self.assertEqual(m.umount(), 0)
        maint_update(m, "DELETE FROM maintenance WHERE run = ?", crypto)
        sleep_until(parse_iso(m.cached_sidecar(brel)["stale_after"]) + 0.5)

        # killed in step 1, during the refresh of brel
        self.mock.reset()
        self.mock.fault("slow", provider="binance", count=1, delay_ms=8000,
                        path_contains="interval=1d")
        m.start()
        fl = self.wait_in_step(m, crypto, "refresh", "BTCUSDT")
        self.assertEqual([(f["what"], f["priority"]) for f in fl],
                         [(f"1d {CUR}", "maintenance")], fl)
        m.kill9()
        row = maint_row(m, crypto)
        self.assertIsNotNone(row, "the run was not recorded when it began")
        self.assertEqual((row["step"], row["finished"], row["note"]), (0, 0, ""), row)
        sc_before = m.cached_sidecar(brel)

        # the next start does step 1 again, then 2-4
        self.mock.reset()
        mark = log_mark(m)
        t_b = time.time()
        m.start()
        self.wait_finished(m, "crypto", run=crypto)
        m.wait_log(re.escape(f"maintenance {crypto}: finished in"), 5)
        log = log_since(m, mark)
        self.assertIn("a previous run did not stop cleanly: rebuilding index.db", log)
        self.assertIn(f"maintenance {crypto}: resuming at step 1 refresh", log)
        row2 = maint_row(m, crypto)
        self.assertEqual(row2["step"], 4)
        self.assertGreater(row2["finished"], 0)
        self.assertEqual(row2["started"], row["started"], "a resumed run keeps its first start")
        self.assertEqual(note_steps(row2["note"]), [1, 2, 3, 4], row2["note"])
        self.assertEqual(maint_row(m, stock_row["run"]), stock_row, "the stock run was touched")
        # the cut-short step is done again from its beginning: the stale file whose
        # refresh was killed is refreshed now
        reqs = data_requests(self.mock, "BTCUSDT", "1d")
        self.assertEqual(
            (row2["note"].split("\n")[0], len(reqs)),
            ("1 refresh: 1 files: 1 refreshed, 0 already fresh, 0 failed", 1),
            f"step 1 done again after the kill did not refresh {brel} (stale since "
            f"{sc_before['stale_after']}, read at the first mount, its refresh cut short by "
            f"the kill); daemon log of this start:\n"
            + "\n".join(l for l in log.splitlines() if "notice" in l))
        self.assertGreaterEqual(parse_iso(m.cached_sidecar(brel)["last_updated"]), int(t_b))

    # ------------------------------------------------------------ 4. eviction
    def test_eviction_keeps_open_and_watched_files(self):
        """Every AAPL/1d year is cached (one Yahoo request, about 200 KiB on
        disk) and MSFT:1d is watched (backfilled at start, all its years),
        with cache_max_size = 40K: far over the limit. The daemon's first
        scheduler pass evicts, after the MSFT backfill, which is made slow
        (3 s) so that the test holds AAPL/1d/2012 open by then. Later,
        `marketfs-ctl gc` on the same cache, daemon running, applies the
        limit again (it cannot know the daemon's open files: operations.md
        says it may remove them, and the reader keeps reading)."""
        limit = 40 * 1024
        m = self.mount()
        m.read("AAPL/1d/2015.csv.gz")
        self.assertEqual(m.umount(), 0)
        aapl_years = sorted(int(p.split("/")[2]) for p in year_pairs(m.cache))
        self.assertEqual(aapl_years, list(range(2010, CUR + 1)))
        self.assertGreater(sum(disk_use(m.cache).values()), limit)

        self.mock.reset()
        self.mock.fault("slow", provider="yahoo", count=1, delay_ms=3000, path_contains="/MSFT")
        m.config.update({"watch": "MSFT:1d", "cache_max_size": "40K"})
        m.write_config()
        m.start()
        held = "AAPL/1d/2012.csv.gz"
        fh = open(m.path(held), "rb")
        self.addCleanup(fh.close)
        held_data = fh.read()
        self.assertCsvEqual(held_data, expected.expected_csv("yahoo", "AAPL", "1d", 2012), held)
        mm = m.wait_log(r"eviction: removed (\d+) files \((\d+) bytes\); (\d+) open and "
                        r"(\d+) watched kept", 20)
        self.assertIn("watch: backfill of 1 files done: 1 fetched", m.log_text(),
                      "the eviction ran before the MSFT backfill was done")
        msft_years = list(range(2012, CUR + 1))
        self.assertGreaterEqual(int(mm.group(3)), 1, mm.group(0))
        self.assertEqual(int(mm.group(4)), len(msft_years), mm.group(0))

        def protected(pair):
            return pair.startswith("MSFT/1d/") or pair == "AAPL/1d/2012"
        pairs = year_pairs(m.cache)
        size = sum(disk_use(m.cache).values())
        left = sorted(p for p in pairs if not protected(p))
        self.assertTrue(size <= 0.8 * limit or not left,
                        f"the cache is {size} bytes (limit {limit}) and unprotected files are "
                        f"left: {left}")
        self.assertEqual(pairs.get("AAPL/1d/2012"), {"data", "sidecar"},
                         "the year held open was evicted")
        for y in msft_years:
            self.assertEqual(pairs.get(f"MSFT/1d/{y}"), {"data", "sidecar"},
                             f"watched MSFT/1d/{y} was evicted")
        evicted = [y for y in aapl_years if f"AAPL/1d/{y}" not in pairs]
        self.assertIn(2019, evicted)
        self.assertEqual(os.pread(fh.fileno(), len(held_data) + 1, 0), held_data)

        # an evicted year is fetched again on the next read, with the right content
        n = len(self.mock.requests(symbol="AAPL"))
        data = m.read("AAPL/1d/2019.csv.gz")
        self.assertCsvEqual(data, expected.expected_csv("yahoo", "AAPL", "1d", 2019),
                            "AAPL/1d/2019 after eviction")
        self.assertEqual(len(self.mock.requests(symbol="AAPL")), n + 1,
                         "the evicted year was not fetched again")
        self.assertEqual(year_pairs(m.cache).get("AAPL/1d/2019"), {"data", "sidecar"})

        # marketfs-ctl gc on the same cache, the daemon running
        if not os.access(CTL, os.X_OK):
            self.skipTest(f"{CTL} not built")
        self.assertGreater(sum(disk_use(m.cache).values()), limit)
        r = subprocess.run([CTL, "--cache", m.cache, "--config", m.conf, "gc"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, f"marketfs-ctl gc: {r.stdout}{r.stderr}")
        self.assertRegex(r.stdout, r"evict: removed \d+ year files")
        pairs = year_pairs(m.cache)
        size = sum(disk_use(m.cache).values())
        left = sorted(p for p in pairs if not p.startswith("MSFT/1d/"))
        self.assertTrue(size <= 0.8 * limit or not left,
                        f"after gc the cache is {size} bytes (limit {limit}) and unwatched "
                        f"files are left: {left}")
        for y in msft_years:
            self.assertEqual(pairs.get(f"MSFT/1d/{y}"), {"data", "sidecar"},
                             f"marketfs-ctl gc evicted watched MSFT/1d/{y}")
        # the reader of a removed file keeps reading it
        self.assertEqual(os.pread(fh.fileno(), len(held_data) + 1, 0), held_data)
        n = len(self.mock.requests(symbol="AAPL"))
        data = m.read("AAPL/1d/2020.csv.gz")
        self.assertCsvEqual(data, expected.expected_csv("yahoo", "AAPL", "1d", 2020),
                            "AAPL/1d/2020 after marketfs-ctl gc")
        self.assertEqual(len(self.mock.requests(symbol="AAPL")), n + 1,
                         "the year removed by marketfs-ctl gc was not fetched again")
        self.assertEqual(len(self.mock.requests(symbol="MSFT")), 1,
                         "watched MSFT years were fetched again (only the backfill asks)")

    # ------------------------------------------------------------ 5. status.json
    def test_status_json_scheduler_section(self):
        self.skip_near_a_run(margin=60)
        # AAPL:4h is built from 1h (no provider serves it natively); AAPL:1d is named twice
        m = self.mount(config={"watch": "AAPL:1d,4h BTCUSDT:1h,1d MSFT AAPL:1h,1d"})
        watched = [f"AAPL/1h/{CUR}", f"AAPL/1d/{CUR}", f"AAPL/4h/{CUR}", f"BTCUSDT/1h/{CUR}",
                   f"BTCUSDT/1d/{CUR}", f"MSFT/1d/{CUR}"]
        m.wait_log(r"watch: backfill of 6 files done: 6 fetched, 0 failed", 30)
        self.assertNotRegex(m.log_text(), r"is not kept fresh")
        stock = self.wait_finished(m, "stock")
        crypto = self.wait_finished(m, "crypto")
        now = time.time()
        pairs = year_pairs(m.cache)
        for w in watched:
            self.assertEqual(pairs.get(w), {"data", "sidecar"}, f"{w} was not backfilled")
        st = status(m)
        sch = st["scheduler"]
        self.assertTrue(sch["running"])
        self.assertEqual(sch["watch"]["files"], len(watched))
        self.assertEqual(sch["watch"]["failing"], 0)
        self.assertIsNotNone(sch["watch"]["next_check"])
        self.assertGreater(parse_iso(sch["watch"]["next_check"]), now - 5)
        mt = sch["maintenance"]
        self.assertTrue(mt["enabled"])
        self.assertIsNone(mt["current_run"])
        self.assertIsNone(mt["current_step"])
        sname, _, snext = stock_runs(now)
        cname, _, cnext = crypto_runs(now)
        self.assertEqual(mt["stock"]["next_run"], utc(snext).strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.assertEqual(mt["crypto"]["next_run"], utc(cnext).strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.assertEqual((stock["last_run"], stock["last_step"]), (sname, 4))
        self.assertEqual((crypto["last_run"], crypto["last_step"]), (cname, 4))
        for c in (stock, crypto):
            self.assertLessEqual(abs(parse_iso(c["last_finished"]) - now), 30)
        # the watched symbols are listed at the root
        for sym in ("AAPL", "BTCUSDT", "MSFT"):
            self.assertIn(sym, os.listdir(m.mnt))
        self.assertEqual(st["cache"]["misses"], 0)

        # maintenance off and no watch list: nothing scheduled, nothing run
        self.mock.reset()
        m2 = self.mount(name="off", config={"maintenance": "false"})
        time.sleep(0.5)
        sch = status(m2)["scheduler"]
        self.assertEqual(sch["watch"]["files"], 0)
        self.assertIsNone(sch["watch"]["next_check"])
        self.assertFalse(sch["maintenance"]["enabled"])
        for cls in ("stock", "crypto"):
            self.assertIsNone(sch["maintenance"][cls]["next_run"], cls)
            self.assertIsNone(sch["maintenance"][cls]["last_run"], cls)
            self.assertIsNone(sch["maintenance"][cls]["last_finished"], cls)
        self.assertEqual(self.mock.log(), [])


if __name__ == "__main__":
    harness.main()

#!/usr/bin/python3
"""Refreshing current-year files (SPEC §3 "Stale", §2 consistency).

With max_age = 2s a current-year file is stale two seconds after its fetch.
A read of a stale file must refresh it incrementally (only bars after the
last cached bar are requested), merge, and install atomically; a reader that
has the file open keeps reading the old version; the next open sees the new
one. To make a refresh change the content for sure (markets may be closed
while the tests run), some tests shorten the cached copy first: they drop the
last rows and rewrite the sidecar to match, exactly as a file fetched earlier
would look."""

import gzip
import json
import os
import subprocess
import time
from datetime import datetime, timezone

import harness
from harness import expected, gunzip_text, parse_iso, sha256

CUR = harness.current_year()


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def row_time(ts):
    """Epoch seconds of a CSV timestamp ('2024-01-02' or '2024-01-02 14:30:00', UTC)."""
    fmt = "%Y-%m-%d %H:%M:%S" if " " in ts else "%Y-%m-%d"
    return datetime.strptime(ts, fmt).replace(tzinfo=timezone.utc).timestamp()


def shorten_cached(m, rel, drop, stale_after):
    """Drop the last `drop` rows of the cached data file rel and rewrite its
    sidecar consistently (rows, size, sha256, end_date, stale_after). The
    daemon must not be running. Returns (new data bytes, new last-bar time)."""
    dpath = m.cache_path(rel)
    spath = dpath[: -len(".csv.gz")] + ".metadata.json"
    with open(dpath, "rb") as fh:
        lines = gunzip_text(fh.read()).splitlines()
    header, rows = lines[0], lines[1:]
    assert len(rows) > drop + 1, f"{rel} has too few rows ({len(rows)}) to shorten"
    kept = rows[: len(rows) - drop]
    data = gzip.compress(("\n".join([header] + kept) + "\n").encode(), mtime=0)
    with open(spath) as fh:
        sc = json.load(fh)
    # end_date is the last bar; shift it by the distance between the old and new last rows
    delta = row_time(rows[-1].split(",")[0]) - row_time(kept[-1].split(",")[0])
    new_end = parse_iso(sc["end_date"]) - delta
    sc["end_date"] = iso(new_end)
    sc["file_info"].update(rows=len(kept), size_bytes=len(data), sha256=sha256(data))
    sc["stale_after"] = iso(stale_after)
    for path, content in ((dpath, data), (spath, (json.dumps(sc, indent=2) + "\n").encode())):
        with open(path + ".new", "wb") as fh:
            fh.write(content)
        os.replace(path + ".new", path)
    return data, new_end


def sleep_until(t):
    """Time has to pass for a file to become stale: nothing to poll."""
    left = t - time.time()
    if left > 0:
        time.sleep(left)


class RefreshTest(harness.MarketfsTest):
    TIMEOUT = 120

    def mount_max_age(self, **kw):
        return self.mount(config={"max_age": "2s"}, **kw)

    def new_requests(self, before, symbol):
        return [r for r in self.mock.requests(symbol=symbol)[before:] if r["query"].get("limit") != "1"]

    # ------------------------------------------------------------ simple refresh
    def check_refresh(self, provider, symbol, tf, start_param, step_s, scale):
        m = self.mount_max_age()
        rel = f"{symbol}/{tf}/{CUR}.csv.gz"
        past = f"{symbol}/{tf}/2024.csv.gz"
        t0 = time.time()
        d1 = m.read(rel)
        t1 = time.time()
        sc1 = m.cached_sidecar(rel)
        self.assertOracle(d1, provider, symbol, tf, CUR, harness.fetch_times(sc1, t0, t1))
        self.assertIsNotNone(sc1["stale_after"])
        self.assertLessEqual(parse_iso(sc1["stale_after"]), parse_iso(sc1["last_updated"]) + 2,
                             "max_age = 2s: stale two seconds after the fetch")
        old_past = m.read(past)
        self.assertIsNone(m.cached_sidecar(past)["stale_after"])
        n1 = len(self.mock.requests(symbol=symbol))

        sleep_until(parse_iso(sc1["stale_after"]) + 1.2)
        t2 = time.time()
        d2 = m.read(rel)
        t3 = time.time()
        sc2 = m.cached_sidecar(rel)
        new = self.new_requests(n1, symbol)
        self.assertEqual(len(new), 1, f"a refresh of a few bars is one request: {[r['query'] for r in new]}")
        start = int(new[0]["query"][start_param]) / scale
        last_bar = parse_iso(sc1["end_date"])
        self.assertGreater(start, harness.year_start(CUR), "the refresh asked for the whole year")
        self.assertGreater(start, last_bar, f"{start_param} must be after the last cached bar "
                           f"{sc1['end_date']}: only newer bars are requested")
        self.assertLessEqual(start, last_bar + step_s, f"{start_param} skips bars after {sc1['end_date']}")
        self.assertOracle(d2, provider, symbol, tf, CUR, harness.fetch_times(sc2, t2, t3),
                          what=f"{rel} after the refresh")
        self.assertGreater(parse_iso(sc2["last_updated"]), parse_iso(sc1["last_updated"]),
                           "last_updated advanced")
        self.assertEqual(sc2["created_at"], sc1["created_at"], "created_at is kept across refreshes")
        self.assertEqual(sc2["file_info"]["sha256"], sha256(d2))
        # the through-the-mount sidecar says the same
        self.assertEqual(m.sidecar(rel)["last_updated"], sc2["last_updated"])
        # a past year is final: never refreshed
        n2 = len(self.mock.requests(symbol=symbol))
        self.assertEqual(m.read(past), old_past)
        self.assertEqual(len(self.mock.requests(symbol=symbol)), n2, "a final file was refreshed")

    def test_refresh_yahoo_daily_current_year(self):
        # Yahoo daily bars are stamped at 09:30 New York of their date; the
        # sidecar's end_date is the date; the next bar is at most a long
        # weekend away.
        self.check_refresh("yahoo", "AAPL", "1d", "period1", 5 * 86400, 1)

    def test_refresh_binance_hourly_current_year(self):
        self.check_refresh("binance", "BTCUSDT", "1h", "startTime", 3600, 1000)

    # ------------------------------------------------------------ refresh that adds bars
    def check_refresh_adds(self, provider, symbol, tf, drop, start_param, step_s, scale):
        m = self.mount_max_age()
        rel = f"{symbol}/{tf}/{CUR}.csv.gz"
        m.read(rel)
        self.assertEqual(m.umount(), 0)
        short, new_end = shorten_cached(m, rel, drop, stale_after=time.time() - 1)
        sc_short = m.cached_sidecar(rel)
        self.mock.reset()
        m.start()
        t0 = time.time()
        data = m.read(rel)
        t1 = time.time()
        reqs = self.new_requests(0, symbol)
        self.assertGreaterEqual(len(reqs), 1, "a stale file was served without a refresh")
        start = int(reqs[0]["query"][start_param]) / scale
        self.assertGreater(start, new_end, "the refresh re-requested cached bars")
        self.assertLessEqual(start, new_end + step_s, "the refresh skipped missing bars")
        sc = m.cached_sidecar(rel)
        self.assertOracle(data, provider, symbol, tf, CUR, harness.fetch_times(sc, t0, t1),
                          what=f"{rel} after an incremental refresh")
        self.assertEqual(sc["file_info"]["rows"], gunzip_text(data).count("\n") - 1)
        self.assertGreaterEqual(sc["file_info"]["rows"], sc_short["file_info"]["rows"] + drop)
        self.assertEqual(sc["file_info"]["sha256"], sha256(data))
        self.assertNotEqual(data, short)

    def test_incremental_refresh_merges_missing_hourly_bars(self):
        self.check_refresh_adds("binance", "BTCUSDT", "1h", 30, "startTime", 3600, 1000)

    def test_incremental_refresh_merges_missing_daily_bars(self):
        self.check_refresh_adds("yahoo", "AAPL", "1d", 5, "period1", 5 * 86400, 1)

    # ------------------------------------------------------------ open readers
    def prepare_old_version(self, rel):
        """Mount with an older (shorter) version of rel in the cache, fresh for
        four more seconds. Returns (mount, old data, old sidecar bytes, stale time)."""
        m = self.mount_max_age()
        m.read(rel)
        self.assertEqual(m.umount(), 0)
        stale_at = time.time() + 4
        old, _ = shorten_cached(m, rel, 48, stale_after=stale_at)
        with open(m.cache_path(rel[: -len(".csv.gz")] + ".metadata.json"), "rb") as fh:
            old_side = fh.read()
        self.mock.reset()
        m.start()
        return m, old, old_side, stale_at

    def refresh_from_other_process(self, m, rel):
        """cat the (stale) file in a child process; returns the new bytes."""
        t0 = time.time()
        r = subprocess.run(["cat", m.path(rel)], capture_output=True, timeout=60)
        t1 = time.time()
        self.assertEqual(r.returncode, 0, r.stderr)
        sc = m.cached_sidecar(rel)
        self.assertOracle(r.stdout, "binance", "BTCUSDT", "1h", CUR, harness.fetch_times(sc, t0, t1),
                          what="the new version")
        return r.stdout

    def test_open_reader_keeps_its_version_across_refresh(self):
        rel = f"BTCUSDT/1h/{CUR}.csv.gz"
        m, old, _, stale_at = self.prepare_old_version(rel)
        fd = open(m.path(rel), "rb", buffering=0)
        try:
            half = fd.read(len(old) // 2)
            self.assertEqual(self.mock.log(), [], "a fresh file was fetched again")
            self.assertEqual(half, old[: len(half)])
            sleep_until(stale_at + 0.5)
            new = self.refresh_from_other_process(m, rel)
            self.assertNotEqual(new, old, "the refresh changed nothing")
            # the old reader goes on reading its version to the end
            rest = b""
            while True:
                b = fd.read(65536)
                if not b:
                    break
                rest += b
            self.assertEqual(half + rest, old, "an open reader did not get its version: read "
                             f"{len(half + rest)} bytes of the old {len(old)}-byte file "
                             f"(the new one has {len(new)})")
            gunzip_text(half + rest)  # a complete, valid gzip stream
            # while the old handle is still open, a new open sees the new version
            self.assertEqual(m.read(rel), new, "a new open served the old version")
        finally:
            fd.close()
        again = m.read(rel)
        self.assertTrue(again == new, "after the old reader closed, a new open did not serve the new "
                        f"version: got {len(again)} bytes (old {len(old)}, new {len(new)}), "
                        f"{'equal to the old version' if again == old else 'not the old version either'}")
        self.assertEqual(m.sidecar(rel)["file_info"]["sha256"], sha256(new))
        self.assertEqual(os.stat(m.path(rel)).st_size, len(new), "stat shows the new size")

    def test_open_sidecar_reader_keeps_its_version_across_refresh(self):
        # Sidecars change size from one version to the next (here the new one
        # may be shorter): the old reader must still get every byte of its own.
        rel = f"BTCUSDT/1h/{CUR}.csv.gz"
        srel = rel[: -len(".csv.gz")] + ".metadata.json"
        m, old, old_side, stale_at = self.prepare_old_version(rel)
        sfd = open(m.path(srel), "rb", buffering=0)
        try:
            shalf = sfd.read(len(old_side) // 2)
            self.assertEqual(shalf, old_side[: len(shalf)])
            sleep_until(stale_at + 0.5)
            new = self.refresh_from_other_process(m, rel)
            srest = sfd.read()
            with open(m.cache_path(srel), "rb") as fh:
                new_side = fh.read()
            self.assertNotEqual(new_side, old_side)
            self.assertEqual(shalf + srest, old_side,
                             f"an open sidecar reader did not get its version: read "
                             f"{len(shalf + srest)} bytes of the old {len(old_side)}-byte sidecar "
                             f"(the new one has {len(new_side)})")
            json.loads(shalf + srest)
            self.assertEqual(m.read(srel), new_side, "a new open served the old sidecar")
        finally:
            sfd.close()
        side = m.sidecar(srel)
        self.assertEqual(side["file_info"]["sha256"], sha256(new))


if __name__ == "__main__":
    harness.main()

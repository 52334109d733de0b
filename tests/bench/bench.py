#!/usr/bin/python3
"""marketfs benchmark: prints numbers and ratios, asserts nothing.

Mounts marketfs (build/fs/marketfs, or $MARKETFS_BIN) against the local mock
provider (127.0.0.1 only) and measures:
  - a cold read: open + read of a file that is not cached (fetch included);
  - cached reads through the mount vs. reading the same cache file directly
    (native), with the kernel page cache dropped before each pass and kept;
  - stat latency through the mount vs. native;
  - listing a timeframe directory;
  - 16 concurrent readers of one absent file vs. one reader.

Usage: /usr/bin/python3 tests/bench/bench.py [--rounds N]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
import harness  # noqa: E402


def drop_caches():
    try:
        subprocess.run(["sync"], check=False)
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def read_all(path, bufsize=1 << 20):
    n = 0
    with open(path, "rb", buffering=0) as f:
        while True:
            b = f.read(bufsize)
            if not b:
                return n
            n += len(b)


def timed(fn, rounds):
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="marketfs-bench-", dir="/tmp")
    mock = harness.Mock(work)
    mount = harness.Mount(mock, workdir=os.path.join(work, "m"),
                          config={"fetch_timeout": "600", "max_parallel_fetches": "4"},
                          binance={"rate_limit": "100000/60s"})
    mount.start()
    try:
        mnt, cache = mount.mnt, mount.cache
        rows = []

        # cold read (fetch included), one daily history request
        t = time.perf_counter()
        read_all(os.path.join(mnt, "AAPL/1d/2024.csv.gz"))
        rows.append(("cold read AAPL/1d/2024 (fetch + install)", time.perf_counter() - t, "s"))

        # a large cached file: BTCUSDT 1m for one month of 2024 is not a
        # file; use 15m of 2024 (35k rows) and 1m of 2024 (525k rows)
        big = "BTCUSDT/1m/2024.csv.gz"
        t = time.perf_counter()
        size = read_all(os.path.join(mnt, big))
        rows.append((f"cold read {big} ({size / 1e6:.1f} MB, 527 requests)",
                     time.perf_counter() - t, "s"))
        native = os.path.join(cache, big)
        via = os.path.join(mnt, big)
        can_drop = drop_caches()
        if can_drop:
            def cold(p):
                drop_caches()
                read_all(p)
            tn = timed(lambda: cold(native), args.rounds)
            tm = timed(lambda: cold(via), args.rounds)
            rows.append(("read cached file, page cache dropped: native", size / tn / 1e6, "MB/s"))
            rows.append(("read cached file, page cache dropped: marketfs", size / tm / 1e6, "MB/s"))
            rows.append(("  ratio marketfs/native", tn / tm, "x"))
        read_all(via)
        read_all(native)
        tn = timed(lambda: read_all(native), args.rounds)
        tm = timed(lambda: read_all(via), args.rounds)
        rows.append(("read cached file, page cache warm: native", size / tn / 1e6, "MB/s"))
        rows.append(("read cached file, page cache warm: marketfs", size / tm / 1e6, "MB/s"))
        rows.append(("  ratio marketfs/native", tn / tm, "x"))

        # stat latency
        files = [f"AAPL/1d/{y}.csv.gz" for y in range(2010, 2025)]
        n = 200
        tn = timed(lambda: [os.stat(os.path.join(cache, f)) for _ in range(n) for f in files], 3)
        tm = timed(lambda: [os.stat(os.path.join(mnt, f)) for _ in range(n) for f in files], 3)
        per = n * len(files)
        rows.append(("stat, native", tn / per * 1e6, "us"))
        rows.append(("stat, marketfs (cached file)", tm / per * 1e6, "us"))
        rows.append(("  ratio native/marketfs", tn / tm, "x"))

        # listing
        tm = timed(lambda: os.listdir(os.path.join(mnt, "AAPL/1d")), 50)
        rows.append(("list AAPL/1d (34 entries)", tm * 1e6, "us"))

        # concurrency: 16 readers of one absent file
        mock.fault("slow", provider="yahoo", delay_ms=500, count=1)
        t = time.perf_counter()
        read_all(os.path.join(mnt, "MSFT/1d/2020.csv.gz"))
        one = time.perf_counter() - t
        mock.fault("slow", provider="yahoo", delay_ms=500, count=1)
        p = os.path.join(mnt, "MSFT/1h/" + time.strftime("%Y") + ".csv.gz")
        ths = [threading.Thread(target=read_all, args=(p,)) for _ in range(16)]
        t = time.perf_counter()
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        sixteen = time.perf_counter() - t
        rows.append(("1 reader of an absent file (500 ms provider)", one, "s"))
        rows.append(("16 readers of an absent file (500 ms provider)", sixteen, "s"))
        rows.append(("  ratio 16 readers / 1 reader", sixteen / one, "x"))

        width = max(len(r[0]) for r in rows)
        print(f"marketfs benchmark ({args.rounds} rounds, medians; loopback mock provider)")
        for name, v, unit in rows:
            print(f"  {name:<{width}}  {v:10.3f} {unit}")
        if not can_drop:
            print("  (page cache could not be dropped: run as root for cold-cache numbers)")
    finally:
        mount.umount()
        mock.stop()
        subprocess.run(["rm", "-rf", work], check=False)


if __name__ == "__main__":
    main()

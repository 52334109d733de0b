#!/usr/bin/python3
"""The command line (SPEC §8): --help, --version, configuration errors
reported on the terminal before mounting (file and line named), clean
unmount on SIGTERM, and fstab-style options with a SOURCE argument."""

import os
import re
import signal
import subprocess
import time

import harness
from harness import BIN, expected

CUR = harness.current_year()


def mounts_of(path):
    """The /proc/self/mounts lines for mount point path."""
    with open("/proc/self/mounts") as fh:
        return [l for l in fh.read().splitlines() if l.split()[1] == path]


class CliTest(harness.MarketfsTest):

    def run_bin(self, *args, timeout=15):
        return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def assertFailsBeforeMount(self, m, *extra, needles=()):
        """Start marketfs on m expecting a configuration error: non-zero exit,
        quickly, nothing mounted, and every needle in the message."""
        t0 = time.monotonic()
        r = self.run_bin(*m.argv()[1:], *extra)
        took = time.monotonic() - t0
        self.assertNotEqual(r.returncode, 0, f"marketfs accepted it: {r.stdout} {r.stderr}")
        self.assertLess(took, 10, "an input error must be reported at once")
        self.assertFalse(m.is_mounted(), "mounted despite the error")
        msg = r.stderr + m.log_text()
        self.assertNotIn("mounted at", msg, "the error came after mounting")
        for n in needles:
            self.assertRegex(msg, n)
        return msg

    def test_help(self):
        for flag in ("--help", "-h"):
            r = self.run_bin(flag)
            self.assertEqual(r.returncode, 0, r.stderr)
            out = r.stdout + r.stderr
            self.assertIn("usage", out.lower())
            for word in ("MOUNTPOINT", "config=", "cache=", "offline", "log="):
                self.assertIn(word, out, f"{flag} does not mention {word}")

    def test_version(self):
        with open(os.path.join(harness.SRC, "meson.build")) as fh:
            version = re.search(r"version\s*:\s*'([^']+)'", fh.read()).group(1)
        for flag in ("--version", "-V"):
            r = self.run_bin(flag)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(version, r.stdout + r.stderr, f"{flag} does not print {version}")
            self.assertIn("marketfs", r.stdout + r.stderr)

    def test_unknown_key_names_file_and_line(self):
        m = self.mount(start=False)
        with open(m.conf) as fh:
            lines = fh.read().splitlines()
        lines.insert(3, "no_such_key = 1")  # line 4, in [marketfs]
        with open(m.conf, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        msg = self.assertFailsBeforeMount(m, needles=[re.escape(m.conf), "no_such_key"])
        self.assertRegex(msg, re.escape(m.conf) + r"(:4\b|.*\bline 4\b)", "the line number is not named")

    def test_unknown_provider_key_names_file_and_line(self):
        m = self.mount(start=False, binance={"bogus": "x"})
        with open(m.conf) as fh:
            lineno = fh.read().splitlines().index("bogus = x") + 1
        msg = self.assertFailsBeforeMount(m, needles=[re.escape(m.conf), "bogus"])
        self.assertRegex(msg, re.escape(m.conf) + rf"(:{lineno}\b|.*\bline {lineno}\b)")

    def test_bad_value_is_refused(self):
        for key, value in (("fetch_timeout", "soon"), ("max_age", "-5"), ("cache_dir", "relative/dir"),
                           ("max_parallel_fetches", "0")):
            with self.subTest(key=key):
                m = self.mount(start=False, name=f"bad-{key}", config={key: value})
                self.assertFailsBeforeMount(m, needles=[re.escape(m.conf), key])

    def test_missing_config_file(self):
        m = self.mount(start=False)
        missing = os.path.join(m.dir, "nope.conf")
        argv = [a.replace(m.conf, missing) for a in m.argv()[1:]]
        r = self.run_bin(*argv)
        self.assertNotEqual(r.returncode, 0)
        self.assertFalse(m.is_mounted())
        self.assertIn(missing, r.stderr)
        self.assertRegex(r.stderr, r"(?i)no such file|cannot open|not found|does not exist")

    def test_nonexistent_mountpoint(self):
        m = self.mount(start=False)
        missing = os.path.join(m.dir, "no-such-dir")
        argv = [missing if a == m.mnt else a for a in m.argv()[1:]]
        r = self.run_bin(*argv)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no-such-dir", r.stderr + m.log_text())
        self.assertFalse(os.path.exists(missing), "the mount point was created")

    def test_no_mountpoint(self):
        m = self.mount(start=False)
        r = self.run_bin("-f", "-o", f"config={m.conf}")
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr, r"(?i)mount ?point|usage")

    def test_sigterm_unmounts_cleanly(self):
        m = self.mount()
        data = m.read("AAPL/1d/2024.csv.gz")
        self.assertCsvEqual(data, expected.expected_csv("yahoo", "AAPL", "1d", 2024), "before SIGTERM")
        self.assertTrue(mounts_of(m.mnt))
        m.proc.send_signal(signal.SIGTERM)
        rc = m.wait_exit(10)
        self.assertEqual(rc, 0, "SIGTERM must end marketfs with status 0")
        self.assertFalse(mounts_of(m.mnt), "SIGTERM left the mount behind")
        self.assertFalse(m.is_mounted())
        # the cache is intact: a new daemon serves it without a request
        self.mock.reset()
        m.start()
        self.assertEqual(m.read("AAPL/1d/2024.csv.gz"), data)
        self.assertEqual(self.mock.log(), [])

    def test_sigterm_during_a_stalled_fetch(self):
        # A hung provider must not keep the daemon from stopping.
        m = self.mount(config={"fetch_timeout": "60"})
        self.mock.fault("stall", provider="yahoo", count=-1, stall_s=60)
        reader = self.popen(["cat", m.path("AAPL/1d/2024.csv.gz")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        harness.wait_for(lambda: self.mock.requests(symbol="AAPL"), 10, what="the stalled request")
        m.proc.send_signal(signal.SIGTERM)
        try:
            rc = m.wait_exit(10)
        except AssertionError:
            self.fail("SIGTERM while a reader waits on a stalled fetch: marketfs did not exit "
                      "within 10 s (fetch_timeout is 60 s); it had to be killed")
        self.assertEqual(rc, 0)
        self.assertNotEqual(reader.wait(timeout=10), 0, "the reader of a stopped mount succeeded")
        self.assertFalse(mounts_of(m.mnt))

    def test_fstab_style_options_and_source(self):
        m = self.mount(start=False, source="marketfs",
                       options=["_netdev", "nofail", "x-systemd.automount", "defaults", "noauto"])
        m.start()
        (line,) = mounts_of(m.mnt)
        fields = line.split()
        self.assertEqual(fields[2], "fuse.marketfs", line)
        self.assertIn("ro", fields[3].split(","), f"the mount is not read-only: {line}")
        self.assertCsvEqual(m.read("AAPL/1d/2024.csv.gz"),
                            expected.expected_csv("yahoo", "AAPL", "1d", 2024), "fstab-style mount")

    def test_unknown_fuse_option_is_refused(self):
        m = self.mount(start=False, options=["no_such_option"])
        # regression: libfuse's message arrives in pieces; it must be one line
        self.assertFailsBeforeMount(m, needles=[r"unknown option\(s\): `-o no_such_option'"])

    def test_cache_option_overrides_config(self):
        m = self.mount(start=False)
        other = os.path.join(m.dir, "other-cache")
        m.options = [f"cache={other}"]
        m.start()
        m.read("BTCUSDT/1d/2024.csv.gz")
        self.assertTrue(os.path.exists(os.path.join(other, "BTCUSDT/1d/2024.csv.gz")))
        self.assertFalse(os.path.exists(m.cache_path("BTCUSDT/1d/2024.csv.gz")))


if __name__ == "__main__":
    harness.main()

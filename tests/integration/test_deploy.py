#!/usr/bin/python3
"""Deployment (docs/deployment.md): what `meson install` puts where, and the
ways of mounting that the contrib files and the document describe, through
the real tools: mount(8) and mount.fuse3, an fstab line, autofs, systemd's
unit checker and fstab generator, fusermount3 for per-user mounts, and the
recovery of a dead or hung daemon.

mount(8) clears PATH before it runs mount.fuse3, whose /bin/sh then finds
`marketfs` only in the shell's default PATH (/usr/local/bin, /usr/bin, ...).
So this file installs the build into a DESTDIR once, re-executes itself in
a private mount namespace (unshare -m) and bind-mounts the installed bin
directory over /usr/local/bin there: every mount below runs the installed
binary exactly as on a machine where `meson install` ran, and nothing
outside the namespace changes (the bind mount, fusectl, a replaced
/etc/fuse.conf and every marketfs mount disappear with it).

Needs root. Environment as for the other integration tests (harness.py).
"""

import errno
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

import harness
from harness import BIN, SRC, expected

NS_ENV = "MARKETFS_DEPLOY_NS"
CONTRIB = os.path.join(SRC, "contrib")
AAPL = "AAPL/1d/2024.csv.gz"
AAPL_HEAD = "\n".join(expected.expected_csv("yahoo", "AAPL", "1d", 2024).splitlines()[:2])
FUSECTL = "/sys/fs/fuse/connections"
AUTOMOUNT = shutil.which("automount", path="/usr/sbin:/sbin:/usr/bin")
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
FSTAB_GENERATOR = next((p for p in ("/usr/lib/systemd/system-generators/systemd-fstab-generator",
                                    "/lib/systemd/system-generators/systemd-fstab-generator")
                        if os.access(p, os.X_OK)), None)
UNITS = ("mnt-market.mount", "mnt-market.automount", "marketfs.service")

INSTALL = {}  # filled by setUpModule: dest (DESTDIR), dirs (meson's, absolute), log


def run(argv, check=True, timeout=30, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited with {r.returncode}:\n{r.stdout}{r.stderr}")
    return r


def unescape_mount(s):
    """/proc/self/mountinfo and /proc/self/mounts escape blanks as \\040."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def mount_lines(path):
    """The /proc/self/mounts entries at path, as field lists, oldest first."""
    with open("/proc/self/mounts") as fh:
        return [l.split() for l in fh.read().splitlines() if unescape_mount(l.split()[1]) == path]


def fuse_mount_at(path):
    """The marketfs entry at path (over an autofs trigger if there is one), or None."""
    found = [f for f in mount_lines(path) if f[2] == "fuse.marketfs"]
    return found[-1] if found else None


def detach_foreign_fuse_mounts():
    """A new mount namespace starts with a copy of every FUSE mount of the
    other tests running now. A copy keeps its file system alive after its
    owner unmounts it (the daemon would not exit), so detach them all."""
    with open("/proc/self/mountinfo") as fh:
        lines = fh.read().splitlines()
    for line in reversed(lines):  # children after their parents: detach them first
        left, right = line.split(" - ", 1)
        fstype = right.split()[0]
        if fstype == "fuse" or fstype.startswith("fuse.") or fstype == "fuseblk":
            subprocess.run(["umount", "-l", "-i", unescape_mount(left.split()[4])],
                           capture_output=True)


def daemon_pids(conf):
    """Live marketfs processes started with config file conf (our daemons are
    not our children: mount.fuse3 started them and they daemonized)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as fh:
                argv = fh.read().split(b"\0")
            with open(f"/proc/{d}/stat") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if (os.path.basename(argv[0]) == b"marketfs" and state != "Z"
                and any(b"config=" + conf.encode() in a for a in argv)):
            pids.append(int(d))
    return pids


def access_errno(path):
    """The errno of listing path, or 0."""
    try:
        os.listdir(path)
        return 0
    except OSError as e:
        return e.errno


def installed(key, *rel):
    """A path under DESTDIR: key is a meson directory option (bindir, ...)."""
    return os.path.join(INSTALL["dest"] + INSTALL["dirs"][key], *rel)


def fstab_lines():
    """The fstab entries of contrib/fstab.example, commented out or not."""
    with open(os.path.join(CONTRIB, "fstab.example")) as fh:
        return [l.lstrip("#").split() for l in fh.read().splitlines()
                if re.match(r"#?marketfs\s", l)]


def doc_block(needle):
    """The indented command block of docs/deployment.md that contains needle."""
    with open(os.path.join(SRC, "docs", "deployment.md")) as fh:
        blocks = re.findall(r"(?:^    \S.*\n)+", fh.read(), re.M)
    found = [b for b in blocks if needle in b]
    assert len(found) == 1, f"{len(found)} blocks with {needle!r} in docs/deployment.md"
    return "\n".join(l[4:] for l in found[0].splitlines()) + "\n"


def setUpModule():
    if os.environ.get(NS_ENV) != "1":
        raise unittest.SkipTest("not in the private mount namespace (run this file directly)")
    build = os.path.dirname(os.path.dirname(os.path.abspath(BIN)))
    if not os.path.isdir(os.path.join(build, "meson-private")):
        raise AssertionError(f"{build} (from MARKETFS_BIN) is not a meson build directory")
    dest = tempfile.mkdtemp(prefix="marketfs-it-install-", dir="/tmp")
    INSTALL["dest"] = dest
    # The same artefacts as a real install, into DESTDIR (the build is current:
    # meson test built it; --no-rebuild keeps this from racing other builds).
    r = run(["meson", "install", "-C", build, "--no-rebuild", "--destdir", dest], check=False,
            timeout=120)
    INSTALL["log"] = r.stdout + r.stderr
    if r.returncode != 0:
        raise AssertionError(f"meson install failed:\n{INSTALL['log'][-3000:]}")
    opts = {o["name"]: o["value"] for o in json.loads(
        run(["meson", "introspect", "--buildoptions", build]).stdout)}
    prefix = opts["prefix"]
    INSTALL["dirs"] = {k: os.path.join(prefix, opts[k])
                       for k in ("bindir", "sysconfdir", "datadir", "mandir")}
    # Where /bin/sh's default PATH finds it: the installed bin directory.
    run(["mount", "--bind", installed("bindir"), "/usr/local/bin"])


def tearDownModule():
    if INSTALL.get("dest"):
        subprocess.run(["umount", "/usr/local/bin"], capture_output=True)
        if not harness.KEEP:
            shutil.rmtree(INSTALL["dest"], ignore_errors=True)


class DeployTest(harness.MarketfsTest):

    # -- helpers
    def setUp(self):
        super().setUp()
        os.chmod(self.workdir, 0o755)  # other users traverse it to their mounts

    def conf_mount(self, name=None, **kw):
        """A harness Mount whose configuration points at the mock; not started."""
        m = self.mount(start=False, name=name, **kw)
        self.addCleanup(self.reap_daemons, m)  # runs before m.cleanup (LIFO)
        return m

    def log_opts(self, m):
        return f"log={m.log_path},log_level=debug"

    def reap_daemons(self, m, timeout=10):
        """Unmount what is left and make sure the daemon is gone."""
        if m.is_mounted():
            subprocess.run(["umount", m.mnt], capture_output=True)
        if m.is_mounted():
            subprocess.run(["fusermount3", "-uz", m.mnt], capture_output=True)
        deadline = time.monotonic() + timeout
        while daemon_pids(m.conf) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = daemon_pids(m.conf)
        for pid in left:
            for sig in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
        if left and not m.killed:
            m.killed = True
            raise AssertionError(f"marketfs {left} did not exit {timeout} s after the unmount")

    def mount_t(self, m, opts, mnt=None):
        """mount -t fuse.marketfs marketfs MNT -o OPTS, as root."""
        mnt = mnt or m.mnt
        r = run(["mount", "-t", "fuse.marketfs", "marketfs", mnt, "-o", opts], check=False)
        self.assertEqual(r.returncode, 0, f"mount failed: {r.stdout}{r.stderr}{m.log_text()[-2000:]}")
        self.assertIsNotNone(fuse_mount_at(mnt), f"nothing of type fuse.marketfs at {mnt}")
        return r

    def umount_and_wait(self, m, argv=None):
        r = run(argv or ["umount", m.mnt], check=False)
        self.assertEqual(r.returncode, 0, f"{argv or 'umount'}: {r.stderr}")
        self.assertIsNone(fuse_mount_at(m.mnt), "still mounted after the unmount")
        harness.wait_for(lambda: not daemon_pids(m.conf), 10, what="the daemon to exit")

    def assertAaplHead(self, text, what):
        self.assertEqual(text.rstrip("\n"), AAPL_HEAD, what)

    def make_user(self):
        """A system user without a home, removed when the test ends."""
        name = f"mfsdep{os.getpid() % 100000}"
        subprocess.run(["userdel", name], capture_output=True)  # a leftover of a killed run
        run(["useradd", "-r", "-M", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", name])
        self.addCleanup(lambda: subprocess.run(["userdel", name], capture_output=True))
        uid = int(run(["id", "-u", name]).stdout)
        gid = int(run(["id", "-g", name]).stdout)
        return name, uid, gid

    def as_user(self, user, *argv, check=False, env=None):
        cmd = ["runuser", "-u", user, "--"]
        if env is not None:
            cmd += ["env", "-i"] + [f"{k}={v}" for k, v in env.items()]
        return run(cmd + list(argv), check=check)

    def kill_expect_auto_unmount(self, m, mnt):
        """SIGKILL m's daemon: auto_unmount must take the mount away."""
        (pid,) = daemon_pids(m.conf)
        m.killed = True
        os.kill(pid, signal.SIGKILL)
        try:
            harness.wait_for(lambda: fuse_mount_at(mnt) is None, 10,
                             what="auto_unmount to remove the dead mount")
        except AssertionError:
            # libfuse 3.14's fusermount3 unmounts only if its check of the mount
            # point fails with ENOTCONN; if that check was queued while the
            # daemon was still exiting it gets ECONNABORTED and leaves the mount
            # (seen under parallel load). Then the documented fallback applies.
            err = access_errno(mnt)
            self.assertIn(err, (errno.ENOTCONN, errno.ECONNABORTED),
                          f"the dead mount answers {err}, and auto_unmount left it")
            print("\nnote: auto_unmount missed the dead mount (fusermount3 saw "
                  "ECONNABORTED); detached with fusermount3 -uz", file=sys.stderr)
            run(["fusermount3", "-uz", mnt])
        self.assertEqual(os.listdir(mnt), [], "the bare mount point is not back")

    # -- 1. meson install
    def test_install_layout(self):
        for name in ("marketfs", "marketfs-ctl"):
            p = installed("bindir", name)
            self.assertTrue(os.access(p, os.X_OK), f"{p} is not installed")
        r = run(["/usr/local/bin/marketfs", "--version"])
        self.assertIn("marketfs", r.stdout)
        self.assertEqual(run(["/usr/local/bin/marketfs-ctl", "--help"], check=False).returncode, 0)

        conf = installed("sysconfdir", "marketfs", "marketfs.conf")
        self.assertTrue(os.path.isfile(conf), f"{conf} is not installed")
        self.assertEqual(stat.S_IMODE(os.stat(conf).st_mode), 0o600, f"{conf} is not mode 0600")
        with open(conf) as a, open(os.path.join(CONTRIB, "marketfs.conf")) as b:
            self.assertEqual(a.read(), b.read(), "the installed configuration is not the example")

        doc = installed("datadir", "doc", "marketfs", "contrib")
        for rel in ("marketfs.conf", "fstab.example", "systemd/mnt-market.mount",
                    "systemd/mnt-market.automount", "systemd/marketfs.service",
                    "autofs/auto.market", "autofs/market.autofs"):
            with open(os.path.join(doc, rel)) as a, open(os.path.join(CONTRIB, rel)) as b:
                self.assertEqual(a.read(), b.read(), f"{doc}/{rel} differs from contrib/{rel}")

    def test_install_keeps_an_existing_configuration(self):
        conf = installed("sysconfdir", "marketfs", "marketfs.conf")

        def restore():  # as installed, for test_install_layout
            shutil.copyfile(os.path.join(CONTRIB, "marketfs.conf"), conf)
            os.chmod(conf, 0o600)
        self.addCleanup(restore)
        with open(conf, "a") as fh:
            fh.write("# edited by the administrator\n")
        os.chmod(conf, 0o640)
        build = os.path.dirname(os.path.dirname(os.path.abspath(BIN)))
        run(["meson", "install", "-C", build, "--no-rebuild", "--destdir", INSTALL["dest"]],
            timeout=120)
        with open(conf) as fh:
            self.assertIn("# edited by the administrator", fh.read(), "meson install overwrote it")
        self.assertEqual(stat.S_IMODE(os.stat(conf).st_mode), 0o640, "its mode was changed")

    def test_man_pages_installed(self):
        mandir = os.path.join(SRC, "docs", "man")
        with open(os.path.join(SRC, "meson.build")) as fh:
            wired = "subdir('docs/man')" in fh.read()
        if not os.path.isdir(mandir) or not wired:
            self.skipTest("no man/ in the source tree (or not in meson.build) yet")
        pages = [re.sub(r"\.in$", "", n) for n in sorted(os.listdir(mandir))
                 if re.search(r"\.[1-8](\.in)?$", n)]
        if not pages:
            self.skipTest(f"no NAME.N pages in {mandir}")
        for page in pages:
            p = installed("mandir", "man" + page[-1], page)
            self.assertTrue(os.path.isfile(p) or os.path.isfile(p + ".gz"), f"{p} is not installed")

    # -- 2. mount(8)
    def test_mount_type_fuse_marketfs(self):
        m = self.conf_mount()
        self.mount_t(m, f"config={m.conf},_netdev,defaults,nofail,x-systemd.automount,"
                        f"allow_other,{self.log_opts(m)}")
        fields = fuse_mount_at(m.mnt)
        self.assertEqual(fields[0], "marketfs", fields)
        self.assertIn("ro", fields[3].split(","), f"not read-only: {fields}")
        self.assertIn("allow_other", fields[3].split(","), fields)
        (pid,) = daemon_pids(m.conf)
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = fh.read().decode().split("\0")
        self.assertEqual(argv[1:3], ["marketfs", m.mnt], f"SOURCE and MOUNTPOINT: {argv}")
        self.assertEqual(os.readlink(f"/proc/{pid}/exe"), "/usr/local/bin/marketfs",
                         "mount.fuse3 did not run the installed marketfs")
        self.assertCsvEqual(m.read(AAPL), expected.expected_csv("yahoo", "AAPL", "1d", 2024),
                            "read through mount -t fuse.marketfs")
        self.umount_and_wait(m)

    def test_fstab_example_lines(self):
        """Both lines of contrib/fstab.example, with only the mount point and the
        config path changed: `mount MNT` and `umount MNT`, as for /mnt/market."""
        lines = fstab_lines()
        self.assertEqual(len(lines), 2, "fstab.example should have two entries")
        # docs/deployment.md appends the active line with grep: exactly line 1
        pick = [l for l in doc_block("fstab.example").splitlines() if l.startswith("grep -v ")]
        self.assertEqual(len(pick), 1)
        pick = pick[0].split(" >> ")[0].replace("/usr/local/share/doc/marketfs/contrib",
                                                installed("datadir", "doc", "marketfs", "contrib"))
        self.assertEqual(run(["sh", "-ec", pick]).stdout.split("\n"), [" ".join(lines[0]), ""])
        for i, fields in enumerate(lines):
            with self.subTest(line=i + 1):
                self.assertEqual(fields[:3], ["marketfs", "/mnt/market", "fuse.marketfs"])
                opts = fields[3].split(",")
                self.assertIn("config=/etc/marketfs/marketfs.conf", opts)
                self.assertIn("_netdev", opts)
                m = self.conf_mount(name=f"fstab{i}")
                opts = [f"config={m.conf}" if o.startswith("config=") else o for o in opts]
                fstab = os.path.join(m.dir, "fstab")
                with open(fstab, "w") as fh:
                    fh.write(f"marketfs {m.mnt} fuse.marketfs {','.join(opts)},{self.log_opts(m)}"
                             f" {fields[4]} {fields[5]}\n")
                r = run(["mount", "--fstab", fstab, m.mnt], check=False)
                self.assertEqual(r.returncode, 0, f"mount {m.mnt}: {r.stderr}{m.log_text()[-2000:]}")
                fields_now = fuse_mount_at(m.mnt)
                self.assertIsNotNone(fields_now, "mount MNT mounted nothing")
                self.assertTrue({"ro", "allow_other", "default_permissions"}
                                <= set(fields_now[3].split(",")), fields_now)
                self.assertCsvEqual(m.read(AAPL), expected.expected_csv("yahoo", "AAPL", "1d", 2024),
                                    f"fstab line {i + 1}")
                self.umount_and_wait(m)

    def test_dev_fd_mountpoint(self):
        """drop_privileges: mount.fuse3 mounts itself and hands marketfs /dev/fd/N."""
        m = self.conf_mount()
        self.mount_t(m, f"ro,allow_other,default_permissions,drop_privileges,config={m.conf},"
                        f"{self.log_opts(m)}")
        (pid,) = daemon_pids(m.conf)
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = fh.read().decode().split("\0")
        self.assertRegex(argv[2], r"^/dev/fd/\d+$", f"not given /dev/fd/N: {argv}")
        with open(f"/proc/{pid}/status") as fh:
            self.assertRegex(fh.read(), r"CapEff:\s+0+\n", "the daemon kept its capabilities")
        self.assertIn("ro", fuse_mount_at(m.mnt)[3].split(","))
        self.assertCsvEqual(m.read(AAPL), expected.expected_csv("yahoo", "AAPL", "1d", 2024),
                            "read through a /dev/fd/N mount")
        self.umount_and_wait(m)

    # -- 3. other users
    def test_other_user_reads_through_allow_other(self):
        user, uid, _ = self.make_user()
        m = self.conf_mount(name="shared")
        os.chmod(m.dir, 0o755)
        self.mount_t(m, f"allow_other,default_permissions,config={m.conf},{self.log_opts(m)}")
        path = m.path(AAPL)
        r = self.as_user(user, "/bin/sh", "-c", f"cat '{path}' | zcat | head -2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertAaplHead(r.stdout, f"{user} reading {AAPL}")
        writes = (f"import errno, os\n"
                  f"for p, fl in (({path!r}, os.O_WRONLY), ({m.path('AAPL/1d/new.csv')!r},"
                  f" os.O_WRONLY | os.O_CREAT), ({m.path('AAPL/1d/new')!r}, None)):\n"
                  f"    try:\n"
                  f"        os.mkdir(p) if fl is None else os.open(p, fl, 0o644)\n"
                  f"        print('OK', p)\n"
                  f"    except OSError as e:\n"
                  f"        print(errno.errorcode[e.errno], p)\n")
        r = self.as_user(user, "/usr/bin/python3", "-I", "-c", writes)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = [l.split()[0] for l in r.stdout.splitlines()]
        self.assertEqual(len(got), 3, r.stdout)
        for code, line in zip(got, r.stdout.splitlines()):
            # the mount is read-only: the kernel says so before it checks modes
            self.assertEqual(code, "EROFS", f"{user} writing: {line}")
        self.assertErrno(errno.EROFS, os.open, path, os.O_WRONLY, what="root writing")
        self.umount_and_wait(m)

        # Without allow_other only the mounting user (root) gets in.
        self.mount_t(m, f"default_permissions,config={m.conf},{self.log_opts(m)}")
        r = self.as_user(user, "ls", m.mnt)
        self.assertNotEqual(r.returncode, 0, "read without allow_other")
        self.assertIn("Permission denied", r.stderr)
        self.umount_and_wait(m)

    def world_rw_dev_fuse(self):
        """libfuse opens /dev/fuse itself before it falls back to fusermount3,
        so users need it mode 0666, as Debian's udev rules make it. Where it is
        not (this machine may have 0600), put a 0666 node over it in this
        namespace."""
        if stat.S_IMODE(os.stat("/dev/fuse").st_mode) & 0o006 == 0o006:
            return
        st = os.stat("/dev/fuse")
        node = os.path.join(self.workdir, "fuse-dev")
        try:
            os.mknod(node, 0o666 | stat.S_IFCHR, st.st_rdev)
            os.chmod(node, 0o666)
            run(["mount", "--bind", node, "/dev/fuse"])
        except (OSError, AssertionError) as e:
            self.skipTest(f"/dev/fuse is not 0666 and cannot be made so here: {e}")
        self.addCleanup(subprocess.run, ["umount", "/dev/fuse"], capture_output=True)

    def test_user_mount_without_root(self):
        """A user mounts on a directory of their own with fusermount3; the cache
        goes to $XDG_CACHE_HOME/marketfs; allow_other needs user_allow_other."""
        self.world_rw_dev_fuse()
        user, uid, gid = self.make_user()
        m = self.conf_mount(name="user", config={"cache_dir": None})
        home = os.path.join(m.dir, "home")
        os.makedirs(os.path.join(home, "market"))
        for d in (home, os.path.join(home, "market")):
            os.chown(d, uid, gid)
        os.chmod(m.dir, 0o755)
        os.chmod(m.conf, 0o644)
        mnt = os.path.join(home, "market")
        m.mnt = mnt
        m.log_path = os.path.join(home, "marketfs.log")
        env = {"HOME": home, "XDG_CACHE_HOME": os.path.join(home, ".cache"),
               "PATH": "/usr/local/bin:/usr/bin:/bin"}
        opts = f"auto_unmount,config={m.conf},{self.log_opts(m)}"

        r = self.as_user(user, "marketfs", mnt, "-o", opts, env=env)
        self.assertEqual(r.returncode, 0, f"{r.stderr}{m.log_text()[-2000:]}")
        fields = fuse_mount_at(mnt)
        self.assertIsNotNone(fields, "the user's mount is not there")
        self.assertIn(f"user_id={uid}", fields[3], fields)
        r = self.as_user(user, "/bin/sh", "-c", f"zcat '{mnt}/{AAPL}' | head -2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertAaplHead(r.stdout, "the user reading their own mount")
        cached = os.path.join(home, ".cache", "marketfs", AAPL)
        self.assertTrue(os.path.isfile(cached), f"not cached under $XDG_CACHE_HOME: {cached}")
        self.assertEqual(os.stat(cached).st_uid, uid)
        self.assertErrno(errno.EACCES, os.listdir, mnt, what="root in a user's mount")
        r = self.as_user(user, "fusermount3", "-u", mnt, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        harness.wait_for(lambda: not daemon_pids(m.conf), 10, what="the user's daemon to exit")

        # allow_other is refused to users until /etc/fuse.conf says user_allow_other
        r = self.as_user(user, "marketfs", mnt, "-o", opts + ",allow_other", env=env)
        self.assertNotEqual(r.returncode, 0, "allow_other without user_allow_other")
        self.assertIn("user_allow_other", r.stderr + m.log_text())
        self.assertIsNone(fuse_mount_at(mnt))
        fuse_conf = os.path.join(m.dir, "fuse.conf")
        with open(fuse_conf, "w") as fh:
            fh.write("user_allow_other\n")
        run(["mount", "--bind", fuse_conf, "/etc/fuse.conf"])  # this namespace only
        self.addCleanup(subprocess.run, ["umount", "/etc/fuse.conf"], capture_output=True)
        r = self.as_user(user, "marketfs", mnt, "-o", opts + ",allow_other", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("allow_other", fuse_mount_at(mnt)[3])
        self.assertIn(AAPL.split("/")[1], os.listdir(os.path.join(mnt, "AAPL")))  # root gets in
        self.kill_expect_auto_unmount(m, mnt)  # a user's auto_unmount works too

    # -- dead and hung daemons (docs/deployment.md "Recovering a dead mount")
    def test_dead_daemon_fusermount_uz(self):
        m = self.conf_mount()
        opts = f"allow_other,config={m.conf},{self.log_opts(m)}"
        self.mount_t(m, opts)
        m.read(AAPL)
        (pid,) = daemon_pids(m.conf)
        m.killed = True
        os.kill(pid, signal.SIGKILL)
        harness.wait_for(lambda: not daemon_pids(m.conf), 10, what="the daemon to die")
        # An access that was on its way while the daemon's threads were still
        # exiting gets ECONNABORTED; after that every access gets ENOTCONN.
        harness.wait_for(lambda: access_errno(m.mnt) == errno.ENOTCONN, 10,
                         what="ENOTCONN from the dead mount")
        run(["fusermount3", "-uz", m.mnt])
        self.assertIsNone(fuse_mount_at(m.mnt))
        self.mount_t(m, opts)  # and it mounts again on the same cache
        self.assertCsvEqual(m.read(AAPL), expected.expected_csv("yahoo", "AAPL", "1d", 2024),
                            "after the recovery")
        self.umount_and_wait(m)

    def test_dead_daemon_auto_unmount(self):
        """The contrib mounts use auto_unmount: a killed daemon takes its mount
        with it, so there is no ENOTCONN mount point left to clean up."""
        (fields, _) = fstab_lines()
        opts = fields[3].split(",")
        self.assertIn("auto_unmount", opts)
        m = self.conf_mount()
        opts = [f"config={m.conf}" if o.startswith("config=") else o for o in opts]
        self.mount_t(m, ",".join(opts + [self.log_opts(m)]))
        m.read(AAPL)
        self.kill_expect_auto_unmount(m, m.mnt)

    def test_hung_daemon_abort(self):
        m = self.conf_mount()
        self.mount_t(m, f"allow_other,config={m.conf},{self.log_opts(m)}")
        (pid,) = daemon_pids(m.conf)
        if not os.listdir(FUSECTL):  # nobody mounted fusectl: do it (namespace only)
            run(["mount", "-t", "fusectl", "fusectl", FUSECTL])
            self.addCleanup(subprocess.run, ["umount", FUSECTL], capture_output=True)
        m.killed = True
        os.kill(pid, signal.SIGSTOP)
        self.addCleanup(lambda: [os.kill(p, signal.SIGKILL) for p in daemon_pids(m.conf)])
        reader = self.popen(["cat", m.path(AAPL)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
        time.sleep(0.5)
        self.assertIsNone(reader.poll(), "the reader of a stopped daemon did not block")
        # the commands of docs/deployment.md, with the mount point replaced
        run(["sh", "-ec", doc_block("/abort").replace("/mnt/market", m.mnt)])
        _, err = reader.communicate(timeout=10)
        self.assertNotEqual(reader.returncode, 0)
        self.assertRegex(err.decode(), "Transport endpoint is not connected|Software caused "
                                       "connection abort", err)
        self.assertIsNone(fuse_mount_at(m.mnt))
        os.kill(pid, signal.SIGCONT)  # it notices the abort and exits
        harness.wait_for(lambda: not daemon_pids(m.conf), 10, what="the aborted daemon to exit")

    # -- 4. systemd and autofs
    def unit_text(self, name):
        with open(os.path.join(CONTRIB, "systemd", name)) as fh:
            return fh.read()

    def unit_values(self, name):
        """{key: [values]} of a unit file (all sections)."""
        out = {}
        for line in self.unit_text(name).splitlines():
            m = re.match(r"^([A-Za-z]+)=(.*)$", line)
            if m:
                out.setdefault(m.group(1), []).append(m.group(2))
        return out

    def test_systemd_units(self):
        mount, auto, svc = (self.unit_values(u) for u in UNITS)
        self.assertEqual(mount["Where"], ["/mnt/market"])
        self.assertEqual(auto["Where"], ["/mnt/market"])
        self.assertEqual(mount["What"], ["marketfs"])
        self.assertEqual(mount["Type"], ["fuse.marketfs"])
        mopts = mount["Options"][0].split(",")
        self.assertIn("config=/etc/marketfs/marketfs.conf", mopts)
        self.assertIn("_netdev", mopts)
        self.assertTrue(auto.get("TimeoutIdleSec"), "the automount never unmounts")
        self.assertEqual(svc["Restart"], ["on-failure"])
        self.assertRegex(svc["ExecStart"][0], r"^/\S+/marketfs marketfs /mnt/market -f -o \S*"
                                              r"config=/etc/marketfs/marketfs\.conf")
        self.assertIn("/bin/fusermount3 -uz /mnt/market", svc["ExecStopPost"][0])
        if shutil.which("systemd-escape"):
            r = run(["systemd-escape", "-p", "--suffix=mount", "/mnt/market"])
            self.assertEqual(r.stdout.strip(), "mnt-market.mount")
        if not SYSTEMD_ANALYZE:
            self.skipTest("systemd-analyze is not installed: units not verified")
        # man:marketfs(1): checked when the man pages are installed
        man = installed("mandir")
        env = dict(os.environ)
        has_man = os.path.exists(os.path.join(man, "man1", "marketfs.1")) or \
            os.path.exists(os.path.join(man, "man1", "marketfs.1.gz"))
        if has_man:
            env["MANPATH"] = man
        units = [os.path.join(CONTRIB, "systemd", u) for u in UNITS]
        r = run([SYSTEMD_ANALYZE, "verify", f"--man={'yes' if has_man else 'no'}", *units],
                check=False, env=env)
        self.assertEqual(r.returncode, 0, f"systemd-analyze verify:\n{r.stdout}{r.stderr}")
        for u in UNITS:
            self.assertNotIn(u, r.stdout + r.stderr, f"systemd-analyze verify warns:\n{r.stderr}")
        if not has_man:
            print("\nnote: man pages not installed; verified with --man=no", file=sys.stderr)

    def test_fstab_x_systemd_automount(self):
        """systemd's own fstab generator on the lines of fstab.example: the mount
        is a remote one, the automount line gives an automount started at boot."""
        if not FSTAB_GENERATOR or not SYSTEMD_ANALYZE:
            self.skipTest("systemd-fstab-generator or systemd-analyze is not installed")
        for i, fields in enumerate(fstab_lines()):
            with self.subTest(line=i + 1):
                d = os.path.join(self.workdir, f"gen{i}")
                outs = [os.path.join(d, n) for n in ("normal", "early", "late")]
                for o in outs:
                    os.makedirs(o)
                fstab = os.path.join(d, "fstab")
                with open(fstab, "w") as fh:
                    fh.write(" ".join(fields) + "\n")
                run([FSTAB_GENERATOR, *outs],
                    env=dict(os.environ, SYSTEMD_FSTAB=fstab, SYSTEMD_PROC_CMDLINE=""))
                out = outs[0]
                self.assertTrue(os.path.isfile(os.path.join(out, "mnt-market.mount")))
                units = [os.path.join(out, "mnt-market.mount")]
                if "x-systemd.automount" in fields[3]:
                    units.append(os.path.join(out, "mnt-market.automount"))
                    self.assertTrue(os.path.exists(os.path.join(
                        out, "remote-fs.target.wants", "mnt-market.automount")),
                        "the automount is not started at boot")
                else:
                    self.assertTrue(any(os.path.exists(os.path.join(out, f"remote-fs.target.{w}",
                                                                    "mnt-market.mount"))
                                        for w in ("wants", "requires")),
                                    "not mounted at boot as a remote file system")
                r = run([SYSTEMD_ANALYZE, "verify", "--man=no", *units], check=False)
                self.assertEqual(r.returncode, 0, f"{r.stdout}{r.stderr}")

    def test_autofs_direct_map(self):
        """contrib/autofs with the paths replaced, run by a real automount
        (without environment): mounted on first access, unmounted when idle."""
        with open(os.path.join(CONTRIB, "autofs", "market.autofs")) as fh:
            master = [l for l in fh.read().splitlines() if l and not l.startswith("#")]
        with open(os.path.join(CONTRIB, "autofs", "auto.market")) as fh:
            entry = [l for l in fh.read().splitlines() if l and not l.startswith("#")]
        self.assertEqual(len(master), 1)
        self.assertEqual(master[0].split()[:2], ["/-", "/etc/auto.market"])
        self.assertEqual(len(entry), 1)
        key, opts, loc = entry[0].split()
        self.assertEqual(key, "/mnt/market")
        self.assertTrue(opts.startswith("-fstype=fuse.marketfs,"), opts)
        self.assertIn("config=/etc/marketfs/marketfs.conf", opts.split(","))
        if not AUTOMOUNT:
            self.skipTest("autofs is not installed: the maps were checked, not run")
        if os.path.exists("/run/autofs.fifo--") or subprocess.run(
                ["pgrep", "-x", "automount"], capture_output=True).returncode == 0:
            self.skipTest("an automount daemon is running here; not starting another")
        m = self.conf_mount(name="autofs")
        amap = os.path.join(m.dir, "auto.market")
        with open(amap, "w") as fh:
            fh.write(f"{m.mnt} {opts.replace('/etc/marketfs/marketfs.conf', m.conf)},"
                     f"{self.log_opts(m)} {loc}\n")
        amaster = os.path.join(m.dir, "auto.master")
        with open(amaster, "w") as fh:
            fh.write(master[0].replace("/etc/auto.market", amap).replace("--timeout=600",
                                                                         "--timeout=2") + "\n")
        alog = open(os.path.join(m.dir, "automount.log"), "wb")
        self.addCleanup(alog.close)
        am = self.popen(["env", "-i", AUTOMOUNT, "-f", "-d", amaster], stdout=alog, stderr=alog,
                        start_new_session=True)  # its own group: our reads trigger mounts

        def stop_automount():
            if am.poll() is None:
                am.terminate()
                try:
                    am.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    am.kill()
            for f in mount_lines(m.mnt):
                subprocess.run(["umount", "-l", "-i", m.mnt], capture_output=True)
        self.addCleanup(stop_automount)
        harness.wait_for(lambda: any(f[2] == "autofs" for f in mount_lines(m.mnt)), 10,
                         what="the autofs trigger")
        self.assertCsvEqual(m.read(AAPL), expected.expected_csv("yahoo", "AAPL", "1d", 2024),
                            "read through autofs")
        self.assertIsNotNone(fuse_mount_at(m.mnt))

        # A dead daemon: its mount goes (auto_unmount, else fusermount3 -uz as
        # documented), and the next access mounts a new one.
        (pid,) = daemon_pids(m.conf)
        m.killed = True
        os.kill(pid, signal.SIGKILL)
        harness.wait_for(lambda: not daemon_pids(m.conf), 10, what="the daemon to die")
        try:
            harness.wait_for(lambda: fuse_mount_at(m.mnt) is None, 5, what="auto_unmount")
        except AssertionError:
            run(["fusermount3", "-uz", m.mnt])
        self.assertCsvEqual(m.read(AAPL), expected.expected_csv("yahoo", "AAPL", "1d", 2024),
                            "read through autofs after the daemon died")
        self.assertEqual(len(daemon_pids(m.conf)), 1, "autofs did not start a new daemon")
        harness.wait_for(lambda: fuse_mount_at(m.mnt) is None, 20, interval=0.2,
                         what="autofs to unmount the idle mount")
        harness.wait_for(lambda: not daemon_pids(m.conf), 10, what="the daemon to exit")
        stop_automount()
        self.assertEqual(am.returncode, 0, "automount failed")


def main():
    if os.environ.get(NS_ENV) != "1":
        if os.geteuid() != 0:
            print("SKIP: the deployment tests need root (mount(8), useradd, namespaces)")
            sys.exit(77)
        env = dict(os.environ, **{NS_ENV: "1"})
        os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private",
                               harness.PYTHON, os.path.abspath(__file__), *sys.argv[1:]], env)
    detach_foreign_fuse_mounts()
    harness.main()


if __name__ == "__main__":
    main()

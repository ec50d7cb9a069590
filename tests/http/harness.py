"""tests/http/harness.py: what the HTTP suites (test_api.py, test_access.py) share: the check
counters and their "N passed, N failed" line, the database (a SQLite file in a fresh temporary
folder, or a fresh PostgreSQL database when KINFLOW_TEST_PG is set) and environment, the real
server on a loopback port and its end, one HTTP exchange, the CLI, and the check of every
response against the API's contract at the end (contract.py).

Python 3 standard library only; no scenario and no expected answer lives here. Every server
started through Server listens on 127.0.0.1 and is killed at exit, pass or fail."""

import atexit
import http.client
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile

import contract  # records every response, for the contract check at the end (contract.py)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
K = os.environ.get("KINFLOW_BIN") or os.path.join(ROOT, "kinflow")
TMP = tempfile.mkdtemp(prefix="kinflow-http.")
# The store under test: SQLite files in TMP, or, when KINFLOW_TEST_PG names a running cluster's
# folder (scripts/pg-cluster.sh; tests/run.sh with STORE=postgresql), fresh PostgreSQL
# databases, dropped at exit. A check that means nothing on this store calls skip().
PG_CLUSTER = os.path.abspath(os.environ["KINFLOW_TEST_PG"]) if os.environ.get("KINFLOW_TEST_PG") else None
STORE = "postgresql" if PG_CLUSTER else "sqlite"
PG_CTL = os.path.join(ROOT, "scripts", "pg-cluster.sh")
_PG_DATABASES = []


def new_db(name):
    """A fresh database of this suite's for KINFLOW_DB: TMP/NAME.db on SQLite, a new database
    on the PostgreSQL cluster (dropped at exit)."""
    if STORE == "sqlite":
        return os.path.join(TMP, name + ".db")
    uri = subprocess.run([PG_CTL, "newdb", PG_CLUSTER], check=True, text=True,
                         stdout=subprocess.PIPE).stdout.strip()
    _PG_DATABASES.append(uri.rsplit("/", 1)[1])
    return uri


def _drop_databases():
    while _PG_DATABASES:
        name = _PG_DATABASES.pop()
        if subprocess.run([PG_CTL, "dropdb", PG_CLUSTER, name]).returncode:
            sys.stderr.write("could not drop database %s\n" % name)


try:
    DB = new_db("kinflow")
except (OSError, subprocess.CalledProcessError) as _e:
    print("FAIL setup: no database on the PostgreSQL cluster in %s: %s" % (PG_CLUSTER, _e))
    print("0 passed, 1 failed", flush=True)
    sys.exit(1)
# The CLI's and the servers' environment: the caller's, without the settings a suite sets
# itself (each suite adds its own, e.g. KINFLOW_CONSOLE_TIMEOUT).
ENV = dict(os.environ)
for _k in ("KINFLOW_NOW", "KINFLOW_SESSION_IDLE", "KINFLOW_SESSION_ABSOLUTE",
           "KINFLOW_COOKIE_SECURE", "KINFLOW_TRUSTED_PROXY", "KINFLOW_GLASS_HOURS",
           "KINFLOW_CONSOLE_TIMEOUT", "KINFLOW_CONSOLE_HEAD_TIMEOUT", "KINFLOW_CONSOLE_REQUEST_TIMEOUT",
           "KINFLOW_CONSOLE_CONNECTIONS", "KINFLOW_CONSOLE_PER_ADDRESS"):
    ENV.pop(_k, None)
ENV.update(KINFLOW_DB=DB, KINFLOW_ACTOR="tester")

_COUNT = {"passed": 0, "failed": 0}
SERVERS = []


def ok(name):
    _COUNT["passed"] += 1
    print("ok   " + name, flush=True)


def fail(name, why):
    _COUNT["failed"] += 1
    print("FAIL %s: %s" % (name, str(why).replace("\n", " ")[:700]), flush=True)


def skip(name, why):
    """A check left out on this store (STORE): printed, counted neither way."""
    print("skip %s: %s" % (name, why), flush=True)


def check(name, cond, why=""):
    if cond:
        ok(name)
    else:
        fail(name, why or "condition not met")
    return cond


# ---- servers -------------------------------------------------------------------------------

class Server:
    """`kinflow serve` on bind (127.0.0.1 unless said), a port the kernel picks, with args
    added; ENV with extra_env on top."""

    def __init__(self, name, extra_env=None, args=(), bind="127.0.0.1"):
        env = dict(ENV)
        env.update(extra_env or {})
        self.name = name
        self.bind = bind
        self.err_path = os.path.join(TMP, name + ".stderr")
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen([K, "serve", "--bind", bind, "--port", "0", *args],
                                     cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=self.err, text=True)
        SERVERS.append(self)
        if os.environ.get("KINFLOW_HTTP_PIDS"):  # run.sh kills these if the suite is killed
            with open(os.environ["KINFLOW_HTTP_PIDS"], "a") as f:
                f.write("%d\n" % self.proc.pid)
        ready, _, _ = select.select([self.proc.stdout], [], [], 20)
        line = self.proc.stdout.readline() if ready else ""
        m = re.match(r"kinflow console on http://%s:(\d+)/$" % re.escape(bind), line.strip())
        if not m:
            raise RuntimeError("server %s did not start: %r; stderr: %s"
                               % (name, line, self.stderr()))
        self.port = int(m.group(1))

    def stderr(self):
        try:
            with open(self.err_path) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, wait=10):
        """Signal the server; its exit status (None if it had to be killed) and the rest of
        its stdout."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            out, _ = self.proc.communicate(timeout=wait)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
            return None, out
        return self.proc.returncode, out


def stop_all():
    for s in SERVERS:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()
    if os.environ.get("KINFLOW_HTTP_PIDS"):
        open(os.environ["KINFLOW_HTTP_PIDS"], "w").close()
    _drop_databases()
    shutil.rmtree(TMP, ignore_errors=True)


atexit.register(stop_all)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))


def check_no_crashes():
    bad = [s.name for s in SERVERS
           if re.search(r"AddressSanitizer|runtime error:|LeakSanitizer|Segmentation", s.stderr())]
    check("no sanitizer reports or crashes in the servers' stderr", not bad,
          "; ".join(s.stderr()[-1500:] for s in SERVERS if s.name in bad))


def run(main, document_checks=False):
    """Runs a suite's main; a raise is one failure. Then checks every response it received
    against the API's OpenAPI document (contract.py; document_checks: the document itself
    too). Prints the counts; exit 1 on any failure."""
    try:
        main()
    except Exception as e:  # noqa: BLE001
        fail("setup", repr(e))
        for s in SERVERS:
            sys.stdout.write("--- %s stderr:\n%s\n" % (s.name, s.stderr()[-2000:]))
    contract.finish(ok, fail, document_checks)
    print("%d passed, %d failed" % (_COUNT["passed"], _COUNT["failed"]), flush=True)
    sys.exit(1 if _COUNT["failed"] else 0)


# ---- HTTP ----------------------------------------------------------------------------------

class Resp:
    def __init__(self, status, headers, raw, what=""):
        self.status = status
        self.headers = headers
        self.raw = raw
        self.what = what  # the request, for messages ("GET /api/x as ana")
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def error(self):
        return (self.json or {}).get("error", "") if isinstance(self.json, dict) else ""

    def glass(self):
        """Whether a refusal offers breaking the glass."""
        return isinstance(self.json, dict) and self.json.get("glass") is True

    def __repr__(self):
        if self.what:
            return "%s -> %d %s" % (self.what, self.status, self.raw[:400])
        return "%d %s" % (self.status, self.raw[:300])


class Who:
    def __init__(self, token, csrf, login, role):
        self.token, self.csrf, self.login, self.role = token, csrf, login, role


def exchange(server, method, path, body=None, headers=None, raw=None, source=None, timeout=15,
             what=""):
    """One request to server: body as JSON, or raw bytes sent as JSON; a Resp."""
    conn = http.client.HTTPConnection(getattr(server, "bind", "127.0.0.1"), server.port,
                                      timeout=timeout,
                                      source_address=(source, 0) if source else None)
    h = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    if raw is not None:
        data = raw
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    try:
        if "Host" in h:  # a Host of the caller's choosing, instead of the one http.client adds
            conn.putrequest(method, path, skip_host=True)
            for k, v in h.items():
                conn.putheader(k, v)
            if data is not None:
                conn.putheader("Content-Length", str(len(data)))
            conn.endheaders(data)
        else:
            conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        return Resp(r.status, r.getheaders(), r.read().decode("utf-8", "replace"), what)
    finally:
        conn.close()


def session_of(r):
    """The session token a sign-in answer's cookie carries, or None."""
    m = re.match(r"(?:__Host-)?kf_session=([0-9a-f]+);", r.header("Set-Cookie") or "")
    return m.group(1) if m else None


# ---- the CLI -------------------------------------------------------------------------------

def kf(*args, stdin=None, env=None):
    p = subprocess.run([K, *args], cwd=ROOT, env=env or ENV, input=stdin, capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def init_library(kf_=kf):
    """A new database with the programme library (every workflows/*.lua but the .test.lua
    files) deployed, through kf_ (a suite's own kf, for its clock); raises if either fails."""
    rc, out, err = kf_("init")
    if rc:
        raise RuntimeError("init: " + err)
    files = sorted(os.path.join("workflows", f) for f in os.listdir(os.path.join(ROOT, "workflows"))
                   if f.endswith(".lua") and not f.endswith(".test.lua"))
    rc, out, err = kf_("deploy", *files)
    if rc:
        raise RuntimeError("deploy: " + err)

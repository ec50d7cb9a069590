"""tests/http/contract.py: the HTTP suites' tie to the API's contract, the OpenAPI document
plugins/console/openapi.json. Importing it records every response that http.client reads in
full (method, path, status, content type, body, and the request's body when it was one
piece) into tests/out/contract-SUITE-PID.jsonl (removed when it validates);
finish() then has tests/http/validate.mjs (ajv, draft 2020-12) validate each against the
document, and reports one line per kind of response (method, route, status) through the
suite's own ok/fail. It changes no request and no answer the tests see."""

import http.client
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SUITE = os.path.splitext(os.path.basename(sys.argv[0]))[0]
# one log a run (the process id in its name): `make test` and `make asan` may run the same
# suite at the same time in one tree
LOG = os.path.join(ROOT, "tests", "out", "contract-%s-%d.jsonl" % (SUITE, os.getpid()))
os.makedirs(os.path.dirname(LOG), exist_ok=True)
_out = open(LOG, "w")

_request = http.client.HTTPConnection.request
_putrequest = http.client.HTTPConnection.putrequest
_getresponse = http.client.HTTPConnection.getresponse
_read = http.client.HTTPResponse.read


def _send(self, method, url, body=None, *args, **kwargs):
    self._contract_body = body if isinstance(body, (bytes, str)) else None
    return _request(self, method, url, body, *args, **kwargs)


def _put(self, method, url, *args, **kwargs):
    self._contract_request = (method, url)
    return _putrequest(self, method, url, *args, **kwargs)


def _get(self, *args, **kwargs):
    r = _getresponse(self, *args, **kwargs)
    r._contract_request = getattr(self, "_contract_request", None)
    r._contract_body = getattr(self, "_contract_body", None)
    self._contract_body = None
    return r


def _whole(self, amt=None):
    data = _read(self, amt)
    what = getattr(self, "_contract_request", None)
    if amt is None and what:
        self._contract_request = None
        sent = self._contract_body
        if isinstance(sent, bytes):
            sent = sent.decode("utf-8", "replace")
        _out.write(json.dumps({"method": what[0], "path": what[1], "status": self.status,
                               "type": self.getheader("Content-Type") or "",
                               "body": data.decode("utf-8", "replace"), "sent": sent}) + "\n")
        _out.flush()
    return data


http.client.HTTPConnection.request = _send
http.client.HTTPConnection.putrequest = _put
http.client.HTTPConnection.getresponse = _get
http.client.HTTPResponse.read = _whole


def finish(ok, fail, document_checks=False):
    """Validates what was recorded; document_checks adds the document's own checks (its
    routes against `kinflow serve --routes`, and the linter). Each result goes to ok/fail."""
    _out.close()
    cmd = ["node", os.path.join(HERE, "validate.mjs"), LOG]
    if document_checks:
        cmd.append("--document")
    try:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        fail("contract: tests/http/validate.mjs", "could not run: %r" % e)
        return
    lines = [l for l in p.stdout.splitlines() if l.startswith(("ok   ", "FAIL "))]
    for l in p.stdout.splitlines():
        if l.startswith("note "):
            print(l, flush=True)
    for l in lines:
        if l.startswith("ok   "):
            ok(l[5:])
        else:
            name, _, why = l[5:].partition(": ")
            fail(name, why)
    if p.returncode not in (0, 1) or not lines:
        fail("contract: tests/http/validate.mjs", "exit %d: %s" % (p.returncode,
                                                                  (p.stdout + p.stderr)[-800:]))
    elif p.returncode == 0:
        os.remove(LOG)  # kept only when something failed, to look at

#!/usr/bin/env python3
"""Takeover time after a kill -9: two `certsim serve` on one PostgreSQL database.

Starts daemons d1 and d2 (loopback ports, control sockets in a temporary directory), creates
SESSIONS sessions on d1 with CANDIDATES candidates each, starts every candidate and answers
ANSWERS questions each, then sends SIGKILL to d1. From that moment one candidate of the first
session tries, every 20 ms, to go on through d2: the proctor logs in (SESSION_ELSEWHERE until
d1's lease runs out), authorises it, the candidate starts again and answers. Printed:

  kill → first resumed answer   (what a candidate lives through)
    lease left at the kill      (PostgreSQL's clock: expires_seconds − now, read at the kill)
    claim + rebuild on d2       (d2's own log: "session taken over … seconds=")
    the rest                    (polling, authorisation, start, answer)

Usage (PGPASSWORD set; the database must exist and be empty or a certsim store):
  python3 Benchmarks/cluster/takeover.py --certsim .build/release/certsim \\
      --db postgres://certsim@127.0.0.1:5432/takeover [--lease-seconds 10] [--sessions 20]
Bounded: daemons get 60 s to listen, the takeover 5 × the lease; everything is killed at exit.
"""
import argparse, json, os, re, signal, socket, subprocess, sys, tempfile, time, urllib.request, urllib.error


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


class Control:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.settimeout(30); self.sock.connect(path)
        self.buffer = b""; self.next_id = 0

    def call(self, cmd, **fields):
        self.next_id += 1
        self.sock.sendall((json.dumps({"id": self.next_id, "cmd": cmd, **fields}) + "\n").encode())
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk: raise ConnectionError("control socket closed")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        answer = json.loads(line)
        if not answer.get("ok"): raise RuntimeError(answer["error"]["code"] + ": " + answer["error"]["message"])
        return answer.get("result")


def http(base, method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token: request.add_header("Authorization", "Bearer " + token)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs): return None
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            data = response.read()
            return response.status, json.loads(data) if data else None
    except urllib.error.HTTPError as error:
        data = error.read()
        return error.code, json.loads(data) if data else None


def answer_one(base, assessment, token):
    status, challenge = http(base, "GET", f"/assessments/{assessment}/next", token=token)
    if status != 200: raise RuntimeError(f"next: {status} {challenge}")
    status, body = http(base, "POST", f"/assessments/{assessment}/answers",
                        {"challengeId": challenge["challengeId"], "result": "ok"}, token)
    if status not in (200, 201): raise RuntimeError(f"answer: {status} {body}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--certsim", default=".build/release/certsim")
    parser.add_argument("--db", required=True)
    parser.add_argument("--lease-seconds", type=float, default=10)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--candidates", type=int, default=25)
    parser.add_argument("--answers", type=int, default=10)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="certsim-takeover-")
    daemons = {}
    try:
        for name in ("d1", "d2"):
            port = free_port()
            log = open(os.path.join(work, name + ".log"), "w")
            process = subprocess.Popen(
                [args.certsim, "serve", "--db", args.db, "--daemon-id", name, "--http", f"127.0.0.1:{port}",
                 "--socket", os.path.join(work, name + ".sock"), "--lease-seconds", str(args.lease_seconds),
                 "--log-level", "notice"], stdout=log, stderr=log)
            daemons[name] = (process, f"http://127.0.0.1:{port}", os.path.join(work, name + ".sock"), log.name)
        for name, (process, base, _, _) in daemons.items():
            deadline = time.time() + 60
            while True:
                try:
                    if http(base, "GET", "/healthz")[0] == 200: break
                except OSError: pass
                if time.time() > deadline or process.poll() is not None: sys.exit(f"{name} did not start")
                time.sleep(0.05)
        _, base1, sock1, _ = daemons["d1"]
        _, base2, sock2, log2 = daemons["d2"]
        control = Control(sock1)
        first = None
        for s in range(args.sessions):
            created = control.call("session.create", sessionId=f"K{s:03d}-{os.getpid()}")
            for c in range(args.candidates):
                control.call("candidate.enrol", sessionId=created["sessionId"], candidateId=f"c{c}")
                control.call("candidate.authorize", sessionId=created["sessionId"], candidateId=f"c{c}")
                status, started = http(base1, "POST", f"/sessions/{created['sessionId']}/candidates/c{c}/start",
                                       {"accessCode": created["accessCode"]})
                for _ in range(args.answers): answer_one(base1, started["assessmentId"], started["token"])
            if first is None: first = created
        lease_left = None
        query = subprocess.run(["psql", args.db.replace("postgres://", "postgresql://"), "-Atc",
                                "SELECT max(expires_seconds) - extract(epoch FROM clock_timestamp()) FROM session_leases WHERE owner = 'd1'"],
                               capture_output=True, text=True)
        killed = time.time()
        daemons["d1"][0].send_signal(signal.SIGKILL)
        if query.returncode == 0 and query.stdout.strip(): lease_left = float(query.stdout.strip())
        resumed = None
        deadline = killed + 5 * args.lease_seconds + 30
        session = first["sessionId"]
        while time.time() < deadline:
            try:
                proctor = Control(sock2)
                proctor.call("login", sessionId=session, password=first["invigilatorPassword"])
                proctor.call("candidate.authorize", sessionId=session, candidateId="c0")
                status, started = http(base2, "POST", f"/sessions/{session}/candidates/c0/start", {"accessCode": first["accessCode"]})
                if status != 200: raise RuntimeError(f"start {status}")
                answer_one(base2, started["assessmentId"], started["token"])
                resumed = time.time()
                break
            except (RuntimeError, OSError):
                time.sleep(0.02)
        if resumed is None: sys.exit("no resumed answer within the bound")
        time.sleep(0.2)
        rebuild = [float(x) for x in re.findall(r"seconds=([0-9.]+) session=" + re.escape(session), open(log2).read())]
        total = resumed - killed
        print(f"sessions {args.sessions} × {args.candidates} candidates × {args.answers} answers on d1; lease {args.lease_seconds} s")
        print(f"kill → first resumed answer on d2: {total:.3f} s")
        if lease_left is not None: print(f"  lease left at the kill (PostgreSQL's clock): {lease_left:.3f} s")
        if rebuild: print(f"  claim + rebuild on d2 (its log, the batch holding {session}): {rebuild[0]:.3f} s")
        if lease_left is not None and rebuild:
            print(f"  the rest (polling every 20 ms, login, authorisation, start, answer): {total - lease_left - rebuild[0]:.3f} s")
    finally:
        for process, *_ in daemons.values():
            if process.poll() is None: process.kill()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()

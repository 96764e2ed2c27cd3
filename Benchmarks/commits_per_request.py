#!/usr/bin/env python3
"""Counts the result writer's transactions per request of one candidate's 32-answer test.

Starts `certsim serve` on a temporary store (loopback, durable mode), drives one candidate
sequentially (so no two requests share a group commit) and reads the writer's commit counter
from /metrics around each request. Prints the commits of the start and of the completing answer.

    python3 Benchmarks/commits_per_request.py --certsim .build/release/certsim
"""
import argparse, json, os, re, socket, subprocess, sys, tempfile, time, urllib.request


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--certsim", required=True)
    parser.add_argument("--bank", default="Scenarios/banks/crcn-synthetic-1.json")
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="certsim-commits-")
    sock = os.path.join(directory, "c.sock")
    serve = subprocess.Popen(
        [args.certsim, "serve", "--db", os.path.join(directory, "store.sqlite"), "--socket", sock,
         "--http", "127.0.0.1:0", "--bank", args.bank, "--log-level", "error"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = None
        deadline = time.time() + 60
        while port is None and time.time() < deadline:
            line = serve.stdout.readline()
            match = re.search(r"candidate API on http://127\.0\.0\.1:(\d+)", line)
            if match:
                port = int(match.group(1))
        if port is None:
            sys.exit("serve did not print its port")
        base = f"http://127.0.0.1:{port}"
        control = socket.socket(socket.AF_UNIX)
        control.connect(sock)
        reader = control.makefile("r")
        counter = [0]

        def call(cmd, **fields):
            counter[0] += 1
            control.sendall((json.dumps({"id": counter[0], "cmd": cmd, **fields}) + "\n").encode())
            reply = json.loads(reader.readline())
            if not reply.get("ok"):
                sys.exit(f"{cmd}: {reply}")
            return reply.get("result")

        def http(method, path, body=None, token=None):
            request = urllib.request.Request(base + path, method=method,
                                             data=None if body is None else json.dumps(body).encode())
            request.add_header("Content-Type", "application/json")
            if token:
                request.add_header("Authorization", "Bearer " + token)
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
                return json.loads(text) if text else None

        def commits():
            with urllib.request.urlopen(base + "/metrics", timeout=30) as response:
                for line in response.read().decode().splitlines():
                    if line.startswith("certsim_writer_commits_total"):
                        return float(line.split()[-1])
            return 0.0

        created = call("session.create", sessionId="S1")
        call("candidate.enrol", sessionId="S1", candidateId="c1")
        call("candidate.authorize", sessionId="S1", candidateId="c1")
        before = commits()
        started = http("POST", "/sessions/S1/candidates/c1/start", {"accessCode": created["accessCode"]})
        start_commits = commits() - before
        assessment, token = started["assessmentId"], started["token"]
        answer_commits = []
        for _ in range(32):
            challenge = http("GET", f"/assessments/{assessment}/next", token=token)
            before = commits()
            http("POST", f"/assessments/{assessment}/answers",
                 {"challengeId": challenge["challengeId"], "result": "ok"}, token=token)
            answer_commits.append(commits() - before)
        print(json.dumps({"start": start_commits, "answers 1-31 (each)": sorted(set(answer_commits[:31])),
                          "completing answer": answer_commits[31]}))
    finally:
        serve.terminate()
        serve.wait(timeout=30)


if __name__ == "__main__":
    main()

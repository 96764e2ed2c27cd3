#!/usr/bin/env python3
"""Load-generator peer: Locust and `certsim run --transport http` against the same `certsim serve`.

The script starts one `certsim serve` on 127.0.0.1 (free port, temporary data directory, the
shipped bank, the daemon's default engine settings and durability), then:

1. certsim's runner: `certsim run SCENARIO --daemon http://127.0.0.1:PORT --control SOCKET
   --transport http`, a scenario written here (N candidates in sessions of 30, every behaviour off,
   time scale 0, concurrency U). Its simulated proctors create the sessions and enrol the
   candidates over the control socket before the run's timer starts, then authorise each
   candidate and close each session while the candidates run (timed).
2. Locust (PyPI, headless, FastHttpUser, U users, no wait, for --seconds), once per entry of
   --locust-processes (1 = Locust's default single process; N > 1 = `--processes N`, a master and
   N workers): the candidates are first created, enrolled and authorised over the control socket
   by this script (not timed), then locustfile.py plays the flow (start, next/answer until 204)
   once per candidate.

It prints, side by side: certifications per second, answers per second, p99 of `next` and of
`answer` (ms) of each, the CPU seconds of the load generator and of the daemon during each
phase, the load average before each phase, and the ratio of certifications per second
(target: certsim >= 4x Locust). The daemon is stopped (SIGTERM, then SIGKILL after a bound)
whatever happens.

Usage:  python3 Benchmarks/peers/locust_compare.py [--users 64] [--seconds 30] [--certsim-candidates 3000]
            [--locust-processes 1,2]
It creates Benchmarks/peers/.venv and installs requirements.txt on first use.
"""

import argparse
import csv
import datetime
import json
import os
import random
import re
import resource
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers_venv  # noqa: E402

peers_venv.ensure(["locust"])

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_BANK = REPO / "Scenarios" / "banks" / "crcn-synthetic-1.json"
DEFAULT_CERTSIM = REPO / ".build" / "release" / "certsim"
SESSION_SIZE = 30
SERVE_START_TIMEOUT_SECONDS = 60
SERVE_STOP_TIMEOUT_SECONDS = 30
CONTROL_TIMEOUT_SECONDS = 30
CERTSIM_RUN_TIMEOUT_SECONDS = 300
LOCUST_EXTRA_SECONDS = 60  # past --seconds: start-up, stop timeout, CSV writing
POOL_MAX = 200_000
TARGET_RATIO = 4.0


class Control:
    """A tiny NDJSON client of the control socket (one request, one response line)."""

    def __init__(self, path: str) -> None:
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.socket.settimeout(CONTROL_TIMEOUT_SECONDS)
        self.socket.connect(path)
        self.reader = self.socket.makefile("rb")
        self.next_id = 0

    def __call__(self, cmd: str, **fields):
        self.next_id += 1
        self.socket.sendall((json.dumps({"id": self.next_id, "cmd": cmd, **fields}) + "\n").encode())
        line = self.reader.readline()
        if not line:
            raise RuntimeError(f"control socket closed during {cmd}")
        response = json.loads(line)
        if not response.get("ok"):
            raise RuntimeError(f"{cmd}: {response.get('error')}")
        return response.get("result")

    def close(self) -> None:
        self.reader.close()
        self.socket.close()


def start_serve(certsim: Path, data: Path, bank: Path, durability: str) -> tuple[subprocess.Popen, str, str]:
    log = open(data / "serve.log", "w")
    process = subprocess.Popen(
        [str(certsim), "serve", "--data-dir", str(data), "--http", "127.0.0.1:0", "--bank", str(bank),
         "--durability", durability, "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=log, start_new_session=True)
    deadline = time.monotonic() + SERVE_START_TIMEOUT_SECONDS
    url = socket_path = None
    text = ""
    while time.monotonic() < deadline and (url is None or socket_path is None) and process.poll() is None:
        ready, _, _ = select.select([process.stdout], [], [], 1.0)
        if ready:
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                break
            text += chunk.decode(errors="replace")
            if m := re.search(r"candidate API on (http://127\.0\.0\.1:\d+)", text):
                url = m.group(1)
            if m := re.search(r"control socket (\S+)", text):
                socket_path = m.group(1)
    if url is None or socket_path is None:
        stop(process)
        sys.exit(f"certsim serve did not come up:\n{text}\n{(data / 'serve.log').read_text()[-2000:]}")
    return process, url, socket_path


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=SERVE_STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=SERVE_STOP_TIMEOUT_SECONDS)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (all its threads), from /proc; NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def children_cpu_seconds() -> float:
    """User + system CPU seconds of this script's finished (waited-for) child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Phase:
    """CPU of the load generator (the child process run inside the block, with its own children)
    and of the daemon, wall time and the 1-minute load average at the start of one phase."""

    def __init__(self, daemon_pid: int) -> None:
        self.daemon_pid = daemon_pid

    def __enter__(self):
        self.load = os.getloadavg()[0]
        self.wall = time.monotonic()
        self.generator = children_cpu_seconds()
        self.daemon = process_cpu_seconds(self.daemon_pid)
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.monotonic() - self.wall
        self.generator = children_cpu_seconds() - self.generator
        self.daemon = process_cpu_seconds(self.daemon_pid) - self.daemon


def provision(socket_path: str, count: int, seed: int) -> list[dict]:
    """Creates sessions of SESSION_SIZE, enrols and authorises `count` candidates; their thetas ~ N(0,1)."""
    rng = random.Random(seed)
    pool = []
    control = Control(socket_path)
    try:
        while len(pool) < count:
            created = control("session.create", name="locust peer")
            session = created["sessionId"]
            for seat in range(min(SESSION_SIZE, count - len(pool))):
                candidate = f"locust-{seat + 1:02d}"
                control("candidate.enrol", sessionId=session, candidateId=candidate)
                control("candidate.authorize", sessionId=session, candidateId=candidate)
                pool.append({"sessionId": session, "candidateId": candidate, "accessCode": created["accessCode"],
                             "theta": rng.gauss(0.0, 1.0)})
    finally:
        control.close()
    return pool


def scenario_text(bank: Path, candidates: int, concurrency: int, seed: int) -> str:
    return f"""# Written by Benchmarks/peers/locust_compare.py: throughput through an external certsim serve.
name: peers-locust
seed: {seed}
bank: {bank}
day:
  candidates: {candidates}
  candidates_per_session: {SESSION_SIZE}
population:
  ability: {{distribution: normal, mean: 0, sd: 1}}
transport: http
time_scale: 0
concurrency: {concurrency}
"""


def run_certsim(certsim: Path, work: Path, url: str, socket_path: str, bank: Path, args) -> dict:
    scenario = work / "peers-locust.yaml"
    scenario.write_text(scenario_text(bank, args.certsim_candidates, args.users, args.seed))
    out = work / "certsim-out"
    completed = subprocess.run(
        [str(certsim), "run", str(scenario), "--daemon", url, "--control", socket_path, "--transport", "http",
         "--db", str(work / "serve-data" / "certsim.sqlite"), "--out", str(out), "--quiet"],
        capture_output=True, text=True, timeout=CERTSIM_RUN_TIMEOUT_SECONDS)
    if completed.returncode != 0:
        sys.exit(f"certsim run failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    return json.loads((out / "summary.json").read_text())


def run_locust(work: Path, url: str, pool: list[dict], bank: Path, processes: int, args) -> dict:
    pool_path = work / f"pool-{processes}.json"
    pool_path.write_text(json.dumps(pool))
    prefix = work / f"locust-{processes}"
    cpu_dir = work / f"locust-cpu-{processes}"
    cpu_dir.mkdir(exist_ok=True)
    env = dict(os.environ, CERTSIM_PEERS_POOL=str(pool_path), CERTSIM_PEERS_BANK=str(bank),
               CERTSIM_PEERS_SEED=str(args.seed), CERTSIM_PEERS_WORKERS=str(processes),
               CERTSIM_PEERS_CPU_DIR=str(cpu_dir))
    locust = Path(sys.executable).parent / "locust"
    command = [str(locust), "-f", str(HERE / "locustfile.py"), "--headless", "-u", str(args.users), "-r",
               str(args.users), "-t", f"{args.seconds}s", "--host", url, "--csv", str(prefix), "--only-summary",
               "--stop-timeout", "5", "--loglevel", "WARNING"]
    if processes > 1:
        command += ["--processes", str(processes)]
    # Own session, so that a timeout can end the master and its forked workers together.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)
    try:
        _, stderr = process.communicate(timeout=args.seconds + LOCUST_EXTRA_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate(timeout=SERVE_STOP_TIMEOUT_SECONDS)
    completed = subprocess.CompletedProcess(command, process.returncode, "", stderr)
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    failures = sum(int(row["Failure Count"]) for name, row in rows.items() if name != "Aggregated")
    if "certification" not in rows:
        sys.exit(f"Locust finished no certification (exit {completed.returncode}):\n{completed.stderr[-3000:]}")
    # Each Locust process's own CPU seconds, written by locustfile.py at exit (master + workers).
    reported = [float(path.read_text()) for path in cpu_dir.glob("*.cpu")]
    return {"rows": rows, "failures": failures, "exit": completed.returncode, "stderr": completed.stderr,
            "processes": processes, "cpu": sum(reported) if reported else None, "cpu_processes": len(reported)}


def git_build() -> str:
    return peers_venv.repository_label(REPO)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--certsim", default=str(DEFAULT_CERTSIM), help="certsim binary (default .build/release/certsim)")
    parser.add_argument("--runner", help="certsim binary for `certsim run` (default: --certsim), e.g. a debug build "
                        "when the release runner cannot run")
    parser.add_argument("--bank", default=str(DEFAULT_BANK), help="item bank JSON (default the shipped bank)")
    parser.add_argument("--users", type=int, default=64, help="Locust users = certsim run concurrency (default 64)")
    parser.add_argument("--seconds", type=int, default=30, help="Locust run time (default 30)")
    parser.add_argument("--certsim-candidates", type=int, default=3000, help="certifications of the certsim run (default 3000)")
    parser.add_argument("--pool", type=int, default=3000,
                        help="candidates provisioned for each Locust run (default 3000)")
    parser.add_argument("--locust-processes", default="1,2",
                        help="comma-separated Locust runs: 1 = one process (Locust's default), N > 1 = "
                             "--processes N (default 1,2: both)")
    parser.add_argument("--durability", choices=["durable", "relaxed"], default="durable", help="serve's durability")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--keep", help="keep the daemon's data, the scenario and both tools' outputs in this directory")
    args = parser.parse_args()
    if not 1 <= args.pool <= POOL_MAX or not 1 <= args.users <= 10_000 or not 1 <= args.seconds <= 600:
        sys.exit("out-of-range --pool, --users or --seconds")
    try:
        locust_processes = [int(value) for value in args.locust_processes.split(",")]
    except ValueError:
        sys.exit("--locust-processes: comma-separated integers, e.g. 1,2")
    if not locust_processes or not all(1 <= n <= 64 for n in locust_processes):
        sys.exit("--locust-processes: each in 1...64")
    certsim, bank = Path(args.certsim), Path(args.bank).resolve()
    runner = Path(args.runner) if args.runner else certsim
    if not certsim.exists():
        sys.exit(f"no certsim binary at {certsim}: run `swift build -c release --product certsim` first")

    with tempfile.TemporaryDirectory(prefix="certsim-peers-") as temporary:
        work = Path(args.keep) if args.keep else Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        data = work / "serve-data"
        data.mkdir(exist_ok=True)
        serve, url, socket_path = start_serve(certsim, data, bank, args.durability)
        locust_runs = []
        try:
            print(f"certsim serve at {url}; certsim run --transport http: {args.certsim_candidates} certifications, "
                  f"concurrency {args.users} ...", file=sys.stderr, flush=True)
            with Phase(serve.pid) as certsim_phase:
                summary = run_certsim(runner, work, url, socket_path, bank, args)
            for run_index, processes in enumerate(locust_processes):
                print(f"provisioning {args.pool} candidates for Locust over the control socket ...", file=sys.stderr,
                      flush=True)
                pool = provision(socket_path, args.pool, args.seed + 1 + run_index)
                print(f"locust: {args.users} users, {args.seconds} s, "
                      f"{'one process' if processes == 1 else f'--processes {processes}'} ...", file=sys.stderr,
                      flush=True)
                with Phase(serve.pid) as phase:
                    result = run_locust(work, url, pool, bank, processes, args)
                result["phase"] = phase
                if result["cpu"] is not None:
                    phase.generator = result["cpu"]  # summed per process: exact with forked workers too
                locust_runs.append(result)
                if int(result["rows"]["certification"]["Request Count"]) >= args.pool:
                    print(f"warning: Locust ({processes} process(es)) used up the provisioned pool before the time "
                          "ran out; raise --pool", file=sys.stderr)
        finally:
            stop(serve)

    certsim_rate = summary["certificationsPerSecond"]
    latency = summary["latency"]
    # The engine's own step, measured now (the same loop as the Benchmarks package), so that the
    # runner's and the daemon's CPU per answer are read against the limit in the same run.
    bench = subprocess.run([str(certsim), "bench", "engine", "--json", "--bank", str(bank), "--examinees", "2000",
                            "--rounds", "5"], capture_output=True, text=True, timeout=600)
    if bench.returncode != 0:
        sys.exit(f"certsim bench engine failed ({bench.returncode}):\n{bench.stdout}\n{bench.stderr}")
    engine_step_ns = json.loads(bench.stdout)["stepNanoseconds"]

    def p99_ms(operation: str):
        value = latency.get(operation, {})
        for key in ("p99Microseconds", "p99"):
            if key in value:
                return value[key] / 1000.0
        return float("nan")

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"locust_compare — {now} — repository {git_build()}: serve {certsim}, run {runner} — locust {locust_version()}")
    print(f"one certsim serve on {url} ({args.durability}, default engines), bank {bank.name}; "
          f"{args.users} concurrent candidates on each side, no think time; {os.cpu_count()} CPUs")
    print()
    print("                                  certs/s   answers/s   p99 next ms   p99 answer ms   certifications"
          "   errors   load   wall s   generator CPU s   daemon CPU s")
    print(f"  {'certsim run --transport http':32s}{certsim_rate:>7.1f} {summary['answersPerSecond']:>11.1f} "
          f"{p99_ms('next'):>13.2f} {p99_ms('answer'):>15.2f} {summary['certifications']['completed']:>16} "
          f"{sum(summary['errors'].values()):>8} {certsim_phase.load:>6.2f} {summary['wallSeconds']:>8.1f} "
          f"{summary['cpuSeconds']:>17.1f} {certsim_phase.daemon:>14.1f}")
    for run in locust_runs:
        rows, phase = run["rows"], run["phase"]
        certs = rows["certification"]
        label = f"locust {locust_version()}" + (" (1 process)" if run["processes"] == 1 else f" (--processes {run['processes']})")
        answers = float(rows["answer"]["Requests/s"]) if "answer" in rows else 0.0
        p99 = {name: float(rows[name]["99%"]) if name in rows else float("nan") for name in ("next", "answer")}
        print(f"  {label:32s}{float(certs['Requests/s']):>7.1f} {answers:>11.1f} {p99['next']:>13.2f} "
              f"{p99['answer']:>15.2f} {int(certs['Request Count']):>16} {run['failures']:>8} {phase.load:>6.2f} "
              f"{args.seconds:>8.1f} {phase.generator:>17.1f} {phase.daemon:>14.1f}")
    print()
    for run in locust_runs:
        locust_rate = float(run["rows"]["certification"]["Requests/s"])
        ratio = certsim_rate / locust_rate if locust_rate else float("inf")
        processes = "one process" if run["processes"] == 1 else f"--processes {run['processes']}"
        print(f"ratio certsim / Locust ({processes}) certifications per second: {ratio:.2f}×  "
              f"(target ≥ {TARGET_RATIO:.0f}×: {'met' if ratio >= TARGET_RATIO else 'MISSED'})")
    answers_total = summary["answers"]
    if answers_total:
        runner_us = summary["cpuSeconds"] * 1e6 / answers_total
        daemon_us = certsim_phase.daemon * 1e6 / answers_total
        print(f"engine step (certsim bench engine, this run): {engine_step_ns:.0f} ns; per answer over HTTP the runner "
              f"used {runner_us:.1f} µs of CPU ({runner_us * 1000 / engine_step_ns:.0f}× the step) and the daemon "
              f"{daemon_us:.1f} µs ({daemon_us * 1000 / engine_step_ns:.0f}×)")
    certsim_count = summary["certifications"]["completed"]
    per_cert = [f"certsim run {1000 * summary['cpuSeconds'] / certsim_count:.1f} ms generator + "
                f"{1000 * certsim_phase.daemon / certsim_count:.1f} ms daemon"] if certsim_count else []
    for run in locust_runs:
        count = int(run["rows"]["certification"]["Request Count"])
        if count:
            per_cert.append(f"Locust ({run['processes']} process{'es' if run['processes'] > 1 else ''}) "
                            f"{1000 * run['phase'].generator / count:.1f} ms generator + "
                            f"{1000 * run['phase'].daemon / count:.1f} ms daemon")
    print("CPU per certification: " + "; ".join(per_cert))
    print(f"timers: certsim = the run's candidate phase (summary.json): every candidate's start, next/answer until "
          f"204, and its simulated proctor's session work (sessions created and candidates enrolled beforehand, "
          f"not timed; authorisation and session closes timed); Locust = its own stats window, from the spawn to "
          f"the last request of the --seconds run, with the candidates provisioned beforehand (not timed). "
          f"generator CPU s: certsim = process CPU over its candidate phase; Locust = the sum of every Locust "
          f"process's own CPU (master and workers, start-up included). daemon CPU s: certsim serve over the whole phase. load = 1-minute load "
          f"average just before the phase. Locust's p99 are its stats CSV's 99% column, rounded by Locust "
          f"to 2 significant digits.")


def locust_version() -> str:
    try:
        from importlib.metadata import version

        return version("locust")
    except Exception:  # noqa: BLE001
        return "?"


if __name__ == "__main__":
    main()

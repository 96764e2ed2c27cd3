#!/usr/bin/env python3
"""Psychometric peer: certsim's engine against catsim (PyPI) on the same configuration.

Both sides get the same item bank, the same true abilities and the same algorithm: 2PL
P = 1 / (1 + exp(a (b - theta))) (no 1.7 constant, c = 0, d = 1), a textbook EAP (81-point grid
-9..9, fixed N(0, 1) prior, reported SE = posterior standard deviation), pure maximum-information
selection (no exposure control, no content rules, always the best item), start at theta0 = -3
(certsim's defaultCandidateCapacity) and a fixed length.

certsim side: three `certsim run` passes (inproc transport, time scale 0) of a scenario written by
this script, with maximumAssessmentLength 5, 20 and 32; selection rules off
(limitToOneQuestionPerTube false, enablePassageByAllCompetences false,
challengesBetweenSameCompetence 0) and defaultProbabilityToPickChallenge 100. With the rules off
certsim still never asks two challenges of one skill, so the bank is exported with one skill and
one tube per challenge (same ids, competences, a and b): "one per skill" becomes "one per item",
which is what catsim does. Selection is deterministic and answers are keyed by (person, question,
challenge), so the 5- and 20-answer runs are prefixes of the 32-answer run (checked on the stores).
The true abilities are read back from the 32-answer run's candidates.csv and handed to catsim.

catsim side: catsim.simulation.Simulator with FixedPointInitializer(-3), MaxInfoSelector(),
MinErrorStopper(1e-9, min_items=32, max_items=32) (a fixed-length stop) and GridEAPEstimator below:
catsim 0.21 ships no EAP estimator, so it is written here on catsim's BaseEstimator with
catsim.irt.icc_hpc for the item curves. One simulation of 32 answers gives the 5/20/32 figures
from catsim's per-step estimate history.

Speed: examinees per second of catsim (its own simulation timer: the loop over the examinees,
set-up excluded) and of `certsim run` in-process (the run's own certifications per second over its
candidate phase: process start, bank load, session set-up and the final read-back excluded), timed
on an extra 32-answer pass of --speed-examinees examinees, plus certsim's engine step
measured in the same run (`certsim bench engine`: ns per answer step x 32 answers). CPU
seconds and examinees per CPU-second are printed beside the wall-clock figures.

Usage:  python3 Benchmarks/peers/catsim_compare.py [--examinees 1000] [--certsim PATH]
It creates Benchmarks/peers/.venv and installs requirements.txt on first use.
"""

import argparse
import csv
import datetime
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers_venv  # noqa: E402

peers_venv.ensure(["catsim", "numpy"])

import numpy  # noqa: E402
import catsim  # noqa: E402
import catsim.cat  # noqa: E402
from catsim import irt  # noqa: E402
from catsim.estimation import BaseEstimator  # noqa: E402
from catsim.initialization import FixedPointInitializer  # noqa: E402
from catsim.item_bank import ItemBank as CatsimItemBank  # noqa: E402
from catsim.selection import MaxInfoSelector  # noqa: E402
from catsim.simulation import Simulator  # noqa: E402
from catsim.stopping import MinErrorStopper  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_BANK = REPO / "Scenarios" / "banks" / "crcn-synthetic-1.json"
DEFAULT_CERTSIM = REPO / ".build" / "release" / "certsim"
# The engine step is measured on the shipped bank with the default engine (rules on), as the
# Benchmarks package does: the ratio is to the engine's own speed, not to this script's set-up.
DEFAULT_BANK_FOR_ENGINE = str(REPO / "Scenarios" / "banks" / "crcn-synthetic-1.json")

LENGTHS = (5, 20, 32)
TEST_LENGTH = max(LENGTHS)
START_THETA = -3.0  # certsim's defaultCandidateCapacity
GRID = numpy.linspace(-9.0, 9.0, 81)  # DESIGN §3.3: -9..9 step 0.225
CERTSIM_RUN_TIMEOUT_SECONDS = 600
CATSIM_EXAMINEES_MAX = 20_000
TARGET_ENGINE_RATIO = 2000.0
TARGET_RUN_RATIO = 300.0
TARGET_RMSE_GAP = 0.02


class GridEAPEstimator(BaseEstimator):
    """Textbook EAP on catsim's building blocks: the posterior over GRID with a fixed N(0, 1)
    prior (normalised over the grid), likelihood from catsim.irt.icc_hpc; the estimate is the
    posterior mean, the reported SE the posterior standard deviation (kept per examinee in
    `standard_errors`, one entry per answer). No answers: the current estimate, SE 5."""

    def __init__(self) -> None:
        super().__init__()
        log_prior = -0.5 * GRID**2
        self._log_prior = log_prior - numpy.log(numpy.exp(log_prior).sum())
        self.standard_errors: dict[int, list[float]] = {}

    def __str__(self) -> str:
        return "Grid EAP (81 points, N(0,1) prior)"

    def estimate(self, index=None, item_bank=None, administered_items=None, response_vector=None,
                 est_theta=None) -> float:
        item_bank, administered_items, response_vector, est_theta = self._prepare_args(
            return_item_bank=True, return_administered_items=True, return_response_vector=True,
            return_est_theta=True, index=index, item_bank=item_bank, administered_items=administered_items,
            response_vector=response_vector, est_theta=est_theta)
        self._calls += 1
        if not administered_items:
            return float(est_theta)
        items = item_bank.get_items(administered_items)
        p = irt.icc_hpc(GRID[:, None], items)  # (grid points, answers)
        correct = numpy.asarray(response_vector, dtype=bool)
        log_likelihood = numpy.where(correct, numpy.log(p), numpy.log1p(-p)).sum(axis=1)
        log_posterior = log_likelihood + self._log_prior
        posterior = numpy.exp(log_posterior - log_posterior.max())
        posterior /= posterior.sum()
        theta = float((GRID * posterior).sum())
        sd = float(math.sqrt(max(0.0, ((GRID - theta) ** 2 * posterior).sum())))
        if index is not None:
            self.standard_errors.setdefault(index, []).append(sd)
        self._evaluations = GRID.size
        return theta


def information(theta: float, a: numpy.ndarray, b: numpy.ndarray) -> float:
    p = 1.0 / (1.0 + numpy.exp(a * (b - theta)))
    return float((a * a * p * (1.0 - p)).sum())


# ---------------------------------------------------------------------------- bank and scenarios

def peer_bank(bank: dict) -> dict:
    """The bank with one skill and one tube per challenge (ids, competences, a, b unchanged)."""
    challenges = []
    for challenge in bank["challenges"]:
        copy = dict(challenge)
        copy["skill"] = "@p" + challenge["id"]
        copy["tube"] = "@p" + challenge["id"]
        challenges.append(copy)
    return {"version": bank["version"] + "-peers", "competences": bank["competences"], "challenges": challenges}


def scenario_text(bank_path: Path, length: int, examinees: int, seed: int, durability: str, concurrency: int) -> str:
    return f"""# Written by Benchmarks/peers/catsim_compare.py: pure maximum information, textbook EAP.
name: peers-catsim-{length}
seed: {seed}
bank: {bank_path}
estimator: eap
algorithm:
  maximumAssessmentLength: {length}
  limitToOneQuestionPerTube: false
  enablePassageByAllCompetences: false
  challengesBetweenSameCompetence: 0
  defaultProbabilityToPickChallenge: 100
  defaultCandidateCapacity: {START_THETA}
day:
  candidates: {examinees}
  candidates_per_session: 30
population:
  ability: {{distribution: normal, mean: 0, sd: 1}}
  accessibility_share: 0
  locale: fr-fr
calibration_noise: 0
transport: inproc
time_scale: 0
concurrency: {concurrency}
durability: {durability}
"""


def run_certsim(certsim: Path, work: Path, length: int, args, examinees: int | None = None, tag: str = "") -> dict:
    scenario = work / f"peers-catsim-{length}{tag}.yaml"
    scenario.write_text(scenario_text(work / "bank.json", length, examinees or args.examinees, args.seed,
                                      args.durability, args.concurrency))
    out = work / f"out-{length}{tag}"
    store = work / f"store-{length}{tag}.sqlite"
    # A kept directory may hold a previous run: certsim refuses session ids that already exist.
    shutil.rmtree(out, ignore_errors=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    started = time.monotonic()
    completed = subprocess.run(
        [str(certsim), "run", str(scenario), "--out", str(out), "--db", str(store), "--quiet"],
        capture_output=True, text=True, timeout=CERTSIM_RUN_TIMEOUT_SECONDS)
    wall = time.monotonic() - started
    if completed.returncode != 0:
        sys.exit(f"certsim run failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    summary = json.loads((out / "summary.json").read_text())
    with open(out / "candidates.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with open(out / "exposure.csv", newline="") as handle:
        exposure = list(csv.DictReader(handle))
    return {"summary": summary, "rows": rows, "exposure": exposure, "store": store, "process_wall_seconds": wall}


def store_sequences(store: Path, results: dict | None = None) -> dict:
    """candidate id -> [challenge ids in question order], from a run's store (the answer journal);
    `results` (when given a dict) receives candidate id -> [answer correct?] in the same order."""
    connection = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        sequences: dict = {}
        for candidate, challenge, result in connection.execute(
                "SELECT a.candidate_id, n.challenge_id, n.result FROM answers n "
                "JOIN assessments a ON a.id = n.assessment_id ORDER BY a.candidate_id, n.question_number"):
            sequences.setdefault(candidate, []).append(challenge)
            if results is not None:
                results.setdefault(candidate, []).append(result == "ok")
    finally:
        connection.close()
    return sequences


def replay_check(sequences: dict, results: dict, rows: list, index_of: dict, bank) -> tuple[int, int, float]:
    """Replays certsim's own 32-answer tests with the catsim-side pieces (GridEAPEstimator, and
    MaxInfoSelector's ordering: catsim's ItemBank.information at the current estimate, minus the
    items given): (picks that agree, picks, largest |certsim theta - replayed theta| at the end)."""
    estimator = GridEAPEstimator()
    agree = total = 0
    worst = 0.0
    for row in rows:
        items = [index_of[c] for c in sequences[row["candidate"]]]
        answers = results[row["candidate"]]
        theta = START_THETA
        for k, item in enumerate(items):
            ordered = MaxInfoSelector._sort_by_info(bank, theta)
            pick = next(i for i in ordered if i not in items[:k])
            agree += int(pick == item)
            total += 1
            theta = estimator.estimate(item_bank=bank, administered_items=items[:k + 1],
                                       response_vector=answers[:k + 1], est_theta=theta)
        worst = max(worst, abs(theta - float(row["estimated_theta"])))
    return agree, total, worst


# ---------------------------------------------------------------------------- engine benchmark

def hdr_values(histogram: dict) -> list[int]:
    """Recorded values of a serialised HdrHistogram (one per count), ascending."""
    magnitude = histogram["subBucketHalfCountMagnitude"]
    half = 1 << magnitude
    unit = histogram["unitMagnitude"]
    values: list[int] = []
    for index, count in enumerate(histogram["counts"]):
        if count:
            bucket = (index >> magnitude) - 1
            sub = (index & (half - 1)) + half
            if bucket < 0:
                sub -= half
                bucket = 0
            values.extend([sub << (bucket + unit)] * count)
    return values


def engine_benchmark(certsim: Path, bank: str):
    """(examinees/s, description) of certsim's engine step loop, measured now in this run by
    `certsim bench engine --json` (the same loop as the Benchmarks package's EngineBenchmarks):
    the median CPU time of one thread per step over whole tests, x 32 answers per examinee."""
    completed = subprocess.run([str(certsim), "bench", "engine", "--json", "--bank", bank, "--examinees", "2000",
                                "--rounds", "5"], capture_output=True, text=True, timeout=600)
    if completed.returncode != 0:
        sys.exit(f"certsim bench engine failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    speed = json.loads(completed.stdout)
    step_ns = speed["stepNanoseconds"]
    per_question = ", ".join(f"{q} {ns:.0f} ns" for q, ns in sorted(speed["stepNanosecondsByQuestion"].items(),
                                                                        key=lambda item: int(item[0][1:])))
    description = (f"certsim bench engine, measured in this run: median step (record + next) over whole tests "
                   f"{step_ns:.0f} ns ({per_question}); x {TEST_LENGTH} answers; default engine, flash estimator, "
                   f"rules on, bank {Path(bank).name}")
    return 1e9 / (step_ns * TEST_LENGTH), description


# ---------------------------------------------------------------------------- statistics

def stats(truths, estimates, errors) -> tuple[float, float, float, float]:
    """bias, RMSE, mean reported SE, and the sampling standard error of the RMSE (delta method:
    sd(squared error) / (2 RMSE sqrt(n)))."""
    t = numpy.asarray(truths, dtype=float)
    e = numpy.asarray(estimates, dtype=float)
    s = numpy.asarray(errors, dtype=float)
    squared = (e - t) ** 2
    rmse = float(math.sqrt(squared.mean()))
    return float((e - t).mean()), rmse, float(s.mean()), float(squared.std(ddof=1) / (2 * rmse * math.sqrt(len(t))))


def bound(infos) -> float:
    """van Trees / Bayesian Cramer-Rao bound on the RMSE with an N(0,1) prior: 1/sqrt(1 + mean I(theta))."""
    return 1.0 / math.sqrt(1.0 + float(numpy.mean(infos)))


def git_build() -> str:
    return peers_venv.repository_label(REPO)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examinees", type=int, default=1000, help="simulated examinees on each side (default 1000)")
    parser.add_argument("--certsim", default=str(DEFAULT_CERTSIM), help="certsim binary (default .build/release/certsim)")
    parser.add_argument("--bank", default=str(DEFAULT_BANK), help="item bank JSON (default the shipped bank)")
    parser.add_argument("--seed", type=int, default=20240601, help="certsim scenario seed (true abilities, answers)")
    parser.add_argument("--catsim-seed", type=int, default=1, help="catsim simulator seed (its answers)")
    parser.add_argument("--durability", choices=["relaxed", "durable"], default="relaxed",
                        help="certsim store durability (default relaxed: catsim stores nothing)")
    parser.add_argument("--concurrency", type=int, default=64, help="certsim candidates in flight (default 64)")
    parser.add_argument("--speed-examinees", type=int, default=15000,
                        help="examinees of an extra 32-answer certsim pass timed for speed only (default 15000; "
                             "0: time the accuracy pass). A pass of --examinees lasts well under a second, "
                             "too short to time on shared cores")
    parser.add_argument("--engine-ns-per-answer", type=float,
                        help="certsim engine step figure to use instead of measuring it now (ns per answer step)")
    parser.add_argument("--keep", help="keep scenarios, stores and outputs in this directory")
    args = parser.parse_args()
    if not 1 <= args.examinees <= CATSIM_EXAMINEES_MAX:
        sys.exit(f"--examinees must be in 1...{CATSIM_EXAMINEES_MAX}")
    certsim = Path(args.certsim)
    if not certsim.exists():
        sys.exit(f"no certsim binary at {certsim}: run `swift build -c release --product certsim` first")

    load_at_start = os.getloadavg()[0]
    bank = json.loads(Path(args.bank).read_text())
    challenges = [c for c in bank["challenges"] if c["locale"] == "fr-fr"]
    index_of = {c["id"]: i for i, c in enumerate(challenges)}
    a = numpy.array([c["discriminant"] for c in challenges], dtype=float)
    b = numpy.array([c["difficulty"] for c in challenges], dtype=float)

    with tempfile.TemporaryDirectory(prefix="certsim-peers-") as temporary:
        work = Path(args.keep) if args.keep else Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        (work / "bank.json").write_text(json.dumps(peer_bank(bank)))

        # --- certsim: the 32-answer pass first (its speed is the one reported), then 5 and 20.
        certsim_runs = {}
        for length in sorted(LENGTHS, reverse=True):
            print(f"certsim run: {args.examinees} examinees, {length} answers ...", file=sys.stderr, flush=True)
            certsim_runs[length] = run_certsim(certsim, work, length, args)
        results32: dict = {}
        sequences = {length: store_sequences(run["store"], results32 if length == TEST_LENGTH else None)
                     for length, run in certsim_runs.items()}
        full = sequences[TEST_LENGTH]
        prefix_mismatches = sum(
            1 for length in LENGTHS if length != TEST_LENGTH
            for key, items in sequences[length].items() if full.get(key, [])[:length] != items)

        speed_run = certsim_runs[TEST_LENGTH]
        if args.speed_examinees > 0:
            print(f"certsim run: {args.speed_examinees} examinees, {TEST_LENGTH} answers (speed only) ...",
                  file=sys.stderr, flush=True)
            speed_run = run_certsim(certsim, work, TEST_LENGTH, args, examinees=args.speed_examinees, tag="-speed")

        rows32 = certsim_runs[TEST_LENGTH]["rows"]
        true_thetas = [float(r["true_theta"]) for r in rows32]

        # --- catsim on the same abilities.
        print(f"catsim: {len(true_thetas)} examinees, {TEST_LENGTH} answers ...", file=sys.stderr, flush=True)
        load_at_catsim = os.getloadavg()[0]
        items = numpy.column_stack([a, b, numpy.zeros_like(a), numpy.ones_like(a)])
        estimator = GridEAPEstimator()
        simulator = Simulator(CatsimItemBank(items), numpy.asarray(true_thetas), seed=args.catsim_seed)
        cpu_before = time.process_time()
        simulator.simulate(FixedPointInitializer(START_THETA), MaxInfoSelector(), estimator,
                           MinErrorStopper(1e-9, min_items=TEST_LENGTH, max_items=TEST_LENGTH))
        # Process CPU around simulate(): the loop that simulator.duration times, plus the few
        # lines of set-up and tear-down inside simulate() (catsim runs on one thread).
        catsim_cpu = time.process_time() - cpu_before
        catsim_rate = len(true_thetas) / simulator.duration
        print("replaying certsim's tests with the catsim-side estimator and selector ...", file=sys.stderr, flush=True)
        replay = replay_check(sequences[TEST_LENGTH], results32, rows32, index_of, CatsimItemBank(items))

    # --- accuracy tables
    table = []
    for length in LENGTHS:
        rows = [r for r in certsim_runs[length]["rows"] if r["status"] == "validated"]
        c_stats = stats([float(r["true_theta"]) for r in rows], [float(r["estimated_theta"]) for r in rows],
                        [float(r["error_rate"]) for r in rows])
        c_infos = [information(float(r["true_theta"]), a[[index_of[i] for i in sequences[length][r["candidate"]]]],
                               b[[index_of[i] for i in sequences[length][r["candidate"]]]])
                   for r in certsim_runs[length]["rows"]]
        k_stats = stats(true_thetas, [simulator.estimations[i][length] for i in range(len(true_thetas))],
                        [estimator.standard_errors[i][length - 1] for i in range(len(true_thetas))])
        k_infos = [information(theta, a[simulator.administered_items[i][:length]],
                               b[simulator.administered_items[i][:length]])
                   for i, theta in enumerate(true_thetas)]
        table.append((length, "catsim", k_stats, bound(k_infos), len(true_thetas)))
        table.append((length, "certsim", c_stats, bound(c_infos), len(rows)))

    summary32 = speed_run["summary"]
    run_rate = summary32["certificationsPerSecond"]
    accuracy_summary = certsim_runs[TEST_LENGTH]["summary"]
    if args.engine_ns_per_answer:
        engine = (1e9 / (args.engine_ns_per_answer * TEST_LENGTH),
                  f"given on the command line: {args.engine_ns_per_answer:.0f} ns per answer step x {TEST_LENGTH} answers")
    else:
        engine = engine_benchmark(certsim, DEFAULT_BANK_FOR_ENGINE)

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"catsim_compare — {now} — repository {git_build()} ({certsim}) — catsim {catsim.__version__ if hasattr(catsim, '__version__') else '0.21.0'}, numpy {numpy.__version__}")
    print(f"bank {Path(args.bank).name}: {len(challenges)} items, 2PL P=1/(1+exp(a(b-θ))); {len(true_thetas)} examinees, "
          f"true θ from certsim (seed {args.seed}, N(0,1)); EAP 81-point grid −9..9, N(0,1) prior, SE = posterior sd; "
          f"pure max-information; θ0 = {START_THETA}")
    print()
    run_cpu = summary32["cpuSeconds"]
    run_count = summary32["certifications"]["completed"]
    catsim_cpu_rate = len(true_thetas) / catsim_cpu
    run_cpu_rate = run_count / run_cpu if run_cpu > 0 else float("nan")
    debug = "/debug/" in str(certsim.resolve())

    def verdict(ratio: float, target: float) -> str:
        return "met" if ratio >= target else "MISSED"

    print(f"{'speed':40s} wall s    CPU s   examinees/s   ratio    examinees/CPU-s   ratio   target")
    print(f"  {'catsim 0.21 (Simulator)':38s}{simulator.duration:>7.2f} {catsim_cpu:>8.2f} {catsim_rate:>13.1f}"
          f"{'':9s}{catsim_cpu_rate:>18.1f}")
    label = f"certsim run (inproc{', DEBUG build' if debug else ''}, {args.durability})"
    print(f"  {label:38s}{summary32['wallSeconds']:>7.2f} {run_cpu:>8.2f} {run_rate:>13.1f} {run_rate / catsim_rate:>7.1f}×"
          f"{run_cpu_rate:>18.1f} {run_cpu_rate / catsim_cpu_rate:>6.1f}×   ≥ {TARGET_RUN_RATIO:.0f}×: "
          f"{verdict(run_rate / catsim_rate, TARGET_RUN_RATIO)} (wall) / "
          f"{verdict(run_cpu_rate / catsim_cpu_rate, TARGET_RUN_RATIO)} (CPU)")
    if engine:
        engine_rate, engine_description = engine
        print(f"  {'certsim engine benchmark (one thread)':38s}{'':16s} {engine_rate:>13.1f} "
              f"{engine_rate / catsim_rate:>7.1f}×{engine_rate:>18.1f} {engine_rate / catsim_cpu_rate:>6.1f}×   "
              f"≥ {TARGET_ENGINE_RATIO:.0f}×: {verdict(engine_rate / catsim_rate, TARGET_ENGINE_RATIO)} (wall) / "
              f"{verdict(engine_rate / catsim_cpu_rate, TARGET_ENGINE_RATIO)} (CPU)")
        print(f"    ({engine_description})")
    if summary32.get("cpuPerAnswerOverEngineStep"):
        print(f"  certsim run CPU per answer {summary32['cpuMicrosecondsPerAnswer']:.1f} µs = "
              f"{summary32['cpuPerAnswerOverEngineStep']:.0f}× the engine step it measured at its start "
              f"({summary32['engine']['stepNanoseconds']:.0f} ns)")
    print(f"  (certsim run timed on {run_count} examinees; the {args.examinees}-examinee accuracy pass: "
          f"{accuracy_summary['certificationsPerSecond']:.1f} examinees/s, {accuracy_summary['wallSeconds']:.2f} s wall, "
          f"{accuracy_summary['cpuSeconds']:.2f} s CPU)")
    print(f"  1-minute load average: {load_at_start:.2f} at the start, {load_at_catsim:.2f} before catsim, "
          f"{os.getloadavg()[0]:.2f} at the end; {os.cpu_count()} CPUs. On shared cores the wall figures follow "
          f"the other load; the per-CPU-second ratios do not (the engine benchmark's median is one thread's "
          f"time per step, compared with catsim's examinees per CPU-second).")
    print(f"  timers: catsim = Simulator.duration, its loop over the examinees (select, answer, estimate), set-up "
          f"excluded; certsim run = the run's candidate phase from summary.json: every candidate's start, 32 "
          f"next/answer, finish and scoring, store writes ({args.durability}), session closes; process start, bank "
          f"load, session set-up and the final read-back excluded (process wall "
          f"{speed_run['process_wall_seconds']:.2f} s, concurrency {args.concurrency}). CPU s = process CPU over "
          f"the same span (catsim: around simulate(), one thread). The engine benchmark is one thread, record + "
          f"next only: no answer simulation, no store, no scoring.")
    print()
    print("answers  tool      n      bias      RMSE (± s.e.)      mean SE   bound 1/sqrt(1+I)   RMSE/bound")
    for length, tool, (bias, rmse, se, rmse_se), limit, n in table:
        print(f"{length:>7}  {tool:8s} {n:>5} {bias:>+9.4f} {rmse:>9.4f} (±{rmse_se:.4f}) {se:>9.4f}   {limit:>17.4f}"
              f"   {rmse / limit:>10.3f}")
    print()
    for length in LENGTHS:
        _, k, _, k_se = next(row for row in table if row[0] == length and row[1] == "catsim")[2]
        _, c, _, c_se = next(row for row in table if row[0] == length and row[1] == "certsim")[2]
        gap = c / k - 1
        gap_se = math.hypot(c_se, k_se) / k
        print(f"RMSE certsim vs catsim at {length:>2} answers: {gap:+.2%} ± {gap_se:.2%} (1 s.e.)  "
              f"(target within ±{TARGET_RMSE_GAP:.0%}: {'met' if abs(gap) <= TARGET_RMSE_GAP else 'MISSED'}"
              f"{'; not resolvable at this n' if gap_se > TARGET_RMSE_GAP / 2 else ''})")
    agree, total, worst = replay
    print(f"certsim's {len(rows32)} tests replayed with the catsim-side EAP and MaxInfoSelector ordering: "
          f"{agree}/{total} picks identical, largest |Δθ̂| at 32 answers {worst:.1e}")
    print(f"certsim 5/20-answer runs are prefixes of the 32-answer run: "
          f"{'yes' if prefix_mismatches == 0 else f'NO ({prefix_mismatches} candidates differ)'}")
    print()
    print_overlap(certsim_runs[TEST_LENGTH], simulator)


def print_overlap(run: dict, simulator) -> None:
    """Test overlap on the same exposure vector: certsim's own figures (summary.json's itemSecurity)
    beside catsim.cat.overlap_rate on the rates of certsim's exposure.csv, with Q = certsim's mean
    test length (what certsim's Barrada figure uses), and catsim's overlap of its own simulation."""
    security = run["summary"].get("itemSecurity")
    if security is None:
        print("test overlap: this certsim wrote no itemSecurity block (older build): not compared")
        return
    rates = numpy.array([float(row["rate"]) for row in run["exposure"]], dtype=float)
    length = security["meanTestLength"]
    catsim_t = float(catsim.cat.overlap_rate(rates, length))
    overlap = security["overlap"]
    print(f"test overlap on certsim's exposure vector ({len(rates)} challenges, {security['certifications']} "
          f"certifications, mean length Q = {length:.3f}):")
    print(f"  catsim.cat.overlap_rate(rates, Q)         {catsim_t:.6f}")
    print(f"  certsim Barrada (N/Q)·Var(r) + Q/N        {overlap['barrada']:.6f}   "
          f"(|Δ| {abs(catsim_t - overlap['barrada']):.1e})")
    print(f"  certsim measured over pairs               {overlap['direct']:.6f}   "
          f"({overlap['pairs']} of {overlap['pairsTotal']} pairs{', drawn from the seed' if overlap['sampled'] else ''})")
    print(f"  (catsim's own simulation, max-information without randomesque: overlap {simulator.overlap_rate:.6f})")


if __name__ == "__main__":
    main()

"""Locust's side of the load-generator peer: the candidate flow of certsim's HTTP API.

Each Locust user takes the next provisioned candidate (enrolled and authorised beforehand over the
control socket by locust_compare.py), then: POST /sessions/{s}/candidates/{c}/start with the access
code, and GET /assessments/{a}/next + POST /assessments/{a}/answers until `next` answers 204. The
answer is right with probability 1/(1 + exp(a(b - theta))) for the candidate's theta and the served
challenge's (a, b), like certsim's simulated candidates. No think time (as fast as possible, like
`certsim run` with time_scale 0). A finished certification is reported as a pseudo-request of type
CERT named "certification" whose response time is the whole test, so Locust's stats CSV counts it.

On exit every Locust process (the master and each worker) writes its own CPU seconds to
CERTSIM_PEERS_CPU_DIR/<pid>.cpu when that variable is set: forked workers are not always waited
for by the master, so the script cannot rely on its children's resource usage.

Environment: CERTSIM_PEERS_POOL (JSON list of {sessionId, candidateId, accessCode, theta}),
CERTSIM_PEERS_BANK (the daemon's bank file) and CERTSIM_PEERS_WORKERS (Locust's --processes, 1 when
Locust runs as one process). With --processes N every worker process holds a copy of the pool, so
each takes only its own share (every N-th candidate from its worker index): no candidate is started
twice. Run by locust_compare.py; see README.md.
"""

import json
import math
import os
import random
import resource
import time

from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

# Bounds of one certification: more `next` calls than this is a protocol error, not a loop.
QUESTIONS_MAX = 1000

with open(os.environ["CERTSIM_PEERS_POOL"]) as _handle:
    _POOL_ALL = json.load(_handle)
_WORKERS = max(1, int(os.environ.get("CERTSIM_PEERS_WORKERS", "1")))
_POOL = None  # this process's share, chosen on the first task (the worker index is known by then)
with open(os.environ["CERTSIM_PEERS_BANK"]) as _handle:
    _ITEMS = {c["id"]: (c["discriminant"], c["difficulty"]) for c in json.load(_handle)["challenges"]}
_RANDOM = random.Random(int(os.environ.get("CERTSIM_PEERS_SEED", "1")))


class Candidate(FastHttpUser):
    wait_time = constant(0)

    @task
    def certification(self) -> None:
        global _POOL
        if _POOL is None:
            index = max(0, getattr(self.environment.runner, "worker_index", 0))
            _POOL = iter(_POOL_ALL[index::_WORKERS])
            _RANDOM.seed(int(os.environ.get("CERTSIM_PEERS_SEED", "1")) + index)
        candidate = next(_POOL, None)
        if candidate is None:
            raise StopUser()  # the provisioned pool is used up
        started = time.perf_counter()
        session, seat = candidate["sessionId"], candidate["candidateId"]
        with self.client.post(f"/sessions/{session}/candidates/{seat}/start", json={"accessCode": candidate["accessCode"]},
                              name="start", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"start {response.status_code}: {response.text[:200]}")
                return
            body = response.json()
        assessment, headers = body["assessmentId"], {"Authorization": f"Bearer {body['token']}"}
        for _ in range(QUESTIONS_MAX):
            with self.client.get(f"/assessments/{assessment}/next", headers=headers, name="next",
                                 catch_response=True) as response:
                if response.status_code == 204:
                    break
                if response.status_code != 200:
                    response.failure(f"next {response.status_code}: {response.text[:200]}")
                    return
                challenge = response.json()["challengeId"]
            a, b = _ITEMS[challenge]
            correct = _RANDOM.random() < 1.0 / (1.0 + math.exp(a * (b - candidate["theta"])))
            with self.client.post(f"/assessments/{assessment}/answers", headers=headers, name="answer",
                                  json={"challengeId": challenge, "result": "ok" if correct else "ko"},
                                  catch_response=True) as response:
                if response.status_code != 201:
                    response.failure(f"answer {response.status_code}: {response.text[:200]}")
                    return
        else:
            return
        events.request.fire(request_type="CERT", name="certification", response_length=0, exception=None,
                            context={}, response_time=(time.perf_counter() - started) * 1000.0)


@events.quit.add_listener
def _record_cpu(**_kwargs) -> None:
    directory = os.environ.get("CERTSIM_PEERS_CPU_DIR")
    if directory:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        with open(os.path.join(directory, f"{os.getpid()}.cpu"), "w") as handle:
            handle.write(f"{usage.ru_utime + usage.ru_stime}\n")

"""Schemathesis hooks for certsim's candidate API (loaded by scripts/schemathesis.sh).

Authentication comes from a fixture made through the daemon's control socket, as a proctor
would: a session, one enrolled candidate, an authorisation, then the candidate's own start over
HTTP, which gives the assessment id and its bearer token. Generated path parameters are replaced
by the fixture's ids for about half of the cases (decided from the generated value, so a seed
replays), so that the fuzzer reaches the test's rules and not only "not found".

The extra check: a 5xx is a finding unless it is a 503 with Retry-After (the documented,
retryable refusal).
"""

import json
import os
import socket
import urllib.request

import schemathesis

SOCKET = os.environ["CERTSIM_CONTROL_SOCKET"]
BASE_URL = os.environ["CERTSIM_BASE_URL"]
SESSION_ID = "FUZZ14"
CANDIDATE_ID = "fuzz-candidate"
CONTROL_LINE_BYTES_MAX = 1 << 20
CONTROL_TIMEOUT_SECONDS = 10


def control(commands: list[dict]) -> list[dict]:
    """Sends newline-delimited JSON commands on one connection and returns the responses."""
    replies = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(CONTROL_TIMEOUT_SECONDS)
        connection.connect(SOCKET)
        stream = connection.makefile("rwb")
        for index, command in enumerate(commands, start=1):
            stream.write(json.dumps({"id": index, **command}).encode() + b"\n")
            stream.flush()
            line = stream.readline(CONTROL_LINE_BYTES_MAX)
            reply = json.loads(line)
            if not reply.get("ok"):
                raise RuntimeError(f"control command {command['cmd']} refused: {reply}")
            replies.append(reply)
    return replies


class Fixture:
    """The session, candidate and started assessment every authenticated case uses."""

    def __init__(self) -> None:
        created = control([{"cmd": "session.create", "sessionId": SESSION_ID, "name": "schemathesis"},
                           {"cmd": "candidate.enrol", "sessionId": SESSION_ID, "candidateId": CANDIDATE_ID},
                           {"cmd": "candidate.authorize", "sessionId": SESSION_ID, "candidateId": CANDIDATE_ID}])
        self.access_code = created[0]["result"]["accessCode"]
        request = urllib.request.Request(
            f"{BASE_URL}/sessions/{SESSION_ID}/candidates/{CANDIDATE_ID}/start",
            data=json.dumps({"accessCode": self.access_code}).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=CONTROL_TIMEOUT_SECONDS) as response:
            started = json.loads(response.read())
        self.assessment_id = started["assessmentId"]
        self.token = started["token"]


_fixture: Fixture | None = None


def fixture() -> Fixture:
    global _fixture
    if _fixture is None:
        _fixture = Fixture()
    return _fixture


@schemathesis.auth()
class CandidateToken:
    """The bearer token of the fixture's start (fetched once: a new start would revoke it)."""

    def get(self, case, ctx):
        return fixture().token

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


def _keep_generated(value) -> bool:
    return len(str(value)) % 2 == 1


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    if not path_parameters:
        return path_parameters
    known = fixture()
    replacements = {"assessmentId": known.assessment_id, "sessionId": SESSION_ID, "candidateId": CANDIDATE_ID}
    for name, value in replacements.items():
        if name in path_parameters and not _keep_generated(path_parameters[name]):
            path_parameters[name] = value
    return path_parameters


@schemathesis.check
def no_undocumented_server_error(ctx, response, case):
    if response.status_code >= 500 and not (response.status_code == 503 and "Retry-After" in response.headers):
        raise AssertionError(f"{response.status_code} without Retry-After: {response.text[:200]}")

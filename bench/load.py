"""A bounded load test of the chat server: N concurrent users asking over HTTP for a fixed time.

    python -m bench.load [--users 50] [--seconds 60] [--index DIR]

Starts `newsdesk serve` on a free loopback port over DIR (the seeds are ingested into
it first when it does not exist), waits until the model is warm, then runs `--users`
closed-loop clients: each posts a question to the `/ask` API (`/gradio_api/call/ask`),
reads the answer from its event stream, and asks the next one at once. Reports
answered requests, latency percentiles, "queue is full" refusals, errors, and the
server's resident memory at the start and the end (and the peak, sampled every second).
Loopback only; it never reaches the network. Not a pytest test: it takes minutes.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = (
    "What opportunities does Sora create for China's computing power and data centers?",
    "What is Baidu doing in AI?",
    "And what about Tencent?",
    "Why should China and the US join their strengths in AI?",
    "How is facial recognition used in China?",
    "Who won the 1998 Tour de France cycling race?",
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=50, help="concurrent clients (default 50)")
    p.add_argument("--seconds", type=float, default=60, help="how long they ask (default 60)")
    p.add_argument("--index", default="/tmp/newsdesk-load-index", help="index folder (seeds ingested if missing)")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = p.parse_args(argv)

    import httpx

    with served(Path(args.index)) as (url, server):
        rss_start = _rss_mb(server.pid)
        results: list[tuple[str, float]] = []  # (outcome, seconds)
        samples: list[tuple[float, float]] = []  # (seconds since start, RSS MB), one a second
        stop_at = time.monotonic() + args.seconds
        sampler = threading.Thread(target=_sample_rss, args=(server.pid, stop_at, samples), daemon=True)
        users = [threading.Thread(target=_user, args=(httpx, url, n, stop_at, results)) for n in range(args.users)]
        started = time.monotonic()
        sampler.start()
        for t in users:
            t.start()
        for t in users:
            t.join()
        wall = time.monotonic() - started
        rss_end = _rss_mb(server.pid)
    figures = _figures(results, args.users, wall, rss_start, rss_end, samples)
    print(json.dumps(figures) if args.json else _table(figures))
    return 0


def _user(httpx, url: str, n: int, stop_at: float, results: list) -> None:
    """One closed-loop client: ask, wait for the whole answer, ask again, until `stop_at`."""
    with httpx.Client(timeout=120) as http:
        i = n
        while time.monotonic() < stop_at:
            question = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            start = time.monotonic()
            try:
                outcome = _ask(http, url, question)
            except Exception as exc:  # a dropped connection or timeout is an error of the run, not a crash
                outcome = f"error: {type(exc).__name__}"
            results.append((outcome, time.monotonic() - start))
            if outcome == "busy":
                time.sleep(0.5)  # what a person does on "queue is full": wait a moment, ask again


def _ask(http, url: str, question: str) -> str:
    r = http.post(f"{url}gradio_api/call/ask", json={"data": [question, "", "", "", ""]})  # no filters
    if r.status_code == 503:
        return "busy"
    if r.status_code != 200:
        return f"error: HTTP {r.status_code}"
    event_id = r.json()["event_id"]
    event = None
    with http.stream("GET", f"{url}gradio_api/call/ask/{event_id}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line[7:].strip()
            elif line.startswith("data: ") and event in ("complete", "error"):
                if event == "complete":
                    answer = json.loads(line[6:])[0]
                    return "answered" if "text" in answer else "error: no answer text"
                return f"error: {line[6:][:80]}"
    return "error: stream ended without an answer"


def _figures(results: list, users: int, wall: float, rss_start: float, rss_end: float,
             samples: list[tuple[float, float]]) -> dict:
    answered = sorted(s for o, s in results if o == "answered")
    errors: dict[str, int] = {}
    for outcome, _ in results:
        if outcome.startswith("error"):
            errors[outcome] = errors.get(outcome, 0) + 1

    def pct(q: float) -> float | None:
        return round(answered[min(len(answered) - 1, int(q * len(answered)))] * 1000) if answered else None

    return {"users": users, "seconds": round(wall, 1), "answered": len(answered),
            "answers_per_s": round(len(answered) / wall, 2), "p50_ms": pct(0.50), "p95_ms": pct(0.95),
            "max_ms": round(answered[-1] * 1000) if answered else None,
            "mean_ms": round(statistics.fmean(answered) * 1000) if answered else None,
            "busy": sum(1 for o, _ in results if o == "busy"), "errors": sum(errors.values()), "error_kinds": errors,
            "rss_start_mb": rss_start, "rss_end_mb": rss_end,
            "rss_peak_mb": max([rss_start, rss_end] + [r for _, r in samples]),
            # memory is flat when it stops growing once every user has been served: compare the quarters
            "rss_quarters_mb": [
                _rss_at(samples, wall * q / 4, rss_start) for q in (1, 2, 3)] + [rss_end]}


def _rss_at(samples: list[tuple[float, float]], at: float, default: float) -> float:
    """The RSS sampled closest to `at` seconds into the run."""
    return min(samples, key=lambda s: abs(s[0] - at))[1] if samples else default


def _table(f: dict) -> str:
    rows = [("users", f["users"]), ("seconds", f["seconds"]), ("answered", f["answered"]),
            ("answers/s", f["answers_per_s"]), ("p50 latency", f"{f['p50_ms']} ms"), ("p95 latency", f"{f['p95_ms']} ms"),
            ("max latency", f"{f['max_ms']} ms"), ("busy (queue is full)", f["busy"]),
            ("errors", f"{f['errors']} {f['error_kinds'] or ''}".strip()),
            ("server RSS start / end / peak", f"{f['rss_start_mb']} / {f['rss_end_mb']} / {f['rss_peak_mb']} MB"),
            ("server RSS at each quarter of the run", " / ".join(map(str, f["rss_quarters_mb"])) + " MB")]
    return "\n".join(f"| {k} | {v} |" for k, v in [("measure", "value"), ("---", "---"), *rows])


def _wait_up(httpx, url: str, server: subprocess.Popen, timeout: float = 180) -> None:
    """Until the server answers a question (model loaded, queue running)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"newsdesk serve exited: {server.stderr.read()[-2000:]}")
        try:
            with httpx.Client(timeout=60) as http:
                if _ask(http, url, QUESTIONS[0]) == "answered":
                    return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"newsdesk serve did not answer within {timeout:.0f} s")


def _sample_rss(pid: int, stop_at: float, samples: list) -> None:
    started = time.monotonic()
    while time.monotonic() < stop_at:
        samples.append((time.monotonic() - started, _rss_mb(pid)))
        time.sleep(1.0)


def _rss_mb(pid: int) -> float:
    """Resident memory of the server process in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


@contextlib.contextmanager
def served(index: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`newsdesk serve` over `index` (the seeds ingested into it first when it does not exist) on a free
    loopback port, answering: yields its url and process, and stops it on exit."""
    import httpx

    if not (index / "newsdesk.sqlite").exists():
        subprocess.run([sys.executable, "-m", "ui.cli", "ingest", str(ROOT / "seeds"), "--index", str(index), "-q"],
                       cwd=ROOT, check=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {k: v for k, v in os.environ.items() if k != "NEWSDESK_PASSWORD"} | {"PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--index", str(index), "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_up(httpx, url, server)
        yield url, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())

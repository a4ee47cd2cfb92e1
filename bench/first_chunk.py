"""Time to the first streamed text: the OpenAI chat API against the web chat, same server, same questions.

    python -m bench.first_chunk [--rounds 3] [--index DIR] [--json]

Starts `newsdesk serve` on a free loopback port over DIR (the seeds are ingested into it first when it
does not exist), waits until it answers, then asks each question of `bench.load.QUESTIONS` `--rounds`
times through both doors, one after the other: the API with `stream: true` (`POST /v1/chat/completions`,
timed to its first chunk, the role, and to its first chunk of answer text) and the web chat's own event
as the browser sends it (`/gradio_api/queue/join`, then its event stream, timed to the first update that
shows answer text instead of "Searching the articles"). Also the time to the whole answer. Medians per
door. Loopback only; not a pytest test.
"""
from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import time
from pathlib import Path

from bench.load import QUESTIONS, served



def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.first_chunk", description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3, help="times each question is asked through each door (default 3)")
    p.add_argument("--index", default="/tmp/newsdesk-load-index", help="index folder (seeds ingested if missing)")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = p.parse_args(argv)

    import httpx

    with served(Path(args.index)) as (url, _), httpx.Client(timeout=120) as http:
        chat_event = _chat_event(http, url)
        timings: dict[str, list[tuple[float, float, float]]] = {"api": [], "chat": []}
        for _ in range(args.rounds):
            for question in QUESTIONS:
                timings["api"].append(_api(http, url, question))
                timings["chat"].append(_chat(http, url, question, chat_event))
    figures = {door: {"first_event_ms": _median(t, 0), "first_text_ms": _median(t, 1), "whole_ms": _median(t, 2),
                      "asked": len(t)} for door, t in timings.items()}
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"{len(QUESTIONS)} questions x {args.rounds} rounds, medians (ms); seeds index, extractive answers")
        print(f"{'door':<34}{'first event':>12}{'first text':>12}{'whole answer':>14}")
        for door, name in (("api", "OpenAI API, stream: true"), ("chat", "web chat (gradio queue event)")):
            f = figures[door]
            print(f"{name:<34}{f['first_event_ms']:>12.1f}{f['first_text_ms']:>12.1f}{f['whole_ms']:>14.1f}")
    return 0


def _api(http, url: str, question: str) -> tuple[float, float, float]:
    body = {"model": "newsdesk", "stream": True, "messages": [{"role": "user", "content": question}]}
    start, first, text = time.monotonic(), None, None
    with http.stream("POST", f"{url}v1/chat/completions", json=body) as reply:
        for line in reply.iter_lines():
            if not line.startswith("data: "):
                continue
            first = first or time.monotonic()
            if line == "data: [DONE]":
                break
            if text is None and json.loads(line[6:])["choices"][0]["delta"].get("content"):
                text = time.monotonic()
    end = time.monotonic()
    return (first - start) * 1000, ((text or end) - start) * 1000, (end - start) * 1000


def _chat_event(http, url: str) -> tuple[int, int]:
    """The fn_index and trigger of the chat's question box (the `respond` event of `ui.app`)."""
    config = http.get(f"{url}config").json()
    event = next(d for d in config["dependencies"] if d.get("api_name") == "respond")
    return event["id"], event["targets"][0][0]


def _chat(http, url: str, question: str, event: tuple[int, int]) -> tuple[float, float, float]:
    session = secrets.token_hex(8)
    start, first, text = time.monotonic(), None, None
    joined = http.post(f"{url}gradio_api/queue/join", json={
        "data": [question, [], None, [], [], "", "", True], "event_data": None, "fn_index": event[0],
        "trigger_id": event[1], "session_hash": session})
    joined.raise_for_status()
    with http.stream("GET", f"{url}gradio_api/queue/data", params={"session_hash": session}) as reply:
        for line in reply.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            if message.get("msg") == "process_generating":
                first = first or time.monotonic()
                if text is None and "nd-answer" in line:
                    text = time.monotonic()
            if message.get("msg") == "process_completed":
                break
    end = time.monotonic()
    return ((first or end) - start) * 1000, ((text or end) - start) * 1000, (end - start) * 1000


def _median(rows: list[tuple[float, float, float]], i: int) -> float:
    return round(statistics.median(r[i] for r in rows), 1)


if __name__ == "__main__":
    sys.exit(main())

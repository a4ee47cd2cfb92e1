"""What each `newsdesk` command does once its arguments are parsed (ui/cli.py declares them).

Each command takes the parsed arguments and the `Config` and returns the exit status;
a user's mistake is raised as a `NewsdeskError`, which the CLI prints as one line.
Heavy modules (the model, gradio) are imported inside the command that needs them,
so `newsdesk --help` and argument errors answer at once.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from index.errors import NewsdeskError
from qa.answer.records import paragraphs
from qa.config import Config
from ui.terminal import one_line, terminal_safe


def filters_of(args: argparse.Namespace):
    from qa.retrieve.filters import parse_filters

    return parse_filters(args.outlet, args.topic, args.since, args.until)


def ingest_command(args: argparse.Namespace, config: Config) -> int:
    from index.ingest import IngestRun, ingest

    config = config.with_overrides(ingest_engine=args.engine, ingest_workers=args.workers)
    settings = config.index_settings()
    encoder = config.encoder()
    bar = None

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal bar
        if args.quiet:
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr, dynamic_ncols=True)
        bar.update(done - bar.n)

    report = ingest(args.paths, config.index_dir, encoder, settings,
                    IngestRun(sync=args.sync, rebuild=args.rebuild, progress=progress))
    if bar is not None:
        bar.close()
    for err in report.errors:
        print(f"newsdesk: skipped {terminal_safe(str(err))}", file=sys.stderr)
    for warning in report.warnings:
        print(f"newsdesk: warning: {terminal_safe(warning)}", file=sys.stderr)
    print(f"{config.index_dir}: {report.summary()}")
    return 1 if report.errors and not (report.added or report.updated or report.unchanged) else 0


def search_command(args: argparse.Namespace, config: Config) -> int:
    from qa.retrieve.retriever import Retriever, validate_question

    question, filters = validate_question(args.question), filters_of(args)  # before the slow model load
    retriever = Retriever.open(config.index_dir, config)
    hits = retriever.search(question, k=args.k if args.k is not None else config.top_k, filters=filters)
    if args.json:
        for hit in hits:
            print(json.dumps(asdict(hit) | {"citation": hit.citation}, ensure_ascii=False))
        return 0
    reading = retriever.read_time(question)
    if reading.recency or reading.bounded:
        print(f"({reading.describe()})\n")
    if not hits:
        print("No passages found (is the index empty, or the filter too narrow?).")
    for hit in hits:
        print(f"[{hit.rank}] {hit.score:.3f}  {one_line(hit.citation, 400)}")
        print(f"    {one_line(hit.text, 400)}\n")
    return 0


def timeline_command(args: argparse.Namespace, config: Config) -> int:
    from ui.timeline_command import run_timeline

    return run_timeline(args, config)


def ask_command(args: argparse.Namespace, config: Config) -> int:
    from qa.answer import ask
    from qa.answer.factory import check_answerer, make_answerer
    from qa.retrieve.retriever import Retriever, validate_question

    question, filters = validate_question(args.question), filters_of(args)  # before the slow model load
    config = config.with_overrides(answerer=args.answerer)
    check_answerer(config)
    retriever = Retriever.open(config.index_dir, config)
    answerer = make_answerer(config, retriever.encoder)
    answer = ask(question, retriever=retriever, filters=filters, k=args.k if args.k is not None else config.top_k,
                 answerer=answerer)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    if answer.abstained and not answer.hits and filters:
        from ui.desk import Desk
        from ui.render import filters_note

        print(terminal_safe(filters_note(filters, Desk(retriever, config).summary(),  # the web chat's words
                                         "Widen or drop --outlet, --topic, --since or --until, then ask again.")))
        return 0
    for part in paragraphs(answer.text):  # the direct answer on a line of its own; a quote's hard wrap is a space
        print(terminal_safe(part))
    contradicted = sum(c.verdict == "contradicted" for c in answer.claims)
    if contradicted:
        print(f"\n{contradicted} sentence{'s' if contradicted > 1 else ''} marked [contradicted]: a retrieved passage "
              "says otherwise (its quote is the citation); do not rely on it.")
    if answer.unsupported - contradicted:
        unbacked = answer.unsupported - contradicted
        print(f"\n{unbacked} sentence{'s' if unbacked > 1 else ''} marked [unsupported]: "
              "no retrieved passage backs it; check before relying on it.")
    if answer.abstained:
        print("\nClosest passages:" if answer.hits else "\nNo passages found (is the index empty, or the filter too narrow?).")
        for hit in answer.hits:
            print(f"  [{hit.rank}] {one_line(hit.citation, 400)}\n      {one_line(hit.text, 300)}")
    for c in answer.citations:
        print(f"\n[{c.n}] {one_line(c.label, 400)}" + (f"\n    {one_line(c.url, 400)}" if c.url else ""))
    return 0


def check_command(args: argparse.Namespace, config: Config) -> int:
    from ui.check_command import check_lines

    for line in check_lines(args.claim, config, filters_of(args), args.k, args.json):
        print(line if args.json else terminal_safe(line))
    return 0


def eval_command(args: argparse.Namespace, config: Config) -> int:
    from qa.evaluate.command import run_eval

    return run_eval(args, config)


def serve_command(args: argparse.Namespace, config: Config) -> int:
    import threading

    from qa.answer.factory import check_answerer
    from qa.retrieve.retriever import Retriever

    _check_port_free(args.host, args.port)  # before the slow model load, and without gradio's traceback
    config = config.with_overrides(answerer=args.answerer)
    check_answerer(config)  # before the slow start; the desk builds the answerer the config names
    retriever = Retriever.open(config.index_dir, config)
    # The model loads while gradio is imported: each takes seconds, and on 2 cores they overlap.
    loading = threading.Thread(target=retriever.encoder.encode_query, args=("warm up",), daemon=True)
    loading.start()
    from ui.app import serve

    loading.join()
    serve(retriever, config, host=args.host, port=args.port)
    return 0


def mcp_command(args: argparse.Namespace, config: Config) -> int:
    from qa.answer.factory import check_answerer
    from qa.retrieve.retriever import Retriever
    from ui.desk import Desk

    config = config.with_overrides(answerer=args.answerer)
    check_answerer(config)
    from ui.mcp_server import serve

    serve(Desk(Retriever.open(config.index_dir, config), config))
    return 0


def _check_port_free(host: str, port: int) -> None:
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise NewsdeskError(f"--host {host} is not an address this machine knows ({exc.strerror or exc})",
                            "give an address such as 127.0.0.1 or 0.0.0.0") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise NewsdeskError(f"cannot serve on {host}:{port} ({exc.strerror or exc}; is another server using it?)",
                                "stop that server, or choose another --port") from None

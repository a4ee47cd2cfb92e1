"""The chat web UI: the only module that imports gradio.

Layout and event wiring only. Answers, filters, uploads and the corpus summary
come from `ui.desk.Desk`; every piece of HTML from `ui.render`, which escapes
all article text. The server binds 127.0.0.1 unless told otherwise, never opens
a share link, and sends no analytics. With a password (NEWSDESK_PASSWORD or the
`password` setting) every page and API call needs a login; the request queue is
bounded, so a flood gets "queue is full" answers instead of growing memory;
errors reach users as one plain sentence, never a traceback or a server path.
"""
from __future__ import annotations

import hmac
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # read when gradio is imported: no phoning home

import gradio as gr  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from index.errors import NewsdeskError  # noqa: E402
from index.parse import SUPPORTED_SUFFIXES  # noqa: E402
from qa.answer import Answer, Thinking  # noqa: E402
from qa.config import Config  # noqa: E402
from qa.retrieve.filters import parse_filters  # noqa: E402
from qa.retrieve.retriever import Retriever  # noqa: E402
from ui import render  # noqa: E402
from index.ingest.uploads import MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES  # noqa: E402
from ui.desk import CorpusSummary, Desk  # noqa: E402
from ui.guard import LoginGuard  # noqa: E402
from ui.openai_api import ChatApi  # noqa: E402
from ui.stream import paced  # noqa: E402

log = logging.getLogger("newsdesk.ui")
STYLE = Path(__file__).with_name("style.css")
THEME = gr.themes.Soft(primary_hue="indigo", neutral_hue="slate",
                       font=["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"])
# Gradio scopes the css file to the app's content; the page's own side padding needs an unscoped rule.
# A click on [n] marks its card (.nd-flash in style.css), unfolding an older turn if needed, and scrolls the
# sources panel alone: scrollIntoView would scroll the page too and take the chat off screen. Only when the
# panel does not scroll (a phone, where the sources stack under the chat) does the page move to the card.
HEAD = """<style>@media (max-width: 720px) { .gradio-container .main.app { padding: 8px !important; } }</style>
<script>
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a.nd-cite");
  if (!link) return;
  const card = document.getElementById(link.getAttribute("href").slice(1));
  if (!card) return;
  event.preventDefault();
  const fold = card.closest("details");
  if (fold) fold.open = true;
  document.querySelectorAll(".nd-card.nd-flash").forEach((c) => c.classList.remove("nd-flash"));
  card.classList.add("nd-flash");
  const panel = document.getElementById("nd-sources");
  const box = panel.getBoundingClientRect(), r = card.getBoundingClientRect();
  if (panel.scrollHeight > panel.clientHeight + 1) {
    const top = Math.max(box.top, 0), bottom = Math.min(box.bottom, window.innerHeight);
    if (r.top < top || r.bottom > bottom) panel.scrollTo({top: panel.scrollTop + r.top - top - 8, behavior: "smooth"});
  } else if (r.top < 0 || r.bottom > window.innerHeight) {
    card.scrollIntoView({behavior: "smooth", block: "nearest"});
  }
});
</script>"""
THINKING = '<span class="nd-note" role="status">Searching the articles…</span>'
MODEL_THINKING = '<span class="nd-note" role="status">The model is thinking…</span>'  # while a reasoning model reasons
UNEXPECTED = "Something went wrong on the server (the server log has the details). Please try again."
CONCURRENT_ANSWERS = 2  # questions answered at once: the embedding model keeps the CPU cores busy
QUEUE_MAX = 64  # questions waiting beyond those; more are refused at once ("queue is full"), not queued
# Gradio keeps each session's state (a chat's past answers; every /ask API call is a session of its own) and
# drops the oldest past this many. Its default, 10,000, let a load test's server grow by ~50 KB per call for
# hours; 500 bounds that near 25 MB and still keeps the conversations of 500 recent users.
SESSIONS_KEPT = 500
PASSWORD_ENV = "NEWSDESK_PASSWORD"


def build(desk: Desk) -> gr.Blocks:
    """The Blocks app for `desk` (not launched)."""
    summary = desk.summary()
    with gr.Blocks(title="newsdesk") as app:
        turns = gr.State([])  # [(question, Answer)] of this browser session
        with gr.Row(elem_id="nd-header"):
            gr.HTML('<h1>newsdesk</h1><span class="nd-tag">Ask the news: every answer is quoted from the articles '
                    "and cited.</span>", padding=False)
        corpus = gr.HTML(render.summary_html(summary), elem_id="nd-corpus")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=340):
                chat = gr.Chatbot(
                    elem_id="nd-chat", label="Chat", show_label=False, height=500, layout="bubble",
                    render_markdown=False, latex_delimiters=[], buttons=["copy"], feedback_options=None,
                    placeholder="**Ask a question about the indexed articles.**<br>Answers quote them; "
                                "click a [n] to see its source.",
                    examples=[{"text": q} for q in desk.example_questions()])
                question = gr.Textbox(elem_id="nd-question", show_label=False, submit_btn="Ask",
                                      placeholder="Ask about the articles, e.g. what did experts say about Sora?",
                                      max_length=2000)
                with gr.Row():
                    clear = gr.Button("New chat", size="sm", variant="secondary", scale=0, min_width=110)
                with gr.Accordion("Filters (apply to the next question)", open=False, elem_id="nd-filters"):
                    with gr.Row():
                        outlets = gr.Dropdown(list(summary.outlet_names), multiselect=True, label="Outlet",
                                              min_width=200)
                        topics = gr.Dropdown(list(summary.topic_names), multiselect=True, label="Topic",
                                             visible=bool(summary.topic_names), min_width=200)
                    with gr.Row():
                        since = gr.Textbox(label="From", placeholder=summary.date_from or "YYYY-MM-DD", min_width=140)
                        until = gr.Textbox(label="To", placeholder=summary.date_to or "YYYY-MM-DD", min_width=140)
                    read_dates = gr.Checkbox(True, label="Read dates in the question (\"the latest\", \"before "
                                             "October 20\", \"last week\")", elem_id="nd-read-dates")
                    time_read = gr.HTML("", elem_id="nd-time-read")
                with gr.Accordion("Add articles", open=False, elem_id="nd-add"):
                    # The button and its status sit beside the drop zone, so the result shows where the user clicked.
                    with gr.Row(equal_height=False):
                        files = gr.File(file_count="multiple", file_types=sorted(SUPPORTED_SUFFIXES), height=120,
                                        label="Article files", scale=3, min_width=240)
                        with gr.Column(scale=2, min_width=200):
                            add = gr.Button("Add to the index", variant="primary", size="sm")
                            status = gr.HTML("", elem_id="nd-status")
                            gr.HTML(f'<div class="nd-note">{" ".join(sorted(SUPPORTED_SUFFIXES))}: up to '
                                    f"{MAX_UPLOAD_FILES} files, {MAX_UPLOAD_BYTES // 1_000_000} MB each. They are "
                                    "added to this index and can be asked about at once.</div>")
            with gr.Column(scale=2, min_width=300):
                sources = gr.HTML(render.sources_html([]), elem_id="nd-sources", label="Sources")

        def respond(message: str, history: list[dict], past: list, outlet: list, topic: list, start: str, end: str,
                    dated: bool = True):
            message = (message or "").strip()
            if not message:
                yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
                return
            prior = list(history or [])
            history = prior + [{"role": "user", "content": message}, {"role": "assistant", "content": THINKING}]
            yield "", history, gr.skip(), gr.skip(), gr.skip()
            turn = len(past) + 1
            try:
                filters = parse_filters(outlet or (), topic or (), start, end)
                text = ""
                for piece in paced(desk.ask_stream(message, prior, filters, time=dated)):
                    if isinstance(piece, Answer):
                        note = (render.filters_note(filters, desk.summary())
                                if piece.abstained and not piece.hits and filters else "")
                        past = past + [(message, piece, note)]
                        history[-1] = {"role": "assistant",
                                       "content": render.answer_html(piece.text, turn, piece.abstained, note)}
                        read = render.time_read_html(desk.read_time(piece.query or message) if dated else None)
                        yield "", history, render.sources_html(past), past, read
                        return
                    if isinstance(piece, Thinking) and not text:
                        history[-1] = {"role": "assistant", "content": MODEL_THINKING}
                        yield "", history, gr.skip(), gr.skip(), gr.skip()
                        continue
                    text += piece
                    history[-1] = {"role": "assistant", "content": render.answer_html(text, turn)}
                    yield "", history, gr.skip(), gr.skip(), gr.skip()
            except NewsdeskError as exc:
                history[-1] = {"role": "assistant", "content": render.status_html(desk.public(exc), ok=False)}
            except Exception:
                log.exception("answering %r failed", message)
                history[-1] = {"role": "assistant", "content": render.status_html(UNEXPECTED, ok=False)}
            yield "", history, gr.skip(), gr.skip(), gr.skip()

        chat_io = dict(inputs=[question, chat, turns, outlets, topics, since, until, read_dates],
                       outputs=[question, chat, sources, turns, time_read], api_visibility="private")
        question.submit(respond, **chat_io)
        def pick_example(evt: gr.SelectData) -> str:
            return evt.value["text"]

        chat.example_select(pick_example, None, question, api_visibility="private").then(respond, **chat_io)
        clear.click(lambda: ([], [], render.sources_html([]), ""), None, [chat, turns, sources, question],
                    api_visibility="private")

        def index_now(now: CorpusSummary):
            """What the page shows of the index: the summary line and the filter choices (outlets, topics, dates)."""
            return (render.summary_html(now), gr.Dropdown(choices=list(now.outlet_names)),
                    gr.Dropdown(choices=list(now.topic_names), visible=bool(now.topic_names)),
                    gr.Textbox(placeholder=now.date_from or "YYYY-MM-DD"),
                    gr.Textbox(placeholder=now.date_to or "YYYY-MM-DD"))

        shown = [corpus, outlets, topics, since, until]
        # Each page load reads the served index afresh: a reload or a new tab after an upload shows its articles.
        def on_load():
            return *index_now(desk.summary()), gr.Chatbot(examples=[{"text": q} for q in desk.example_questions()])

        app.load(on_load, None, [*shown, chat], api_visibility="private", queue=False)

        def add_articles(paths: list[str] | None, progress=gr.Progress()):
            try:
                report = desk.add_files(paths or [], progress=lambda done, desc: progress(done, desc=desc))
            except NewsdeskError as exc:
                return render.status_html(desk.public(exc), ok=False), *[gr.skip()] * 6
            except Exception:
                log.exception("adding %s failed", paths)
                return render.status_html(UNEXPECTED, ok=False), *[gr.skip()] * 6
            done, ok = desk.describe_upload(report)
            return render.status_html(done, ok=ok), *index_now(desk.summary()), None

        add.click(add_articles, files, [status, *shown, files], api_visibility="private").then(
            None, js="() => document.getElementById('nd-status')?.scrollIntoView({block: 'nearest'})")

        def ask(question: str, outlet: str = "", topic: str = "", since: str = "", until: str = "") -> dict[str, Any]:
            """Answer one question; returns the answer text, its citations and the passages it drew on."""
            try:
                filters = parse_filters([outlet], [topic], since, until)
                answer = [p for p in desk.ask_stream(question, None, filters) if isinstance(p, Answer)][-1]
            except NewsdeskError as exc:
                raise gr.Error(desk.public(exc), print_exception=False) from None
            except Exception:
                log.exception("answering %r over the API failed", (question or "")[:200])
                raise gr.Error(UNEXPECTED, print_exception=False) from None
            return answer.to_dict()

        gr.api(ask, api_name="ask")
    return app


def launch(desk: Desk, host: str = "127.0.0.1", port: int = 7860, block: bool = True,
           password: str | None = None, queue_max: int = QUEUE_MAX,
           ready: Callable[[str], None] | None = None) -> tuple[gr.Blocks, str]:
    """Serve `desk` (the chat, and the OpenAI chat API under /v1); with `block=False` return at once
    (tests): the app (`.close()` stops it) and its url.

    `password`: when given, a login page asks for it (any user name); `queue_max` bounds
    the questions waiting for an answer (memory stays flat under a flood, at the price of
    refusing the excess with "queue is full"); `ready(url)` is called once the server answers.
    """
    app = build(desk)
    app.queue(default_concurrency_limit=CONCURRENT_ANSWERS, max_size=queue_max)
    # quiet: newsdesk prints its own "serving" line; gradio's would end with a hint about share=True links,
    # which this server never opens.
    _, url, _ = app.launch(
        server_name=host, server_port=port, share=False, inbrowser=False, prevent_thread_lock=True,
        theme=THEME, css_paths=[STYLE], head=HEAD, footer_links=[], max_file_size=MAX_UPLOAD_BYTES,
        ssr_mode=False, mcp_server=False, show_error=False, quiet=True, enable_monitoring=False, pwa=False,
        state_session_capacity=SESSIONS_KEPT,
        auth=_password_check(password) if password else None,
        app_kwargs={"openapi_url": None, "docs_url": None, "redoc_url": None, "middleware": [Middleware(LoginGuard)],
                    "routes": ChatApi(desk, CONCURRENT_ANSWERS, queue_max).routes()},  # /v1: the OpenAI chat API
        auth_message="This newsdesk is protected: any user name, and its password." if password else None)
    if block:
        if ready:
            ready(url)
        app.block_thread()
    return app, url


def _password_check(password: str):
    def check(_user: str, given: str) -> bool:
        return hmac.compare_digest(given.encode("utf-8"), password.encode("utf-8"))  # no timing hints

    return check


def serve(retriever: Retriever, config: Config, host: str = "127.0.0.1", port: int = 7860) -> None:
    """`newsdesk serve`: the chat UI on http://host:port until interrupted."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    password = os.environ.get(PASSWORD_ENV) or config.password
    desk = Desk(retriever, config)
    try:
        resumed = desk.resume_uploads()
        if resumed:
            print(f"newsdesk: finished {resumed.added + resumed.updated} article(s) of uploads an earlier run left "
                  f"unfinished; {len(resumed.errors) + len(resumed.refused)} skipped and removed")
    except NewsdeskError as exc:
        print(f"newsdesk: warning: unfinished uploads were not resumed: {exc}", file=sys.stderr)
    desk.warm_up()
    if desk.follow_feeds(threading.Event(), report=_print_feed) is not None:
        print(f"newsdesk: following {len(config.feeds)} feed(s) from the config in the background", flush=True)

    def ready(url: str) -> None:
        print(f"newsdesk: serving {retriever.index.path} on {url.rstrip('/')} (Ctrl+C stops)"
              + ("; a password is required" if password else ""), flush=True)
        print(f"newsdesk: OpenAI chat API at {url.rstrip('/')}/v1 (model \"newsdesk\""
              + ("; the password is its API key)" if password else ")"), flush=True)

    if not password and host not in ("127.0.0.1", "localhost", "::1"):
        print(f"newsdesk: warning: anyone who can reach {host}:{port} can read the articles and add files; "
              f"set {PASSWORD_ENV} to require a password", file=sys.stderr)
    launch(desk, host, port, block=True, password=password, ready=ready)


def _print_feed(result) -> None:
    """A background poll's lines: a feed read on stdout, problems on stderr (as `newsdesk follow` prints them)."""
    lines = result.lines()
    if result.error is None:
        print(f"newsdesk: {lines.pop(0)}", flush=True)
    for line in lines:
        print(f"newsdesk: warning: {line}", file=sys.stderr, flush=True)

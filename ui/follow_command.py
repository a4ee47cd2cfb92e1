"""`newsdesk follow URL... [--every 15m] [--once] [--fetch-pages]`: read feeds into the index as they publish.

The arguments are declared here (`add_follow_command`, which ui/cli.py calls) beside
what the command does. With no URL, the config's `feeds:` are followed. Each poll
prints one line per feed on stdout; a feed that could not be read, and each item or
page that was skipped, is one line on stderr naming the feed and the reason. With
`--once` every feed is read one time and the exit status is 1 when any line was a
problem; without it the command runs until interrupted (everything indexed stays).
"""
from __future__ import annotations

import argparse
import sys

from index.errors import NewsdeskError
from index.follow.spec import DEFAULT_INTERVAL, MIN_INTERVAL, FeedRefused, FeedSpec, parse_interval
from qa.config import Config
from ui.terminal import terminal_safe


def add_follow_command(sub) -> None:
    p = sub.add_parser("follow", help="follow RSS, Atom or JSON feeds: index their new items as they publish",
                       description="Read each feed URL (RSS 0.9x/1.0/2.0, Atom, JSON Feed) politely (ETag and "
                       "Last-Modified, a User-Agent naming newsdesk, bounded retries) and index the items that are "
                       "new or changed. An item never replaces an article indexed from another source. With no URL, "
                       "the config's feeds: are followed.")
    p.add_argument("urls", nargs="*", metavar="URL", help="feed addresses (http or https)")
    p.add_argument("--index", metavar="DIR", help="index folder (default: data/index)")
    p.add_argument("--every", type=_interval, metavar="TIME",
                   help=f"read each feed this often: 30s, 15m, 1h (default: the feed's interval in the config, "
                        f"else {DEFAULT_INTERVAL / 60:g}m; {MIN_INTERVAL:g}s at least)")
    p.add_argument("--once", action="store_true", help="read every feed once and exit (1 if any feed or item failed)")
    p.add_argument("--fetch-pages", action="store_true",
                   help="when an item carries only a summary, fetch its page and index the article text")
    p.set_defaults(run=follow_command)


def follow_command(args: argparse.Namespace, config: Config) -> int:
    from index.follow.poll import FollowOptions, follow

    specs = feeds_to_follow(args.urls, args.every, config)
    encoder = config.encoder()
    clean = follow(specs, config.index_dir, encoder, config.index_settings(),
                   FollowOptions(fetch_pages=args.fetch_pages), once=args.once, report=_print)
    return 0 if clean or not args.once else 1


def feeds_to_follow(urls: list[str], every: float | None, config: Config) -> list[FeedSpec]:
    """The feeds named on the command line, else the config's; `--every` overrides every interval."""
    if urls:
        specs = [FeedSpec(url, every or DEFAULT_INTERVAL) for url in urls]
    else:
        specs = [FeedSpec(spec.url, every or spec.interval) for spec in config.feeds]
    if not specs:
        raise NewsdeskError("no feed to follow", "give one or more feed URLs, or list them under feeds: in the config")
    return specs


def _print(result) -> None:
    lines = result.lines()
    if result.error is None:  # the feed was read: its line is output; problems go to stderr
        print(terminal_safe(lines.pop(0)), flush=True)
    for line in lines:
        print(f"newsdesk: {terminal_safe(line)}", file=sys.stderr, flush=True)


def _interval(text: str) -> float:
    try:
        return parse_interval(text)
    except FeedRefused as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None

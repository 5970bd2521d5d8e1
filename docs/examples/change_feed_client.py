#!/usr/bin/env python3
"""Follow the ybss change feed (GET /api/v1/changes), with nothing but the standard library.

    YBSS_URL=https://ybss.example.gov.cn YBSS_TOKEN=ybss_... python3 change_feed_client.py
    python3 change_feed_client.py --state /var/lib/housing/ybss.cursor --once

It reads a page of changes, hands each item to ``handle`` (replace it with your
own processing), then stores the page's ``next`` cursor in a local file. After a
restart, or a crash, it carries on from the stored cursor. A crash between
handling a page and storing its cursor means that page is handled again on the
next run, so ``handle`` must be idempotent; it naturally is when it only
notes "record X changed, read it again".

Too many requests (429) and server errors (5xx) are retried, after the
``Retry-After`` the server names or an exponential backoff with jitter, as are
network errors. Other errors (401 bad token, 403 no permission, 400 bad
cursor) stop the client with the server's message: retrying cannot fix them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

MAX_BACKOFF_SECONDS = 300


class FeedError(Exception):
    """An answer that retrying will not change (bad token, no permission, bad cursor)."""


def load_cursor(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""  # first run: from the beginning


def save_cursor(path: str, cursor: str) -> None:
    """Write to a temporary file, flush it to disk, then rename: the file is the old cursor or the new one."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".cursor-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(cursor + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def fetch_page(base_url: str, token: str, since: str, limit: int, timeout: float = 60) -> dict[str, Any]:
    query = {"limit": str(limit)}
    if since:
        query["since"] = since
    request = urllib.request.Request(  # noqa: S310 - the operator configures the URL
        f"{base_url.rstrip('/')}/api/v1/changes?{urllib.parse.urlencode(query)}",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        page: dict[str, Any] = json.load(response)
    return page


def backoff(attempt: int) -> float:
    """1, 2, 4 … seconds up to five minutes, with jitter so that many clients do not retry in step."""
    return min(MAX_BACKOFF_SECONDS, 2.0**attempt) * random.uniform(0.5, 1.0)


def _retry_after(error: urllib.error.HTTPError) -> float | None:
    value = error.headers.get("Retry-After") if error.headers else None
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def fetch_with_retry(
    base_url: str,
    token: str,
    since: str,
    limit: int,
    *,
    sleep: Callable[[float], None] = time.sleep,
    max_attempts: int | None = None,
) -> dict[str, Any]:
    attempt = 0
    while True:
        try:
            return fetch_page(base_url, token, since, limit)
        except urllib.error.HTTPError as error:
            if error.code != 429 and error.code < 500:
                body = error.read().decode("utf-8", "replace")
                raise FeedError(f"HTTP {error.code}: {body}") from error
            delay = _retry_after(error) if error.code == 429 else None
            reason = f"HTTP {error.code}"
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            delay, reason = None, str(error)
        attempt += 1
        if max_attempts is not None and attempt >= max_attempts:
            raise FeedError(f"giving up after {attempt} attempts: {reason}")
        wait = delay if delay is not None else backoff(attempt)
        print(f"{reason}; retrying in {wait:.0f} s", file=sys.stderr)
        sleep(wait)


def handle(item: dict[str, Any]) -> None:
    """Replace with your own processing: here, one JSON line per change."""
    print(json.dumps(item, ensure_ascii=False))


def follow(
    base_url: str,
    token: str,
    state: str,
    *,
    limit: int = 500,
    poll_seconds: float = 30,
    once: bool = False,
    handler: Callable[[dict[str, Any]], None] = handle,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Read changes for ever (or until caught up, with ``once``); returns the last cursor stored."""
    cursor = load_cursor(state)
    while True:
        page = fetch_with_retry(base_url, token, cursor, limit, sleep=sleep)
        for item in page["items"]:
            handler(item)
        if page["next"] != cursor:
            cursor = page["next"]
            save_cursor(state, cursor)
        if page["has_more"]:
            continue
        if once:
            return cursor
        sleep(poll_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=os.environ.get("YBSS_URL", ""), help="ybss address ($YBSS_URL)")
    parser.add_argument("--state", default="ybss-changes.cursor", help="file that keeps the cursor")
    parser.add_argument("--limit", type=int, default=500, help="changes per request (at most 1000)")
    parser.add_argument("--poll", type=float, default=30, help="seconds between polls once caught up")
    parser.add_argument("--once", action="store_true", help="stop when caught up")
    args = parser.parse_args()
    token = os.environ.get("YBSS_TOKEN", "")
    if not args.url or not token:
        parser.error("set YBSS_URL (or --url) and YBSS_TOKEN")
    try:
        follow(args.url, token, args.state, limit=args.limit, poll_seconds=args.poll, once=args.once)
    except FeedError as error:
        sys.exit(str(error))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

"""How well and how fast the bot reads messages: `.venv/bin/python bench/understanding.py`.

Prints the rates on the corpus in tests/understanding/corpus (reports understood, commands
understood, chat left silent, silent misses) and the classification speed on one core:
messages a second through `understand()` (report / command / help / chat), for the whole
corpus and for its chat alone (most group traffic is chat).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.understanding.grading import SECOND, categories, corpus, grade, read

ROUNDS = 5


def speed(texts: list[str]) -> float:
    """Median messages a second over ROUNDS passes (after one warm-up pass)."""
    cats = categories()
    for text in texts:
        read(text, cats)
    rates = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for text in texts:
            read(text, cats)
        rates.append(len(texts) / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> None:
    result = grade()
    lines = corpus()
    print(f"corpus: {len(lines)} messages ({dict(result.total)})")
    for label, kind in [
        ("reports understood: ", "report"),
        ("commands understood:", "command"),
        ("chat left silent:   ", "chat"),
    ]:
        right, total = result.right[kind], result.total[kind]
        print(f"{label} {result.rate(kind):.1%} ({right}/{total})")
    print(f"silent misses:       {result.silent_misses}")
    for text, wrong in result.failures:
        print(f"  miss: {text[:60]!r}: {'; '.join(wrong)[:120]}")
    second = grade(SECOND)
    print(
        f"second corpus ({sum(second.total.values())} messages, another hand): reports "
        f"{second.rate('report'):.0%} filed, "
        f"{second.asked / max(second.total['report'], 1):.0%} asked whether to file (most have no "
        f"report keyword), silent misses {second.silent_misses}, "
        f"commands {second.rate('command'):.0%}, chat silent {second.rate('chat'):.0%}"
    )
    everything = [line["text"] for line in lines]
    chat = [line["text"] for line in lines if line["expect"] == "chat"]
    print(f"classification, whole corpus: {speed(everything):,.0f} messages/s (target ≥ 2,000)")
    print(f"classification, chat only:    {speed(chat):,.0f} messages/s")


if __name__ == "__main__":
    main()

"""Instructions per report and per bare insert, counted by valgrind: an A/B the VM cannot blur.

    .venv/bin/python bench/instructions.py [--url URL] [--reports 200]

On this VM the wall clock of the same code moves by ±40% within an hour (and by ×2.5 between
days), so a 5% gain cannot be told from `bench/scale.py`. Counting the instructions the process
executes (callgrind) is repeatable to about 1%: each side runs in a process of its own under
`valgrind --tool=callgrind --instr-atstart=no`, does its set-up uninstrumented, and is counted
only while it handles the measured reports (or bare inserts), instrumentation switched on and
off around them with `callgrind_control`. PYTHONHASHSEED is fixed. Instructions are not time:
a report touches more code and data than a bare insert, so its cycles per instruction are
higher, and waits for the disk are not counted; use it to compare two commits, and
`bench/scale.py` for the figures.

Without `--url`, a ledger of 10,000 tickets is built in a temporary SQLite file
(`bench/scale.py`'s seed); `--url` may name a kept one. Needs valgrind (not installed by the
Makefile: it is a developer's tool, not part of the tests).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make the repository's packages importable
    sys.path.insert(0, str(REPO))

SEEDED = 10_000
HEADS = 50  # groups that report, in turn
WARM = 60  # reports before the counted ones: the reader's tables, the roster memory
TOTALS = re.compile(r"^(?:totals|summary): (\d+)", re.MULTILINE)

from sqlalchemy.engine import Engine  # noqa: E402

from bench import scale  # noqa: E402
from bot.services.runtime import Runtime  # noqa: E402
from models.db import make_engine, migrate  # noqa: E402


def _ledger(engine: Engine) -> tuple[Runtime, list[str]]:
    """The runtime on a migrated ledger, and the heads whose groups report."""
    migrate(engine)
    runtime, heads = scale.runtime_and_heads(engine)
    return runtime, heads[:HEADS]


def prepare(url: str) -> None:
    """Outside valgrind, before either side: seed the ledger if it is not, and let each head
    report once (their first message binds their platform id, a roster write). A side in a
    process that had just seeded counted a third more per report (its heap, not the code)."""
    engine = make_engine(url)
    if not scale.seeded(engine, SEEDED):
        scale.seed(engine, SEEDED)
    runtime, heads = _ledger(engine)
    scale.forget_intake(engine)
    scale.intake_rate(runtime, heads, len(heads), 0)
    scale.forget_intake(engine)
    if engine.dialect.name == "sqlite":  # the log copied back now, not while counted
        with engine.connect() as c:
            c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def child(url: str, what: str, count: int, flag: Path) -> None:
    """Under valgrind: set up, then handle `count` reports (or bare inserts) while counted."""
    engine = make_engine(url)
    runtime, heads = _ledger(engine)
    scale.forget_intake(engine)
    scale.intake_rate(runtime, heads, WARM, 0)
    scale.bare_rate(engine, WARM)
    print("READY", flush=True)
    while not flag.exists():  # the parent switches instrumentation on, then says go
        time.sleep(0.05)
    if what == "bare":
        scale.bare_rate(engine, count)
    else:
        scale.intake_rate(runtime, heads, count, 1)
    print("DONE", flush=True)
    while flag.exists():  # counted until the parent has switched it off again
        time.sleep(0.05)
    scale.forget_intake(engine)
    engine.dispose()


def counted(url: str, what: str, count: int, workdir: Path) -> int:
    """Run one side under callgrind; the instructions it executed while counted."""
    flag = workdir / f"go-{what}"
    flag.unlink(missing_ok=True)
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--separate-threads=yes",
        f"--callgrind-out-file={workdir / 'callgrind.out.%p'}",
        sys.executable,
        __file__,
        "--child",
        what,
        "--url",
        url,
        "--reports",
        str(count),
        "--flag",
        str(flag),
    ]
    env = os.environ | {"PYTHONHASHSEED": "0"}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        for line in process.stdout:
            if line.startswith("READY"):
                _instrument(process.pid, "on")
                flag.touch()
            elif line.startswith("DONE"):
                _instrument(process.pid, "off")
                flag.unlink()
        errors = process.stderr.read()
    if process.returncode != 0:
        raise RuntimeError(f"the {what} run failed:\n{errors[-2000:]}")
    # The main thread's count only: the checkpoint thread's passes depend on how long the
    # run takes under valgrind, which made the total wander by ±5%.
    main_thread = workdir / f"callgrind.out.{process.pid}-01"
    totals = [int(n) for n in TOTALS.findall(main_thread.read_text())]
    if not any(totals):
        raise RuntimeError(f"nothing counted in {main_thread}")
    return max(totals)


def _instrument(pid: int, state: str) -> None:
    """Switch callgrind's instrumentation of process `pid` on or off."""
    subprocess.run(["callgrind_control", "-i", state, str(pid)], check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a database to use (default: a fresh 10k SQLite ledger)")
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--child", choices=["intake", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--flag", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.url, args.child, args.reports, args.flag)
        return 0
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("needs valgrind (apt-get install valgrind)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="gridbot-instructions-") as tmp:
        workdir = Path(tmp)
        url = args.url or f"sqlite:///{workdir / 'ledger.db'}"
        prepare(url)
        intake = counted(url, "intake", args.reports, workdir) / args.reports
        bare = counted(url, "bare", args.reports, workdir) / args.reports
    print(f"{args.reports} reports through the dispatcher on {url.split(':', 1)[0]}:")
    print(f"  per report      {intake / 1e6:6.3f} M instructions")
    print(f"  per bare insert {bare / 1e6:6.3f} M instructions")
    print(f"  bare / report   {bare / intake:6.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``python -m benchmarks [--quick] [--only NAME[,NAME]]`` from the repo root (``make bench``).

Runs the benchmarks in order, writes ``benchmarks/results/<name>.json`` after each, then
regenerates ``benchmarks/README.md``. ``--quick`` runs smaller versions (a minute or three)
and writes to ``benchmarks/results/tmp/quick/`` so the committed full results stay intact.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback

from . import RESULTS_DIR, TMP_DIR, log, write_result

ORDER = ("encoders", "latency", "cold_start", "http_load", "replicas", "memory", "scale")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs; results go to results/tmp/quick/")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help=f"run only these (repeatable or comma-separated): {', '.join(ORDER)}")
    parser.add_argument("--report-only", action="store_true", help="only regenerate README.md from the results")
    args = parser.parse_args(argv)

    wanted = [n.strip() for item in args.only for n in item.split(",") if n.strip()] or list(ORDER)
    unknown = [n for n in wanted if n not in ORDER]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {list(ORDER)}")

    import benchmarks

    if args.quick:  # keep the committed results; write the quick ones to scratch space
        benchmarks.RESULTS_DIR = TMP_DIR / "quick"
    results_dir = benchmarks.RESULTS_DIR
    failed: list[str] = []
    if not args.report_only:
        started = time.perf_counter()
        for name in ORDER:
            if name not in wanted:
                continue
            log(f"== {name} {'(quick)' if args.quick else ''}")
            t = time.perf_counter()
            try:
                module = importlib.import_module(f"benchmarks.{name}")
                data = module.run(quick=args.quick)
                data["seconds"] = round(time.perf_counter() - t, 1)
                path = write_result(name, data, args.quick)
                log(f"== {name} done in {data['seconds']}s -> {path}")
            except Exception:  # report and go on with the others
                traceback.print_exc()
                failed.append(name)
        log(f"all done in {time.perf_counter() - started:.0f}s" + (f"; FAILED: {failed}" if failed else ""))

    from . import report

    readme = report.write_readme(results_dir, quick=args.quick)
    log(f"wrote {readme}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

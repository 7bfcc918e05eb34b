"""Render recorded results (``bench/results/*.json``) as the Markdown tables of
``docs/benchmarks.md``.

Usage: ``python bench/report.py bench/results/20261127-1517-1k.json [...]``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any


def _f(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def render(result: dict[str, Any]) -> str:
    names = list(result["peers"])
    counts = result["dataset"]["counts"]
    config = result["config"]
    out = [
        f"Dataset: {counts['concepts']:,} concepts, {result['dataset']['notes']:,} notes, "
        f"{counts['total']:,} quads ({counts['inferred']:,} inferred). "
        f"Concurrency {config['concurrency']}, {config['repeats']} × {config['duration_s']:g} s "
        f"per query type per peer, load from {config.get('client', 'httpx')}; "
        f"load average {result['machine']['loadavg_start'][0]:.1f} "
        f"at start, {result['machine']['loadavg_end'][0]:.1f} at end. "
        f"Command: `{config['command']}`.",
        "",
        "| peer | ready s | settled s | idle RSS MB | idle PSS MB | peak RSS MB | processes |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        p = result["peers"][name]
        out.append(
            f"| {name} | {_f(p['ready_s_median'], 2)} | {_f(p.get('settled_s_median'), 2)} | "
            f"{_f(p['idle_rss_mb_median'])} | {_f(p['idle_pss_mb_median'])} | "
            f"{_f(p['peak_rss_mb'])} | {p['processes']} |"
        )
    out += [
        "",
        "| query | peer | req/s | p50 ms | p90 ms | p99 ms | server CPU ms/req "
        "| client CPU ms/req | errors | rows |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for qname, by_peer in result["queries"].items():
        for name in names:
            s = by_peer[name]
            rows = result["row_check"].get(qname, {}).get(name, "–")
            rows = "–" if rows == -1 else rows  # ASK {} has no rows
            out.append(
                f"| {qname} | {name} | {_f(s['throughput_rps'])} | {_f(s['p50_ms'], 2)} | "
                f"{_f(s['p90_ms'], 2)} | {_f(s['p99_ms'], 2)} | {_f(s.get('server_cpu_ms'), 2)} "
                f"| {_f(s.get('client_cpu_ms'), 3)} | {s['errors']} | {rows} |"
            )
    ratios = result.get("ratios") or {}
    others = [n for n in names if n != "ours"]
    if ratios and others:
        out += [
            "",
            "Ours against each peer — throughput ours/peer (higher is better) · p99 ours/peer "
            "(lower is better) · server CPU per request peer/ours (higher is better):",
            "",
            "| query | " + " | ".join(others) + " |",
            "|---|" + "---:|" * len(others),
        ]
        for qname in result["queries"]:
            cells = []
            for n in others:
                c = ratios[qname][n]
                cells.append(
                    f"{_f(c['throughput'], 2)} · {_f(c['p99'], 2)} · "
                    f"{_f(c.get('cpu_efficiency'), 2)}"
                )
            out.append(f"| {qname} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    for path in argv if argv is not None else sys.argv[1:]:
        result = json.loads(Path(path).read_text(encoding="utf-8"))
        print(f"### {Path(path).name}\n")
        print(render(result))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

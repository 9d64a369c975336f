#!/usr/bin/python3
"""Reads imgdeploy deploy logs (stderr with HELPER: lines and [MONITOR]-free
progress on stdout beside them as runN.json) and prints per-phase medians.

Host log lines look like "2026-11-22 02:40:18.363 [info] HELPER: <console>";
the helper's own lines carry the guest's time since kernel start:
"imgdeploy-helper [ 4.33] started".
"""
import datetime
import json
import re
import statistics
import sys

TS = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \[\w+\] (.*)$")


def host_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").timestamp()


def phases(log_path):
    lines = []
    for line in open(log_path, errors="replace"):
        m = TS.match(line.rstrip("\n"))
        if m:
            lines.append((host_time(m.group(1)), m.group(2)))
    def first(pattern):
        for t, text in lines:
            if re.search(pattern, text):
                return t, text
        raise SystemExit(f"{log_path}: no line matching {pattern!r}")
    vm_start, _ = first(r"VM START")
    started_at, text = first(r"imgdeploy-helper \[\s*[\d.]+\] started")
    kernel = float(re.search(r"\[\s*([\d.]+)\]", text).group(1))
    success_at, _ = first(r"imgdeploy-helper \[\s*[\d.]+\] SUCCESS")
    vm_stop, stop_text = first(r"VM STOP")
    events = [json.loads(l) for l in open(log_path.replace(".log", ".json")) if l.strip()]
    tasks = [e for e in events if e.get("type") == "image-helper" and e.get("subtype") in ("task-start", "task-end")]
    out = {"qemu start": max(0.0, started_at - vm_start - kernel), "kernel boot": kernel}
    first_task = next(e["timestamp"] for e in tasks if e["subtype"] == "task-start")
    out["helper init"] = first_task - started_at
    starts = {}
    for e in tasks:
        if e["subtype"] == "task-start":
            starts[e["task"]] = e["timestamp"]
        else:
            out["task " + e["task"]] = e["timestamp"] - starts[e["task"]]
    out["power-off"] = vm_stop - success_at
    out["TOTAL (VM start to exit)"] = vm_stop - vm_start
    return out


def main():
    runs = [phases(p) for p in sys.argv[1:]]
    names = list(runs[0])
    print(f"{'phase':34} {'median s':>9}   runs")
    for n in names:
        vals = [r.get(n, 0.0) for r in runs]
        print(f"{n:34} {statistics.median(vals):9.2f}   " + " ".join(f"{v:.2f}" for v in vals))


if __name__ == "__main__":
    main()

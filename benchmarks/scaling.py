#!/usr/bin/env python3
"""benchmarks/scaling.py CSV OUTDIR — the scaling table and plot of `benchmarks/run --scaling`.

CSV: the lines the workload programs append with NSNET_BENCH_CSV set (bench.hpp, Table::append_csv):
workload,items,phase,tool,wall_s,cpu_s,rss_mb,runs. Writes OUTDIR/scaling.md (per-item wall time,
CPU time and peak RSS of every tool at every size) and, when gnuplot is installed,
OUTDIR/scaling.png: per-item wall time against the number of items, log-log, one panel per
workload phase, one line per tool (a flat line is a constant cost per item)."""
import collections
import csv
import os
import shutil
import subprocess
import sys

# The panels: (workload, phase) in this order; rows of other phases are in the table only.
PANELS = [("W1", "add"), ("W1", "delete"), ("W2", "create"), ("W2", "delete"), ("W3", "setup"), ("W3", "teardown"), ("W4", "dump")]


def fmt_time(s):
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.2f} µs"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    data = collections.defaultdict(dict)  # (workload, phase, tool) -> items -> (wall, cpu, rss, runs)
    with open(src, newline="") as f:
        for row in csv.reader(f):
            if len(row) != 8:
                continue
            w, items, phase, tool, wall, cpu, rss, runs = row
            items = int(float(items))
            if items <= 0:
                continue
            data[(w, phase, tool)][items] = (float(wall), float(cpu), float(rss), int(runs))
    sizes = collections.defaultdict(set)
    for (w, phase, _), by in data.items():
        sizes[(w, phase)].update(by)

    lines = ["| workload | phase | tool | " + " | ".join(["N", "wall/item", "CPU/item", "peak RSS"]) + " |", "|---|---|---|---:|---:|---:|---:|"]
    for (w, phase, tool) in sorted(data, key=lambda k: (k[0], k[1], k[2])):
        for n in sorted(data[(w, phase, tool)]):
            wall, cpu, rss, runs = data[(w, phase, tool)][n]
            lines.append(f"| {w} | {phase} | {tool} | {n:,} | {fmt_time(wall / n)} | {fmt_time(cpu / n)} | {rss:.1f} MB |")
    with open(os.path.join(out, "scaling.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))

    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        print("scaling.py: gnuplot is not installed: no plot", file=sys.stderr)
        return
    panels = [p for p in PANELS if any(k[0] == p[0] and k[1] == p[1] for k in data)]
    if not panels:
        return
    datfile = os.path.join(out, "scaling.dat")
    plots = []
    with open(datfile, "w") as f:
        index = 0
        for (w, phase) in panels:
            series = []
            for (w2, phase2, tool) in sorted(data):
                if (w2, phase2) != (w, phase):
                    continue
                f.write(f"# {w} {phase} {tool}\n")
                for n in sorted(data[(w, phase, tool)]):
                    wall = data[(w, phase, tool)][n][0]
                    f.write(f"{n} {wall / n * 1e6:.4f}\n")
                f.write("\n\n")
                series.append((index, tool))
                index += 1
            plots.append((w, phase, series))
    cols = 2
    rows = (len(plots) + cols - 1) // cols
    gp = [
        "set terminal pngcairo size 1200,%d font ',9'" % (330 * rows),
        "set output '%s'" % os.path.join(out, "scaling.png"),
        "set termoption noenhanced",
        "set multiplot layout %d,%d" % (rows, cols),
        "set logscale xy",
        "set grid",
        "set key outside right font ',8'",
        "set xlabel 'items (N)'",
        "set ylabel 'wall time per item (µs)'",
        "set format x '%.0s%c'",
    ]
    for (w, phase, series) in plots:
        gp.append(f"set title '{w} {phase}'")
        parts = [f"'{datfile}' index {i} using 1:2 with linespoints title '{tool}'" for i, tool in series]
        gp.append("plot " + ", ".join(parts))
    gp.append("unset multiplot")
    script = os.path.join(out, "scaling.gp")
    with open(script, "w") as f:
        f.write("\n".join(gp) + "\n")
    subprocess.run([gnuplot, script], check=True)
    print(f"plot: {os.path.join(out, 'scaling.png')}")


if __name__ == "__main__":
    main()

"""nasbench-plot: the NATS-Bench paper's figure of NAS runs, from `nasbench search --csv` files.

    nasbench-plot CURVES.csv [CURVES.csv ...] -o OUT.png|svg|pdf [--title T ...] [--time-budget S ...]

Each CSV (algo,run,seed,step,total_time,best_index,test_accuracy: the best-so-far of every run
after every evaluation, as `nasbench search --csv` writes it) becomes one panel: for each
algorithm, the mean over its runs of the best-so-far architecture's test accuracy against the
simulated time, with a band of +-1 standard deviation across runs. A run's curve is a step
function: before its first evaluation it has no value, after its last it keeps the last. The time
axis stops at the budget (--time-budget, one per panel, default the largest time in the file).
Runs whose best-so-far has no full-schedule result (an empty test_accuracy) are left out of the
mean at that time.

`nasbench search --plot OUT` calls this with the curves of its own runs. Needs matplotlib
(Debian: python3-matplotlib) and numpy.
"""
import argparse
import csv
import sys

COLORS = {"rs": "tab:blue", "rea": "tab:orange", "reinforce": "tab:green", "bohb": "tab:red"}
LABELS = {"rs": "RS", "rea": "REA", "reinforce": "REINFORCE", "bohb": "BOHB"}
POINTS = 400  # time grid per panel


def read_curves(path):
    """{algo: {run: ([total_time...], [test_accuracy or nan...])}} in file order."""
    out = {}
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        need = {"algo", "run", "total_time", "test_accuracy"}
        if not reader.fieldnames or not need <= set(reader.fieldnames):
            raise ValueError("%s: not a `nasbench search --csv` file (columns %s needed, found %s)"
                             % (path, ", ".join(sorted(need)), reader.fieldnames))
        for line, row in enumerate(reader, start=2):
            try:
                t = float(row["total_time"])
                acc = float(row["test_accuracy"]) if row["test_accuracy"] != "" else float("nan")
            except ValueError as e:
                raise ValueError("%s:%d: %s" % (path, line, e))
            times, accs = out.setdefault(row["algo"], {}).setdefault(row["run"], ([], []))
            times.append(t)
            accs.append(acc)
    if not out:
        raise ValueError("%s: no evaluations" % path)
    return out


def band(np, runs, grid):
    """Mean and std across runs of the best-so-far test accuracy at each time of `grid`."""
    values = np.full((len(runs), len(grid)), np.nan)
    for r, (times, accs) in enumerate(runs.values()):
        times, accs = np.asarray(times), np.asarray(accs)
        pos = np.searchsorted(times, grid, side="right") - 1  # the last evaluation done by then
        ok = pos >= 0
        values[r, ok] = accs[pos[ok]]
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            return np.nanmean(values, axis=0), np.nanstd(values, axis=0)


def main(argv):
    parser = argparse.ArgumentParser(prog="nasbench-plot", description=__doc__.split("\n\n")[0])
    parser.add_argument("curves", nargs="+", help="CSV files of `nasbench search --csv` (one panel each)")
    parser.add_argument("-o", "--output", required=True, help="the figure: .png, .svg or .pdf")
    parser.add_argument("--title", action="append", default=[], help="a panel's title (one per CSV, in order)")
    parser.add_argument("--time-budget", action="append", type=float, default=[],
                        help="a panel's time axis end in seconds (one per CSV)")
    parser.add_argument("--dpi", type=int, default=150)
    args = parser.parse_args(argv)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
    except ImportError as e:
        print("nasbench-plot: %s (install python3-matplotlib and python3-numpy, or set NASBENCH_PYTHON to a "
              "python with them)" % e, file=sys.stderr)
        return 1
    try:
        panels = [read_curves(p) for p in args.curves]
    except (OSError, ValueError) as e:
        print("nasbench-plot: %s" % e, file=sys.stderr)
        return 1
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.9), squeeze=False)
    for i, (ax, panel) in enumerate(zip(axes[0], panels)):
        end = args.time_budget[i] if i < len(args.time_budget) else max(
            max(max(t) for t, _ in runs.values()) for runs in panel.values())
        grid = np.linspace(0.0, end, POINTS)
        for algo, runs in panel.items():
            mean, std = band(np, runs, grid)
            color = COLORS.get(algo)
            label = "%s (%d runs)" % (LABELS.get(algo, algo), len(runs))
            ax.plot(grid, mean, color=color, label=label, linewidth=1.6)
            ax.fill_between(grid, mean - std, mean + std, color=color or ax.lines[-1].get_color(), alpha=0.18,
                            linewidth=0)
        ax.set_xlim(0, end)
        ax.set_xlabel("simulated training time (s)")
        ax.set_ylabel("test accuracy of the best so far (%)")
        if i < len(args.title):
            ax.set_title(args.title[i])
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    try:
        fig.savefig(args.output, dpi=args.dpi)
    except (OSError, ValueError) as e:
        print("nasbench-plot: cannot write %s: %s" % (args.output, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

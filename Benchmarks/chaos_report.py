"""Summarises the `CHAOS scenario key=value ...` lines of `make chaos` runs: per scenario and figure, the median
and the worst of the runs, and how many runs passed their invariant checks."""
import statistics
import sys
from collections import defaultdict


def main(path, runs, failed, binaries):
    figures = defaultdict(lambda: defaultdict(list))
    invariants = defaultdict(lambda: [0, 0])
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            parts = line.split()
            if len(parts) < 2 or parts[0] != "CHAOS":
                continue
            scenario = parts[1]
            for item in parts[2:]:
                key, _, value = item.partition("=")
                if key == "invariants":
                    passed, _, total = value.partition("/")
                    invariants[scenario][0] += int(passed)
                    invariants[scenario][1] += int(total)
                    continue
                for number in value.split(","):
                    try:
                        parsed = float(number)
                    except ValueError:
                        # A word (true/false): counted per value.
                        figures[scenario][key + " (" + number + ")"].append(1.0)
                        continue
                    figures[scenario][key].append(parsed)
    print(f"make chaos: {runs} run(s), {failed} with a failed test, binaries: {binaries}")
    for scenario in sorted(figures.keys() | invariants.keys()):
        print(f"\n{scenario}")
        for key, values in sorted(figures[scenario].items()):
            if key.endswith(")"):
                print(f"  {key:<28} {len(values)} time(s)")
                continue
            # Every figure is worse when larger: seconds to recover or stop, requests per second.
            print(f"  {key:<28} median {statistics.median(values):8.3f}   worst {max(values):8.3f}   (n={len(values)})")
        passed, total = invariants[scenario]
        print(f"  {'invariant checks passed':<28} {passed}/{total}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])

#!/usr/bin/python3
"""bench_onnx_load.py MODEL.onnx [runs] — the Python side of bench/onnx:
onnx.load of the same file (parse into protobuf objects, weights included),
median of runs. Prints `onnx_load_s <seconds>`."""
import statistics
import sys
import time

import onnx


def main():
    path, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 7
    onnx.load(path)  # warm the page cache
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        onnx.load(path)
        t.append(time.perf_counter() - t0)
    print(f"onnx_load_s {statistics.median(t):.4f}")


if __name__ == "__main__":
    main()

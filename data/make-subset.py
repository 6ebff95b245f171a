#!/usr/bin/env python3
"""Writes data/fashion-mnist/: the first N training images and labels of Fashion-MNIST as gzipped IDX files.

Source: the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/), itself a copy of
https://github.com/zalandoresearch/fashion-mnist. Output is byte-for-byte reproducible (gzip mtime 0, no name).

Usage: python3 data/make-subset.py [N]      (N defaults to 10000)
"""
import gzip
import os
import struct
import sys

SRC = "/usr/share/datasets/fashion-mnist"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fashion-mnist")


def subset(name, n):
    with gzip.open(os.path.join(SRC, name), "rb") as f:
        raw = f.read()
    magic, count = struct.unpack(">II", raw[:8])
    rank = magic & 0xFF
    dims = struct.unpack(">" + "I" * (rank - 1), raw[8:4 + 4 * rank])
    if n > count:
        sys.exit(f"{name} holds {count} items, asked for {n}")
    item = 1
    for d in dims:
        item *= d
    header = struct.pack(">II", magic, n) + struct.pack(">" + "I" * (rank - 1), *dims)
    body = raw[4 + 4 * rank: 4 + 4 * rank + n * item]
    out = os.path.join(OUT, name)
    with open(out, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as g:
            g.write(header + body)
    print(f"{out}: {n} x {dims}")


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    os.makedirs(OUT, exist_ok=True)
    subset("train-images-idx3-ubyte.gz", n)
    subset("train-labels-idx1-ubyte.gz", n)

"""Writes a folder of seeded 32x32 RGB PNGs (standard library only), for trying conf/cifar-folder.json:

    /usr/bin/python3 src/test/python/make_rgb_folder.py --out /tmp/rgb --count 48
    ./submit.sh train conf/cifar-folder.json --data /tmp/rgb --output /tmp/rgb-run

Images go to OUT/all/ (one class folder: dataFormat images reads one subfolder per class). Each image is a
smooth colour gradient plus a bright square at a seeded place, so a model has something to learn.
"""
import argparse
import os
import random
import struct
import zlib


def png(width, height, rows):
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
    raw = b''.join(b'\x00' + bytes(r) for r in rows)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--count', type=int, default=48)
    ap.add_argument('--size', type=int, default=32)
    ap.add_argument('--seed', type=int, default=0)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    folder = os.path.join(args.out, 'all')
    os.makedirs(folder, exist_ok=True)
    s = args.size
    for i in range(args.count):
        base = [rnd.randrange(256) for _ in range(3)]
        slope = [rnd.uniform(-4, 4) for _ in range(3)]
        x0, y0, w = rnd.randrange(s // 2), rnd.randrange(s // 2), rnd.randrange(4, s // 2)
        rows = []
        for y in range(s):
            row = []
            for x in range(s):
                inside = x0 <= x < x0 + w and y0 <= y < y0 + w
                for c in range(3):
                    v = 255 if inside else int(base[c] + slope[c] * (x + y)) % 256
                    row.append(v)
            rows.append(row)
        with open(os.path.join(folder, 'img-%04d.png' % i), 'wb') as f:
            f.write(png(s, s, rows))


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Writes the first N images of a CIFAR-10 binary batch as 32x32 PNGs, OUT/<class>/NNNNN.png (standard library only).

Usage: cifar-pngs.py CIFAR_DIR BATCH_FILE OUT N   e.g. cifar-pngs.py ../shared/datasets/cifar-10-batches-bin data_batch_5.bin /tmp/b/images 10000
"""
import os, struct, sys, zlib

src, batch, out, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
classes = open(os.path.join(src, 'batches.meta.txt')).read().split()
data = open(os.path.join(src, batch), 'rb').read()


def chunk(kind, body):
    return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body) & 0xffffffff)


for i in range(n):
    record = data[i * 3073:(i + 1) * 3073]
    label, px = record[0], record[1:]
    rows = b''.join(b'\x00' + bytes(v for x in range(32) for v in (px[y * 32 + x], px[1024 + y * 32 + x], px[2048 + y * 32 + x]))
                    for y in range(32))
    png = (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 32, 32, 8, 2, 0, 0, 0))
           + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))
    folder = os.path.join(out, classes[label])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, '%05d.png' % i), 'wb') as f:
        f.write(png)

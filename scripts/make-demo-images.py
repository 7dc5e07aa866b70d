#!/usr/bin/env python3
"""Writes the demo site's images (PNG, baseline JPEG, ICO) with the standard library only.

The outputs are committed; run this again only to change them:  scripts/make-demo-images.py www
"""
import math
import os
import struct
import sys
import zlib


def png(width, height, pixel):
    """An 8-bit RGBA PNG; pixel(x, y) -> (r, g, b, a)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9))
            + chunk(b"IEND", b""))


def ico(png_bytes, size):
    """A one-image ICO whose image is a PNG (valid since Windows Vista, read by every browser)."""
    entry = struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png_bytes), 6 + 16)
    return struct.pack("<HHH", 0, 1, 1) + entry + png_bytes


ZIGZAG = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,
          7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31,
          39, 46, 53, 60, 61, 54, 47, 55, 62, 63]
# ITU T.81 Annex K.1 tables, scaled to about quality 75.
LUMA_Q = [8, 6, 5, 8, 12, 20, 26, 31, 6, 6, 7, 10, 13, 29, 30, 28, 7, 7, 8, 12, 20, 29, 35, 28, 7, 9, 11, 15, 26,
          44, 40, 31, 9, 11, 19, 28, 34, 55, 52, 39, 12, 18, 28, 32, 41, 52, 57, 46, 25, 32, 39, 44, 52, 61, 60,
          51, 36, 46, 48, 49, 56, 50, 52, 50]
CHROMA_Q = [9, 9, 12, 24, 50, 50, 50, 50, 9, 11, 13, 33, 50, 50, 50, 50, 12, 13, 28, 50, 50, 50, 50, 50, 24, 33,
            50, 50, 50, 50, 50, 50] + [50] * 32


def jpeg(width, height, pixel):
    """A baseline 4:4:4 JPEG; pixel(x, y) -> (r, g, b). Width and height are multiples of 8.

    Huffman tables are flat (every DC category 4 bits, every AC symbol 8 bits): legal, simple, and small
    images do not care about the few bytes an optimised table would save.
    """
    dc_symbols = list(range(12))
    ac_symbols = [0x00, 0xF0] + [(run << 4) | size for run in range(16) for size in range(1, 11)]
    dc_code = {s: (i, 4) for i, s in enumerate(dc_symbols)}
    ac_code = {s: (i, 8) for i, s in enumerate(ac_symbols)}

    def segment(marker, data):
        return struct.pack(">BBH", 0xFF, marker, len(data) + 2) + data

    def dht(table_class, table_id, symbols, length):
        bits = [0] * 16
        bits[length - 1] = len(symbols)
        return bytes([(table_class << 4) | table_id] + bits + symbols)

    out = bytearray()
    bitbuf, bitcount = 0, 0

    def put(value, length):
        nonlocal bitbuf, bitcount
        bitbuf = (bitbuf << length) | (value & ((1 << length) - 1))
        bitcount += length
        while bitcount >= 8:
            byte = (bitbuf >> (bitcount - 8)) & 0xFF
            out.append(byte)
            if byte == 0xFF:
                out.append(0x00)
            bitcount -= 8

    def magnitude(v):
        size = abs(v).bit_length()
        return size, (v if v >= 0 else v + (1 << size) - 1)

    cos = [[math.cos((2 * x + 1) * u * math.pi / 16) for x in range(8)] for u in range(8)]

    def encode_block(block, quant, previous_dc):
        coefficients = []
        for v in range(8):
            for u in range(8):
                cu = math.sqrt(0.5) if u == 0 else 1.0
                cv = math.sqrt(0.5) if v == 0 else 1.0
                s = sum(block[y * 8 + x] * cos[u][x] * cos[v][y] for y in range(8) for x in range(8))
                coefficients.append(0.25 * cu * cv * s)
        q = [int(round(coefficients[ZIGZAG[i]] / quant[ZIGZAG[i]])) for i in range(64)]
        size, bits = magnitude(q[0] - previous_dc)
        put(*dc_code[size])
        if size:
            put(bits, size)
        run = 0
        for value in q[1:]:
            if value == 0:
                run += 1
                continue
            while run > 15:
                put(*ac_code[0xF0])
                run -= 16
            size, bits = magnitude(value)
            put(*ac_code[(run << 4) | size])
            put(bits, size)
            run = 0
        if run:
            put(*ac_code[0x00])
        return q[0]

    previous = [0, 0, 0]
    for by in range(0, height, 8):
        for bx in range(0, width, 8):
            planes = [[], [], []]
            for y in range(8):
                for x in range(8):
                    r, g, b = pixel(bx + x, by + y)
                    planes[0].append(0.299 * r + 0.587 * g + 0.114 * b - 128)
                    planes[1].append(-0.168736 * r - 0.331264 * g + 0.5 * b)
                    planes[2].append(0.5 * r - 0.418688 * g - 0.081312 * b)
            for c in range(3):
                previous[c] = encode_block(planes[c], LUMA_Q if c == 0 else CHROMA_Q, previous[c])
    if bitcount:
        put((1 << (8 - bitcount)) - 1, 8 - bitcount)

    header = b"\xFF\xD8"
    header += segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    header += segment(0xDB, bytes([0] + [LUMA_Q[z] for z in ZIGZAG]) + bytes([1] + [CHROMA_Q[z] for z in ZIGZAG]))
    header += segment(0xC0, struct.pack(">BHHB", 8, height, width, 3) + bytes([1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]))
    header += segment(0xC4, dht(0, 0, dc_symbols, 4) + dht(1, 0, ac_symbols, 8))
    header += segment(0xDA, bytes([3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]))
    return header + bytes(out) + b"\xFF\xD9"


def logo(x, y, size=64):
    """A teal disc with a white ring on a transparent background."""
    d = math.hypot(x + 0.5 - size / 2, y + 0.5 - size / 2)
    if d > size / 2 - 1:
        return (0, 0, 0, 0)
    if size / 2 - 9 < d < size / 2 - 5:
        return (255, 255, 255, 255)
    return (20, 120 + int(60 * x / size), 140, 255)


def photo(x, y):
    """A sunset: a sky gradient over a dark sea, with a sun."""
    if math.hypot(x - 60, y - 26) < 9:
        return (255, 220, 120)
    if y >= 32:
        return (20, 40, 70 + (y - 32) * 2)
    return (250 - y * 2, 120 + y * 2, 90 + y * 3)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "www"
    os.makedirs(os.path.join(root, "images"), exist_ok=True)
    files = {
        "images/logo.png": png(64, 64, logo),
        "images/photo.jpg": jpeg(96, 48, photo),
        "favicon.ico": ico(png(32, 32, lambda x, y: logo(x, y, 32)), 32),
    }
    for name, data in files.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()

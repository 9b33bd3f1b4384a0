#!/usr/bin/python3
"""Writes the Excel fixtures of CompoundFileTest (python3-xlwt 1.3.0 and python3-olefile, as Debian packages them).

xlwt-plain.xls:     xlwt's own file, three sheets (Sheet1, Macro1, Sheet3), unchanged.
xlwt-straddle.xls:  the same workbook stream with Macro1 made an Excel 4.0 macro sheet (its BoundSheet8 dt 0x01, very
                    hidden; its substream's BOF dt 0x0040), Sheet1's text sized so that this BOF straddles a 512-byte
                    sector boundary, in a compound file whose allocation table chains the stream's sectors in order
                    while the file holds them in reverse after the first, and a free sector after the first that
                    continues its last record and ends in an EOF record (the decoy: reading the file's order, the
                    globals end there).
xlwt-version4.xls:  that stream in a version 4 compound file (4,096-byte sectors), one sector.
xlwt-mini.xls:      a BIFF8 workbook of 212 bytes written here (not by xlwt), kept in the mini stream, its 64-byte mini
                    sectors laid out as xlwt-straddle.xls's sectors are (a decoy after the first, the rest reversed;
                    the macro sheet's BOF straddles two).
Each file's Workbook stream, read by olefile along its chain, is checked to be the stream written.
Usage: make-xlwt-xls.py DIR
"""
import io
import struct
import sys

import olefile
import xlwt

SECTOR = 512


def workbook(text):
    book = xlwt.Workbook()
    s1 = book.add_sheet("Sheet1")
    s1.write(0, 0, "x" * text if text else "x")
    s1.write(1, 0, 42)
    m = book.add_sheet("Macro1")
    m.write(0, 0, "=1")
    s3 = book.add_sheet("Sheet3")
    s3.write(0, 0, 3.5)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def records(stream):
    at = 0
    while at + 4 <= len(stream):
        rtype, size = struct.unpack_from("<HH", stream, at)
        yield at, rtype, size
        at += 4 + size


def macro_sheet(stream):
    """Makes the second sheet a very hidden macro sheet; returns the stream and its BOF's offset."""
    s = bytearray(stream)
    sheets = [(at, size) for at, rtype, size in records(s) if rtype == 0x0085]
    at, size = sheets[1]
    bof = struct.unpack_from("<I", s, at + 4)[0]
    s[at + 4 + 4] = 2  # hsState: very hidden
    s[at + 4 + 5] = 1  # dt: macro sheet
    assert struct.unpack_from("<HHHH", s, bof) == (0x0809, 16, 0x0600, 0x0010)
    struct.pack_into("<H", s, bof + 6, 0x0040)
    return bytes(s), bof


def compound(stream, order, decoy, shift=9, mini=False):
    """A compound file, version 3 (shift 9) or 4 (shift 12): header, FAT, mini FAT, directory, then the data sectors.
    The stream's units (sectors, or mini sectors when `mini`) are placed in `order` (indexes into the stream; None is
    the decoy, which no chain holds); the FAT (or mini FAT) chains them in the stream's order."""
    size = 1 << shift
    unit = 64 if mini else size
    n = (len(stream) + unit - 1) // unit
    padded = stream + b"\0" * (n * unit - len(stream))
    body = b"".join(decoy if u is None else padded[u * unit:(u + 1) * unit] for u in order)
    where = {u: i for i, u in enumerate(order) if u is not None}
    links = [0xFFFFFFFF] * len(order)
    for u in range(n):
        links[where[u]] = where[u + 1] if u + 1 < n else 0xFFFFFFFE
    # sectors: 0 FAT, 1 mini FAT, 2 directory, 3.. data (regular sectors, or the mini stream's)
    data_sectors = (len(body) + size - 1) // size
    body += b"\0" * (data_sectors * size - len(body))
    fat = [0xFFFFFFFF] * (size // 4)
    fat[0] = 0xFFFFFFFD
    fat[1] = 0xFFFFFFFE
    fat[2] = 0xFFFFFFFE
    if mini:
        for i in range(data_sectors):
            fat[3 + i] = 3 + i + 1 if i + 1 < data_sectors else 0xFFFFFFFE
        minifat = links + [0xFFFFFFFF] * (size // 4 - len(links))
    else:
        for i, nxt in enumerate(links):
            fat[3 + i] = 3 + nxt if nxt < 0xFFFFFFF0 else nxt
        minifat = [0xFFFFFFFF] * (size // 4)
    header = bytearray(size)
    header[0:8] = bytes.fromhex("d0cf11e0a1b11ae1")
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3 if shift == 9 else 4, 0xFFFE, shift, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0 if shift == 9 else 1, 1, 2, 0, 4096, 1, 1, 0xFFFFFFFE, 0)
    for i in range(109):
        struct.pack_into("<I", header, 76 + 4 * i, 0 if i == 0 else 0xFFFFFFFF)
    directory = bytearray(size)

    def entry(i, name, kind, child, start, length):
        e = bytearray(128)
        u = name.encode("utf-16-le")
        e[0:len(u)] = u
        struct.pack_into("<HBB", e, 64, len(u) + 2, kind, 1)
        struct.pack_into("<iii", e, 68, -1, -1, child)
        struct.pack_into("<IQ", e, 116, start, length)
        directory[128 * i:128 * (i + 1)] = e

    if mini:
        entry(0, "Root Entry", 5, 1, 3, len(order) * 64)
        entry(1, "Workbook", 2, -1, where[0], len(stream))
    else:
        entry(0, "Root Entry", 5, 1, 0xFFFFFFFE, 0)
        entry(1, "Workbook", 2, -1, 3 + where[0], len(stream))
    for i in range(2, size // 128):
        struct.pack_into("<iii", directory, 128 * i + 68, -1, -1, -1)
    return (bytes(header) + struct.pack("<%dI" % (size // 4), *fat) + struct.pack("<%dI" % (size // 4), *minifat)
            + bytes(directory) + body)


def tiny_workbook():
    """A BIFF8 workbook stream under 4,096 bytes (kept in the mini stream): globals with a CODEPAGE, filler records
    taking the sheet list past the first 64 bytes, Sheet1 and a very hidden macro sheet, then their substreams."""
    def rec(t, d):
        return struct.pack("<HH", t, len(d)) + d

    def bof(dt):
        return rec(0x0809, struct.pack("<HHHHII", 0x0600, dt, 0x0DBB, 0x07CC, 0, 0x0600))

    def sheet(pos, state, dt, name):
        return rec(0x0085, struct.pack("<IBBBB", pos, state, dt, len(name), 0) + name.encode("latin-1"))

    globals_ = bof(5) + rec(0x0042, b"\xe4\x04") + rec(0x00E1, b"\0" * 30)
    listed = len(globals_) + 2 * (4 + 8 + 6) + 4
    sheet1 = bof(0x10) + rec(0x000A, b"")
    # the macro sheet's BOF straddles the mini sectors at 192: a filler record before it
    pad = 192 - 4 - (listed + len(sheet1)) - 4
    sheet1 = bof(0x10) + rec(0x00E1, b"\0" * pad) + rec(0x000A, b"")
    macro = bof(0x40) + rec(0x000A, b"")
    s = globals_ + sheet(listed, 0, 0, "Sheet1") + sheet(listed + len(sheet1), 2, 1, "Macro1") + rec(0x000A, b"")
    assert len(s) == listed
    s += sheet1 + macro
    assert len(s) > 192 and s.index(bof(0x40)) == 188
    return s


def main(out):
    plain = workbook(0)
    open(out + "/xlwt-plain.xls", "wb").write(plain)
    for text in range(1, 600):
        stream = olefile.OleFileIO(workbook(text)).openstream("Workbook").read()
        s, bof = macro_sheet(stream)
        if bof % SECTOR == SECTOR - 4 and len(s) >= 4096:
            break
    else:
        raise SystemExit("no text length puts the macro sheet's BOF across a sector boundary")
    n = (len(s) + SECTOR - 1) // SECTOR
    # the decoy: the rest of the record that crosses the first sector's end, then an EOF record
    last = max(at for at, _, _ in records(s) if at < SECTOR)
    rest = last + 4 + struct.unpack_from("<H", s, last + 2)[0] - SECTOR
    decoy = s[SECTOR:SECTOR + rest] + b"\x0a\x00\x00\x00"
    decoy += b"\0" * (SECTOR - len(decoy))
    order = [0, None] + list(range(n - 1, 0, -1))
    write(out + "/xlwt-straddle.xls", compound(s, order, decoy), s)
    print("text", text, "stream", len(s), "macro BOF at", bof, "sectors", n)
    # version 4: the same stream, one 4,096-byte sector
    write(out + "/xlwt-version4.xls", compound(s, [0], None, shift=12), s)
    # the mini stream: the stream's first 64 bytes, a decoy continuing its last record to an EOF, the rest reversed
    t = tiny_workbook()
    m = (len(t) + 63) // 64
    last = max(at for at, _, _ in records(t) if at < 64)
    rest = last + 4 + struct.unpack_from("<H", t, last + 2)[0] - 64
    decoy = (t[64:64 + rest] + b"\x0a\x00\x00\x00").ljust(64, b"\0")
    write(out + "/xlwt-mini.xls", compound(t, [0, None] + list(range(m - 1, 0, -1)), decoy, mini=True), t)


def write(path, cf, stream):
    check = olefile.OleFileIO(cf).openstream("Workbook").read()
    assert check == stream, "the chain does not give the stream back"
    open(path, "wb").write(cf)


main(sys.argv[1])

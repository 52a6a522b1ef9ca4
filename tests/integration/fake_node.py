#!/usr/bin/env python3
"""fake_node.py HOST:PORT ID -- a hand-written harbor node for tests.

It opens a plain (cluster_insecure) link to the master, says HELLO as node
ID, then sends the NAME_REGISTER messages listed on stdin, one per line:
"NAME HANDLE" (HANDLE in hex; NAME may be "@N" for N bytes of 'n').  It
prints every NAME_REPLY it gets as "NAME_REPLY name :handle" and every
ERROR, and exits after the link has been quiet for two seconds, printing
"LINK UP" if the master never closed it.  Protobuf is encoded by hand so
that the test needs no generated code and can send what a real node
never would.
"""
import os
import socket
import struct
import sys


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def field_int(num, n):
    return varint(num << 3) + varint(n)


def frame(body):
    return struct.pack(">IB3x", len(body), 1) + body


def read_varint(b, i):
    n = shift = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return n, i


def fields(b):
    i, out = 0, {}
    while i < len(b):
        key, i = read_varint(b, i)
        if key & 7 == 0:
            v, i = read_varint(b, i)
        elif key & 7 == 2:
            n, i = read_varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise ValueError("wire type %d" % (key & 7))
        out[key >> 3] = v
    return out


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    me = int(sys.argv[2])
    s = socket.create_connection((host, int(port)))
    hello = (field_int(1, 1) + field_int(2, me) + field_bytes(3, b"127.0.0.1:1")
             + field_bytes(4, os.urandom(32)))
    s.sendall(frame(field_bytes(1, hello)))
    for line in sys.stdin:
        name, handle = line.split()
        name = b"n" * int(name[1:]) if name.startswith("@") else name.encode()
        reg = field_bytes(1, name) + field_int(2, int(handle, 16))
        s.sendall(frame(field_bytes(5, reg)))
    s.settimeout(2)
    buf = b""
    while True:
        try:
            got = s.recv(65536)
        except socket.timeout:
            print("LINK UP", flush=True)
            return
        if not got:
            print("LINK CLOSED", flush=True)
            return
        buf += got
        while len(buf) >= 8:
            n, kind = struct.unpack(">IB3x", buf[:8])
            if len(buf) < 8 + n:
                break
            body, buf = buf[8:8 + n], buf[8 + n:]
            msg = fields(body)
            if 7 in msg:
                r = fields(msg[7])
                print("NAME_REPLY %s :%08x" % (r.get(1, b"").decode(), r.get(2, 0)), flush=True)
            if 10 in msg:
                print("ERROR %s" % fields(msg[10]).get(2, b"").decode(), flush=True)


main()

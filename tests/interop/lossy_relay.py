#!/usr/bin/env python3
"""A lossy UDP relay on loopback, for tests/interop/loss.sh.

One client (the first address that sends to the listening port) and one
server: datagrams from the client go to the server from a socket of the
relay's own, and the server's go back to the client, so that every message
of a dialog crosses the relay both ways (the stack answers where a request
came from, RFC 3581 rport, and sends in-dialog requests where the INVITE came
from or went). Each datagram, either way, is dropped with probability LOSS,
sent twice with probability DUP, and delayed by up to MAX_DELAY ms with
probability REORDER (so that later ones overtake it). Deterministic from
SEED for a given order of arrivals.

Usage: lossy_relay.py --to HOST:PORT [--listen PORT] [--seed N] [--loss PCT]
                      [--dup PCT] [--reorder PCT] [--max-delay MS]
                      [--lifetime S]
Prints "port N" (the listening port) on stdout once bound, and its counters
on stderr when it ends: on SIGTERM or SIGINT, or after LIFETIME seconds
(default 300), whichever comes first.
"""
import argparse
import heapq
import random
import select
import signal
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--to", required=True)
    ap.add_argument("--listen", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--loss", type=float, default=0)
    ap.add_argument("--dup", type=float, default=0)
    ap.add_argument("--reorder", type=float, default=0)
    ap.add_argument("--max-delay", type=int, default=50)
    ap.add_argument("--lifetime", type=float, default=300)
    a = ap.parse_args()
    host, port = a.to.rsplit(":", 1)
    server = (host, int(port))
    rng = random.Random(a.seed)

    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", a.listen))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.bind(("127.0.0.1", 0))
    print("port %d" % front.getsockname()[1], flush=True)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    client = None
    queue = []  # (due, seq, socket, data, address)
    seq = 0
    n = {"in": 0, "out": 0, "dropped": 0, "duplicated": 0, "delayed": 0}
    end = time.monotonic() + a.lifetime

    def schedule(sock, data, addr):
        nonlocal seq
        n["in"] += 1
        if rng.random() * 100 < a.loss:
            n["dropped"] += 1
            return
        copies = 2 if rng.random() * 100 < a.dup else 1
        n["duplicated"] += copies - 1
        for _ in range(copies):
            due = time.monotonic()
            if rng.random() * 100 < a.reorder:
                due += rng.uniform(0, a.max_delay) / 1000.0
                n["delayed"] += 1
            seq += 1
            heapq.heappush(queue, (due, seq, sock, data, addr))

    # Bounded: the loop ends at the lifetime at the latest.
    while not stop and time.monotonic() < end:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, sock, data, addr = heapq.heappop(queue)
            try:
                sock.sendto(data, addr)
                n["out"] += 1
            except OSError:
                pass
        wait = min(0.2, end - now)
        if queue:
            wait = max(0.0, min(wait, queue[0][0] - now))
        try:
            ready, _, _ = select.select([front, back], [], [], wait)
        except InterruptedError:
            continue
        for sock in ready:
            try:
                data, addr = sock.recvfrom(65535)
            except OSError:
                continue
            if sock is front:
                if client is None:
                    client = addr
                if addr == client:
                    schedule(back, data, server)
            elif addr == server and client is not None:
                schedule(front, data, client)
    print("relay: in %(in)d, out %(out)d, dropped %(dropped)d, duplicated %(duplicated)d, "
          "delayed %(delayed)d" % n, file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

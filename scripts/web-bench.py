#!/usr/bin/env python3
"""Measures the web mode's pages under logged-in users (issue #16; docs/PERFORMANCE.md, "Web mode").

Starts `irp serve` (release build) on a fresh data directory, adds USERS web users spread over
the sandbox taxpayers (`irp admin add-user`), logs each in through /login, has each register one
invoice through the generate form, then lets every user browse for DURATION seconds: the
dashboard, the search page, its e-invoice and the generate form, in turn, with a think time of
0.5 to 1.5 s between pages (a person, not a script). Reports each page's answer times
(p50/p95/p99/max), pages per second, failures, and the portal's peak RSS, as JSON.

Usage: scripts/web-bench.py [--users 100] [--duration 60] [--irp target/release/irp]
       [--report FILE]
Standard library only. Not part of scripts/test.sh: it takes a few minutes and measures.
"""
import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Portal:
    def __init__(self, irp, workdir):
        self.irp = irp
        self.port = free_port()
        self.data = Path(workdir) / "data"
        env = dict(os.environ, IRP_LOG="error")
        self.process = subprocess.Popen(
            [irp, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", str(self.data)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nhost: p\r\nconnection: close\r\n\r\n")
                    if s.recv(100).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                time.sleep(0.2)
        self.sandbox = json.loads((self.data / "sandbox.json").read_text())

    def add_user(self, name, gstin, password):
        subprocess.run(
            [self.irp, "admin", "--data-dir", str(self.data), "add-user", "--user", name,
             "--gstin", gstin, "--client", self.sandbox["client_id"]],
            env=dict(os.environ, IRP_ADMIN_PASSWORD=password, IRP_LOG="error"),
            check=True, stdout=subprocess.DEVNULL)

    def rss_mb(self):
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Connection:
    """One keep-alive HTTP/1.1 connection, as a browser tab keeps one."""

    def __init__(self, port):
        self.port = port
        self.reader = None
        self.writer = None

    async def request(self, method, path, cookie=None, body=None):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = [f"{method} {path} HTTP/1.1", f"host: 127.0.0.1:{self.port}"]
        if cookie:
            head.append(f"cookie: {cookie}")
        if body is not None:
            head.append("content-type: application/x-www-form-urlencoded")
            head.append(f"content-length: {len(body)}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + (body or b""))
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        length = int(headers.get("content-length", ["0"])[0])
        payload = await self.reader.readexactly(length)
        return status, headers, payload


def form_body(fields):
    return urllib.parse.urlencode(fields).encode()


def csrf_of(page):
    found = re.search(rb'name="csrf" value="([0-9a-f]{64})"', page)
    return found.group(1).decode() if found else ""


async def prepare_user(port, name, password, buyer, index):
    """Logs `name` in and registers one invoice through the form; returns (cookie, irn)."""
    connection = Connection(port)
    status, headers, _ = await connection.request(
        "POST", "/login", body=form_body({"user_name": name, "password": password}))
    assert status == 303, f"login of {name}: {status}"
    cookie = headers["set-cookie"][0].split(";")[0]
    _, _, page = await connection.request("GET", "/invoices/new", cookie)
    # The buyer's details from the register, as the form's script fills them.
    _, _, found = await connection.request("GET", f"/invoices/lookup/{buyer}", cookie)
    found = json.loads(found)
    today = time.strftime("%d/%m/%Y", time.gmtime(time.time() + 5.5 * 3600))
    fields = {
        "csrf": csrf_of(page), "action": "generate", "doc_type": "INV",
        "doc_no": f"WB/{index}", "doc_date": today, "sup_type": "B2B",
        "buyer_gstin": buyer, "buyer_name": found["name"], "buyer_addr1": found["addr1"],
        "buyer_loc": found["loc"], "buyer_pin": found["pin"], "buyer_state": found["state"],
        "buyer_pos": found["state"],
        "item_desc": "Bench item", "item_hsn": "61091000", "item_service": "N",
        "item_qty": "10", "item_unit": "NOS", "item_price": "100", "item_rate": "5",
    }
    status, headers, page = await connection.request(
        "POST", "/invoices/new", cookie, form_body(fields))
    assert status == 303, f"generate by {name}: {status} {page[:300]!r}"
    irn = headers["location"][0].split("/")[2].split("?")[0]
    connection.writer.close()
    return cookie, irn


async def browse(port, cookie, irn, until, samples, failures):
    connection = Connection(port)
    pages = [("dashboard", "/dashboard"), ("search", "/invoices?status=ACT"),
             ("e-invoice", f"/invoices/{irn}"), ("generate form", "/invoices/new")]
    index = random.randrange(len(pages))
    while time.monotonic() < until:
        await asyncio.sleep(random.uniform(0.5, 1.5))
        name, path = pages[index % len(pages)]
        index += 1
        started = time.monotonic()
        try:
            status, _, _ = await connection.request("GET", path, cookie)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            failures.append(name)
            connection = Connection(port)
            continue
        samples.setdefault(name, []).append(time.monotonic() - started)
        if status != 200:
            failures.append(f"{name}: {status}")


def percentiles(values):
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    return {"count": len(values), "p50_ms": round(1000 * pick(0.50), 2),
            "p95_ms": round(1000 * pick(0.95), 2), "p99_ms": round(1000 * pick(0.99), 2),
            "max_ms": round(1000 * values[-1], 2)}


async def run(portal, users, duration):
    port = portal.port
    taxpayers = portal.sandbox["users"]
    accounts = []
    for index in range(users):
        seller = taxpayers[index % len(taxpayers)]
        buyer = taxpayers[(index + 1) % len(taxpayers)]
        name = f"webbench{index:03}"
        password = f"bench-password-{index:03}"
        portal.add_user(name, seller["gstin"], password)
        accounts.append((name, password, seller, buyer, index))
    prepared = []
    for name, password, _seller, buyer, index in accounts:
        prepared.append(await prepare_user(port, name, password, buyer["gstin"], index))
    samples, failures, rss = {}, [], []
    until = time.monotonic() + duration

    async def watch():
        while time.monotonic() < until:
            rss.append(portal.rss_mb())
            await asyncio.sleep(0.5)

    started = time.monotonic()
    await asyncio.gather(watch(), *(browse(port, cookie, irn, until, samples, failures)
                                     for cookie, irn in prepared))
    elapsed = time.monotonic() - started
    everything = [v for values in samples.values() for v in values]
    return {
        "users": users,
        "duration_s": round(elapsed, 1),
        "pages_per_s": round(len(everything) / elapsed, 1),
        "all_pages": percentiles(everything),
        "by_page": {name: percentiles(values) for name, values in sorted(samples.items())},
        "failures": len(failures),
        "failure_examples": failures[:5],
        "peak_rss_mb": round(max(rss), 1) if rss else None,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--irp", default=str(ROOT / "target" / "release" / "irp"))
    parser.add_argument("--report")
    args = parser.parse_args()
    if not Path(args.irp).exists():
        subprocess.run(["cargo", "build", "--release", "-p", "irp"], cwd=ROOT, check=True)
    workdir = tempfile.mkdtemp(prefix="irp-web-bench-")
    portal = Portal(args.irp, workdir)
    try:
        result = asyncio.run(run(portal, args.users, args.duration))
    finally:
        portal.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    result = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "cores": os.cpu_count(), **result}
    text = json.dumps(result, indent=2)
    print(text)
    if args.report:
        Path(args.report).write_text(text + "\n")


if __name__ == "__main__":
    main()

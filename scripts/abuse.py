#!/usr/bin/env python3
"""Measures how a portal holds up against abuse (issue #15; docs/PERFORMANCE.md, "Abuse").

Starts `irp serve` (release build) on a fresh data directory and runs, one after another:

  bodies  N unauthenticated generate requests declaring 8 MiB bodies and sending 64 KiB of them,
          held open; reports the portal's peak RSS and /healthz latency meanwhile.
  idle    N idle connections and N slowloris connections (a header byte every 5 s); reports
          when the portal closed them.
  logins  300 parallel logins of ten sandbox users while `irp bench` registers invoices of nine
          other taxpayers at a steady rate; reports peak RSS, the logins' answers and the
          generate latency percentiles of the bench.
  timing  median answer times of wrong passwords and of unknown user names.

Usage: scripts/abuse.py [--connections N] [--only bodies|idle|logins] [--irp target/release/irp]
The login scenario encrypts credentials with the `cryptography` package, which it installs into
target/abuse-venv when absent. Not part of scripts/test.sh: it takes a few minutes and measures.
"""
import argparse
import asyncio
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "target" / "abuse-venv"


def ensure_cryptography():
    """Re-executes this script under a venv that has `cryptography`, creating it when absent."""
    try:
        import cryptography  # noqa: F401
        return
    except ImportError:
        pass
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "cryptography"], check=True)
    os.execv(str(python), [str(python), *sys.argv])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Portal:
    def __init__(self, irp, workdir):
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


def probe(portal, stop, samples):
    """Samples RSS and /healthz latency every 0.25 s until `stop` is set. Runs on its own thread
    with blocking sockets, so that the load's event loop does not delay the probe."""
    while not stop.is_set():
        samples["rss"].append(portal.rss_mb())
        started = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", portal.port), timeout=5) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nhost: p\r\nconnection: close\r\n\r\n")
                ok = s.recv(200).startswith(b"HTTP/1.1 200")
        except OSError:
            ok = False
        samples["healthz"].append((time.monotonic() - started, ok))
        time.sleep(0.25)


class Watch:
    """RSS and /healthz samples taken on a thread while a scenario runs."""

    def __init__(self, portal):
        self.stop = threading.Event()
        self.samples = {"rss": [], "healthz": []}
        self.thread = threading.Thread(target=probe, args=(portal, self.stop, self.samples))
        self.thread.start()

    def finish(self):
        self.stop.set()
        self.thread.join()
        return self.samples


def summary(samples):
    latencies = [l for l, _ in samples["healthz"]]
    failed = sum(1 for _, ok in samples["healthz"] if not ok)
    return {
        "peak_rss_mb": round(max(samples["rss"]), 1),
        "healthz_max_ms": round(1000 * max(latencies), 1) if latencies else None,
        "healthz_failed": failed,
        "healthz_probes": len(latencies),
    }


async def half_sent_bodies(port, until, outcome):
    """Sends half of an 8 MiB generate body without credentials, again and again until `until`."""
    head = ("POST /eicore/v1.03/Invoice HTTP/1.1\r\nhost: p\r\ncontent-type: application/json\r\n"
            f"content-length: {8 * 1024 * 1024 - 1}\r\nclient_id: nobody\r\nclient_secret: x\r\n"
            "gstin: 29AAGCB1286Q000\r\nuser_name: u\r\nauthtoken: t\r\n\r\n").encode()
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(head + b"{" * 65536)
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(300), 40)
            outcome.append(("answered" if answer else "closed", time.monotonic() - started))
            writer.close()
        except asyncio.TimeoutError:
            outcome.append(("held", time.monotonic() - started))
        except OSError:
            outcome.append(("refused", time.monotonic() - started))
            await asyncio.sleep(0.1)


async def scenario_bodies(portal, n):
    watch = Watch(portal)
    outcome = []
    until = time.monotonic() + 20
    await asyncio.gather(*(half_sent_bodies(portal.port, until, outcome) for _ in range(n)))
    samples = watch.finish()
    kinds = {}
    for kind, _ in outcome:
        kinds[kind] = kinds.get(kind, 0) + 1
    slowest = max(t for _, t in outcome)
    return {**summary(samples), "connections": n, "seconds": 20, "outcomes": kinds,
            "slowest_answer_s": round(slowest, 2)}


async def held_connection(port, slowloris, limit, closed_after):
    started = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        if slowloris:
            writer.write(b"GET /healthz HTTP/1.1\r\nhost: p\r\n")
        deadline = started + limit
        while time.monotonic() < deadline:
            try:
                data = await asyncio.wait_for(reader.read(100), 5)
                if not data:
                    closed_after.append(time.monotonic() - started)
                    writer.close()
                    return
            except asyncio.TimeoutError:
                if slowloris:
                    writer.write(b"x")
                    await writer.drain()
        closed_after.append(None)
        writer.close()
    except OSError:
        closed_after.append(time.monotonic() - started)


async def scenario_idle(portal, n):
    watch = Watch(portal)
    idle, slow = [], []
    await asyncio.gather(*(held_connection(portal.port, False, 60, idle) for _ in range(n)),
                         *(held_connection(portal.port, True, 60, slow) for _ in range(n)))
    samples = watch.finish()

    def describe(times):
        closed = sorted(t for t in times if t is not None)
        return {"closed": len(closed), "still_open_after_60s": len(times) - len(closed),
                "closed_after_s_max": round(closed[-1], 1) if closed else None}
    return {**summary(samples), "idle": describe(idle), "slowloris": describe(slow)}


def login_body(public_pem, user, password):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    key = serialization.load_pem_public_key(public_pem.encode())
    app_key = base64.b64encode(secrets.token_bytes(32)).decode()
    inner = json.dumps({"UserName": user, "Password": password, "AppKey": app_key,
                        "ForceRefreshAccessToken": False}).encode()
    data = key.encrypt(base64.b64encode(inner), padding.PKCS1v15())
    return json.dumps({"Data": base64.b64encode(data).decode()}).encode()


async def login(port, sandbox, gstin, body, answers):
    head = ("POST /eivital/v1.04/auth HTTP/1.1\r\nhost: p\r\ncontent-type: application/json\r\n"
            f"client_id: {sandbox['client_id']}\r\nclient_secret: {sandbox['client_secret']}\r\n"
            f"gstin: {gstin}\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n").encode()
    started = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head + body)
        await writer.drain()
        answer = (await asyncio.wait_for(reader.read(), 60)).decode(errors="replace")
        writer.close()
        if '"Status":1' in answer:
            code = "success"
        elif '"ErrorCode":"' in answer:
            code = answer.split('"ErrorCode":"')[1].split('"')[0]
        else:
            code = answer.split("\r\n")[0]
    except (OSError, asyncio.TimeoutError) as error:
        code = type(error).__name__
    answers.append((code, time.monotonic() - started))


async def scenario_logins(portal, irp, workdir):
    sandbox = portal.sandbox
    public_pem = Path(sandbox["auth_public_key_pem"]).read_text()
    small = [u for u in sandbox["users"] if "LARGE" not in u["gstin"]]
    bodies = [(u["gstin"], login_body(public_pem, u["username"], u["password"]))
              for u in small for _ in range(300 // len(small))]
    report = Path(workdir) / "bench.json"
    bench = subprocess.Popen(
        [irp, "bench", "--url", f"http://127.0.0.1:{portal.port}", "--sandbox-json",
         str(portal.data / "sandbox.json"), "--rate", "50", "--concurrency", "16",
         "--duration", "25", "--report", str(report)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    await asyncio.sleep(5)
    watch = Watch(portal)
    answers = []
    await asyncio.gather(*(login(portal.port, sandbox, g, b, answers) for g, b in bodies))
    samples = watch.finish()
    bench.wait()
    latency = json.loads(report.read_text())["latency_ms"] if report.exists() else None
    codes = {}
    for code, _ in answers:
        codes[code] = codes.get(code, 0) + 1
    return {**summary(samples), "logins": len(bodies), "answers": codes,
            "slowest_login_s": round(max(t for _, t in answers), 2),
            "other_taxpayers_generate_latency_ms": latency}


async def scenario_timing(portal):
    """Median answer times of wrong passwords (four per user, below the lockout) and of unknown
    user names, one login at a time."""
    sandbox = portal.sandbox
    public_pem = Path(sandbox["auth_public_key_pem"]).read_text()
    small = [u for u in sandbox["users"] if "LARGE" not in u["gstin"]]
    wrong = [(u["gstin"], login_body(public_pem, u["username"], "wrong-password"))
             for u in small for _ in range(4)]
    unknown = [(small[0]["gstin"], login_body(public_pem, f"nobody_{n}", "wrong-password"))
               for n in range(len(wrong))]
    results = {}
    for name, bodies in [("wrong_password", wrong), ("unknown_user", unknown)]:
        answers = []
        for gstin, body in bodies:
            await login(portal.port, sandbox, gstin, body, answers)
        times = sorted(t for _, t in answers)
        codes = sorted({c for c, _ in answers})
        results[name] = {"codes": codes, "median_ms": round(1000 * times[len(times) // 2], 1)}
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--only", choices=["bodies", "idle", "logins", "timing"])
    parser.add_argument("--irp", default=str(ROOT / "target" / "release" / "irp"))
    args = parser.parse_args()
    if args.only in (None, "logins", "timing"):
        ensure_cryptography()
    if not Path(args.irp).exists():
        subprocess.run(["cargo", "build", "--release", "-p", "irp"], cwd=ROOT, check=True)
    results = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "cores": os.cpu_count()}
    for name in ["bodies", "idle", "logins", "timing"]:
        if args.only and args.only != name:
            continue
        workdir = tempfile.mkdtemp(prefix="irp-abuse-")
        portal = Portal(args.irp, workdir)
        try:
            if name == "bodies":
                results[name] = asyncio.run(scenario_bodies(portal, args.connections))
            elif name == "idle":
                results[name] = asyncio.run(scenario_idle(portal, args.connections))
            elif name == "timing":
                results[name] = asyncio.run(scenario_timing(portal))
            else:
                results[name] = asyncio.run(scenario_logins(portal, args.irp, workdir))
        finally:
            portal.stop()
            shutil.rmtree(workdir, ignore_errors=True)
        print(json.dumps({name: results[name]}), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""Shared helpers for the benchmark scripts: locating the binary and the
data, running commands with wall time and peak RSS, and writing results."""

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLE = os.path.join(ROOT, "..", "shared", "data", "guru-2026-06.bundle")


def binary():
    path = os.environ.get("SQUASHPUB", os.path.join(ROOT, "build", "squashpub"))
    if not os.access(path, os.X_OK):
        sys.exit(f"bench: {path} not found; build first (ci/test or cmake --build build)")
    return path


def run(argv, **kwargs):
    """Runs argv; returns (seconds, peak RSS in KiB) of that child alone."""
    seconds, peak, _ = run_with_cpu(argv, **kwargs)
    return seconds, peak


def run_with_cpu(argv, **kwargs):
    """Like run, plus the child's CPU time (user + system) in seconds: on a
    shared machine it moves less than wall time."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {' '.join(argv)} failed:\n{err}")
    return seconds, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def shell(command):
    subprocess.run(command, shell=True, check=True)


def guru_clone(workdir):
    """A bare clone of the bundled data, or None when it is absent."""
    if not os.path.exists(BUNDLE):
        print(f"bench: {BUNDLE} absent, skipping the GURU workload")
        return None
    path = os.path.join(workdir, "guru.git")
    if not os.path.exists(path):
        shell(f"git clone -q --bare '{BUNDLE}' '{path}'")
    return path


def export(repository, rev, directory):
    os.makedirs(directory, exist_ok=True)
    shell(f"git -C '{repository}' archive --format=tar '{rev}' | tar -x -C '{directory}'")


def machine():
    return {
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "kernel": platform.release(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def tool_version(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True).stdout + \
              subprocess.run(argv, capture_output=True, text=True).stderr
        return out.strip().splitlines()[0] if out.strip() else "unknown"
    except OSError:
        return "missing"


def make_keyring(work):
    home = os.path.join(work, "gnupg")
    os.makedirs(home, mode=0o700)
    with open(os.path.join(home, "gpg.conf"), "w") as conf:
        conf.write("personal-digest-preferences SHA512\n")
    env = dict(os.environ, GNUPGHOME=home)
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key",
                    "bench <bench@example.org>", "ed25519", "sign", "1y"], env=env, check=True,
                   capture_output=True)
    listing = subprocess.run(["gpg", "--list-secret-keys", "--with-colons"], env=env, check=True,
                             capture_output=True, text=True).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines()
                       if line.startswith("fpr:"))
    return home, fingerprint


def read_results(name):
    """The previous results of a bench ({} when there are none)."""
    path = os.path.join(ROOT, "bench", "results", name)
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def write_results(name, results):
    path = os.path.join(ROOT, "bench", "results", name)
    with open(path, "w") as out:
        json.dump(results, out, indent=2, sort_keys=True)
        out.write("\n")
    print(f"bench: wrote {path}")


def workdir(name):
    base = os.environ.get("BENCH_DIR", os.path.join(ROOT, "bench", "work"))
    os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(prefix=name + ".", dir=base)


def cleanup(path):
    if not os.environ.get("BENCH_KEEP"):
        shutil.rmtree(path, ignore_errors=True)

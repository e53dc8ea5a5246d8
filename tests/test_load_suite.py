"""The load suite's own helper: which processes are Odoo's workers (the ones it may kill -9)."""

import importlib.util
import os
import subprocess
import sys
import textwrap
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = importlib.util.spec_from_file_location("load_suite", os.path.join(HERE, "..", "loadtests", "load_suite.py"))
load_suite = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(load_suite)

# A prefork master as Odoo runs it: its command line holds --gevent-port; it forks a worker (which keeps that command
# line, as Odoo's workers do without setproctitle) and spawns the websocket process as `<python> <script> gevent …`.
MASTER = textwrap.dedent("""
    import os, subprocess, sys, time
    if len(sys.argv) > 1 and sys.argv[1] == "gevent":
        time.sleep(30)
        sys.exit()
    if os.fork() == 0:
        time.sleep(30)
        os._exit(0)
    subprocess.Popen([sys.executable, __file__, "gevent", "--gevent-port", "8072"])
    print("ready", flush=True)
    time.sleep(30)
""")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc (Linux)")
def test_workers_are_told_from_the_websocket_process(tmp_path):
    script = tmp_path / "master.py"
    script.write_text(MASTER)
    master = subprocess.Popen([sys.executable, str(script), "--workers", "2", "--gevent-port", "8072"],
                              stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert master.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 10
        while len(load_suite.worker_pids(master.pid)) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        children = {int(pid) for pid in os.listdir("/proc") if pid.isdigit() and _parent(pid) == master.pid}
        websocket = {pid for pid in children if _argv(pid)[2:3] == [b"gevent"]}
        assert len(children) == 2 and len(websocket) == 1, "a worker and the websocket process"
        assert set(load_suite.worker_pids(master.pid)) == children - websocket, \
            "the worker only, although its command line holds --gevent-port"
    finally:
        os.killpg(master.pid, 9)
        master.wait()


def _parent(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def _argv(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        return cmdline.read().split(b"\0")

#!/usr/bin/env python3
"""Benchmark the autoresponder on the Odoo 18 and PostgreSQL of this machine, and print one table.

Finds Odoo and PostgreSQL the way the test command does (scripts/odoo_harness.py), creates its own database
(responso_autoresponder and base_automation, no demo data), runs the scenarios inside Odoo through
``odoo shell`` (bench_odoo.py), and drops the database. Standard library only.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH_DIR)
sys.path.insert(0, os.path.join(REPO, "scripts"))

import odoo_harness as harness  # noqa: E402 - the harness lives in scripts/

SCENARIOS = ("decide", "hook", "cron", "replay", "peer", "senders", "ingest", "history")
MODULES = f"{harness.MODULE},base_automation"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a few minutes): for development")
    parser.add_argument("--only", action="append", choices=SCENARIOS, metavar="SCENARIO",
                        help=f"run only this scenario (repeatable): {', '.join(SCENARIOS)}")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the benchmark database")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    started = time.time()
    try:
        odoo_argv, version = harness.find_odoo()
    except harness.HarnessError as exc:
        print(f"Cannot benchmark: Odoo 18.0 not found: {exc}", file=sys.stderr)
        return 2
    options = harness.read_rc_options()
    workdir = tempfile.mkdtemp(prefix="responso-bench-")
    if os.geteuid() == 0:
        os.chmod(workdir, 0o755)
    local = None
    db = harness.configured_postgres(options)
    if db is None:
        # a throwaway cluster, as the test suite starts one (fsync off: the benchmark measures our code, not
        # this machine's disk)
        local = harness.LocalPostgres(os.path.join(workdir, "pgdata"), fast=True)
        db = local.start()
        print(f"PostgreSQL: none reachable with {harness.odoo_rc()}; started a throwaway one on 127.0.0.1:{local.port}")
    else:
        print(f"PostgreSQL: using {db['host']}:{db['port']} as {db['user']}")
    dbname = f"responso_bench_{os.getpid()}_{int(started)}"
    common = ["--addons-path", harness.addons_path(options), "--data-dir", os.path.join(workdir, "data"),
              "-d", dbname, "--log-level", "warn"] + harness.odoo_db_args(db)
    try:
        print(f"Odoo {version}: creating database {dbname} ({MODULES}, without demo data)", flush=True)
        install = subprocess.run(
            odoo_argv + common + ["-i", MODULES, "--without-demo", "all", "--stop-after-init",
                                  "--max-cron-threads", "0", "--http-port", str(harness.free_port())],
            capture_output=True, text=True, cwd=REPO)
        if install.returncode:
            print(install.stdout[-3000:], install.stderr[-3000:])
            print("Cannot benchmark: the database could not be created")
            return 1
        shell_argv = odoo_argv + ["shell"] + common + ["--no-http"]
        result = os.path.join(workdir, "result.json")
        config = {"quick": args.quick, "only": args.only, "json": result, "shell_argv": shell_argv,
                  "repo": REPO, "bench_dir": BENCH_DIR, "budget": 0.4 if args.quick else 1.0}
        script = ("import sys\nsys.path.insert(0, %r)\nimport bench_odoo\nbench_odoo.main(env, %r)\n"
                  % (BENCH_DIR, config))
        proc = subprocess.Popen(shell_argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, cwd=REPO)
        proc.stdin.write(script)
        proc.stdin.close()
        for line in proc.stdout:
            if "Running as user 'root'" not in line:
                sys.stdout.write(line)
                sys.stdout.flush()
        code = proc.wait()
        if code or not os.path.exists(result):
            print(f"The benchmark failed (exit code {code})")
            return 1
        if args.json:
            shutil.copy(result, args.json)
        with open(result) as fh:
            figures = json.load(fh)
        print(f"\nWhole run: {(time.time() - started) / 60:.1f} min (database creation included)")
        return 0 if figures["guard"] == {"mail": 0, "network": 0} else 1
    finally:
        if not args.keep_db:
            harness.psql(db, f'DROP DATABASE IF EXISTS "{dbname}"', check=False)
        else:
            print(f"Kept database {dbname} on {db['host']}:{db['port']}")
        if local:
            if args.keep_db:
                print(f"PostgreSQL cluster left running in {local.datadir} (port {local.port})")
            else:
                local.stop()
        if not args.keep_db:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

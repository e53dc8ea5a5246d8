#!/usr/bin/env python3
"""Find an Odoo 18 on this machine, give it a PostgreSQL, and test or serve the addon.

Odoo is never installed by this project: it is looked for the way administrators install it, as the
``odoo`` command on PATH (Debian package, official Docker image) or ``$ODOO_BIN``, configured by
``~/.odoorc`` (or ``$ODOO_RC``). PostgreSQL is the one that configuration reaches; when none answers, a
throwaway cluster is started from Debian's ``postgresql`` binaries (as ``nobody`` when we are root,
since ``initdb`` refuses root).

Standard library only: this runs before anything is installed.
"""

import argparse
import configparser
import contextlib
import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULE = "responso_autoresponder"
DEMO_MODULE = "responso_autoresponder_demo"  # the fake marketplaces and the "Demo" environment; depends on MODULE
TEST_TAGS = f"/{MODULE},/{DEMO_MODULE}"
PYLINT_RC = os.path.join(REPO, ".pylintrc-mandatory")  # OCA's mandatory pylint-odoo checks
PYLINT_PENDING = os.path.join(REPO, ".pylint-pending")  # messages listed, not failing, until their owner fixes them
PYLINT_RE = re.compile(r"^(?P<path>[^:\s]+):(?P<line>\d+): \[(?P<symbol>[a-z0-9-]+)\] (?P<text>.*)$")
DATA_DIR = os.path.join(REPO, ".odoo-data")  # git-ignored: the run command's database cluster and filestore
RESULT_RE = re.compile(r"odoo\.tests\.result: (\d+) failed, (\d+) error\(s\) of (\d+) tests")
DB_ROLE = "odoo"  # Odoo refuses to run as the PostgreSQL role "postgres"


class HarnessError(Exception):
    """Something the machine lacks; the message says what and how to get it."""


# ---------------------------------------------------------------------------------------------------------
# Odoo
# ---------------------------------------------------------------------------------------------------------
def find_odoo():
    """Return (argv prefix, version) of the Odoo 18 command, or raise HarnessError saying what was tried."""
    candidates = []
    if os.environ.get("ODOO_BIN"):
        candidates.append(("$ODOO_BIN", os.environ["ODOO_BIN"]))
    on_path = shutil.which("odoo")
    if on_path:
        candidates.append(("odoo on PATH", on_path))
    if not candidates:
        raise HarnessError("no `odoo` command on PATH and $ODOO_BIN is not set")
    problems = []
    for label, command in candidates:
        argv = [sys.executable, command] if command.endswith(".py") else [command]
        try:
            out = subprocess.run(argv + ["--version"], capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            problems.append(f"{label} ({command}) does not run: {exc}")
            continue
        match = re.search(r"Odoo Server (\S+)", out.stdout + out.stderr)
        if not match:
            problems.append(f"{label} ({command}) printed no Odoo version")
        elif not match.group(1).startswith("18.0"):
            problems.append(f"{label} ({command}) is Odoo {match.group(1)}, not 18.0")
        else:
            return argv, match.group(1)
    raise HarnessError("; ".join(problems))


def odoo_rc():
    return os.environ.get("ODOO_RC") or os.path.expanduser("~/.odoorc")


def read_rc_options():
    parser = configparser.RawConfigParser()
    path = odoo_rc()
    if os.path.exists(path):
        parser.read(path)
    options = dict(parser.items("options")) if parser.has_section("options") else {}
    return {key: value for key, value in options.items() if value not in ("", "False", "None")}


def addons_path(options):
    """The configured addons path (if any) plus this repository, whose root holds the addon."""
    paths = [p.strip() for p in options.get("addons_path", "").split(",") if p.strip()]
    return ",".join(paths + [REPO])


# ---------------------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------------------
def psql_argv(db):
    return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", db["host"], "-p", str(db["port"]),
            "-U", db["user"], "-d", "postgres"]


def psql(db, sql, check=True):
    env = dict(os.environ, PGPASSWORD=db.get("password") or "", PGCONNECT_TIMEOUT="5")
    return subprocess.run(psql_argv(db) + ["-tAc", sql], capture_output=True, text=True, env=env,
                          check=check, timeout=120)


def configured_postgres(options):
    """The server ~/.odoorc points at, if it answers with a role Odoo accepts."""
    if not shutil.which("psql"):
        return None
    user = options.get("db_user") or os.environ.get("USER") or "odoo"
    if user == "postgres":
        return None
    db = {
        "host": options.get("db_host") or "/var/run/postgresql",
        "port": int(options.get("db_port") or 5432),
        "user": user,
        "password": options.get("db_password"),
    }
    try:
        if psql(db, "SELECT 1", check=False).returncode == 0:
            return db
    except subprocess.TimeoutExpired:
        pass
    return None


def postgres_bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(re.search(r"/(\d+)/bin", p).group(1)))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(os.path.realpath(initdb))
    raise HarnessError("no PostgreSQL reachable and no PostgreSQL server binaries to start one "
                       "(install Debian's `postgresql` package)")


def free_port():
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_cluster_owner(argv):
    """initdb and postgres refuse root: run them as `nobody` then."""
    if os.geteuid() != 0:
        return argv
    runuser = shutil.which("runuser") or next(
        (path for path in ("/usr/sbin/runuser", "/sbin/runuser") if os.path.exists(path)), None)
    if not runuser:
        raise HarnessError("running as root and no `runuser` to start PostgreSQL as another user")
    return [runuser, "-u", "nobody", "--"] + argv


class LocalPostgres:
    """A PostgreSQL cluster in `datadir`, on 127.0.0.1 and a free port, trust authentication, role odoo."""

    def __init__(self, datadir, fast=False):
        self.datadir = datadir
        self.fast = fast
        self.bindir = postgres_bindir()
        self.port = free_port()
        self.db = {"host": "127.0.0.1", "port": self.port, "user": DB_ROLE, "password": None}

    def start(self):
        os.makedirs(self.datadir, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.datadir, "nobody", "nogroup")
            os.chmod(self.datadir, 0o700)
        if not os.path.exists(os.path.join(self.datadir, "PG_VERSION")):
            subprocess.run(as_cluster_owner([
                os.path.join(self.bindir, "initdb"), "-D", self.datadir, "-U", DB_ROLE,
                "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)
        settings = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1"
        if self.fast:  # a throwaway test cluster: durability buys nothing
            settings += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        subprocess.run(as_cluster_owner([
            os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir, "-o", settings, "-w", "-t", "60",
            "-l", os.path.join(self.datadir, "server.log"), "start"]), check=True, capture_output=True)
        return self.db

    def stop(self):
        subprocess.run(as_cluster_owner([
            os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir, "-m", "fast", "-w", "stop"]),
            capture_output=True)


def odoo_db_args(db):
    return ["--db_host", db["host"], "--db_port", str(db["port"]), "--db_user", db["user"]] + (
        ["--db_password", db["password"]] if db.get("password") else [])


# ---------------------------------------------------------------------------------------------------------
# test
# ---------------------------------------------------------------------------------------------------------
def run_logged(argv, logfile, echo):
    """Run argv, keep its whole output in logfile, echo the lines `echo` selects."""
    with open(logfile, "w") as log:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                cwd=REPO)
        for line in proc.stdout:
            log.write(line)
            if echo(line):
                sys.stdout.write(line)
                sys.stdout.flush()
        return proc.wait()


def is_worth_echoing(line):
    return bool(re.search(r" (ERROR|CRITICAL|WARNING) |FAIL:|ERROR:|odoo\.tests\.result|odoo\.tests\.stats"
                          r"|Traceback|^\s|SKIPPED", line)) and \
        "Running as user 'root'" not in line


def odoo_suite(odoo_argv, options, workdir):
    """Install the addon and its demo addon with demo data in a fresh database, run both addons' tests, then
    check the main addon's life cycle alone (install without demo, upgrade, no fake imported and no "Demo"
    environment; the demo addon installed then uninstalled; uninstall) in a second one. Returns (passed, failed)."""
    local = None
    db = configured_postgres(options)
    if db is None:
        local = LocalPostgres(os.path.join(workdir, "pgdata"), fast=True)
        db = local.start()
        print(f"PostgreSQL: none reachable with {odoo_rc()}; started a throwaway one on 127.0.0.1:{local.port}")
    else:
        print(f"PostgreSQL: using {db['host']}:{db['port']} as {db['user']}")
    stamp = f"{os.getpid()}_{int(time.time())}"
    dbname, lifecycle_db = f"responso_test_{stamp}", f"responso_life_{stamp}"
    common = odoo_argv + ["--addons-path", addons_path(options), "--data-dir", os.path.join(workdir, "data"),
                          "--http-port", str(free_port()), "--gevent-port", str(free_port()),
                          "--max-cron-threads", "0", "--stop-after-init"] + odoo_db_args(db)
    try:
        log = os.path.join(workdir, "odoo-tests.log")
        print(f"Odoo suite: database {dbname}, full log in {log}")
        rc = run_logged(common + ["-d", dbname, "-i", f"{MODULE},{DEMO_MODULE}", "--test-enable",
                                  "--test-tags", TEST_TAGS, "--log-level", "info"],
                        log, is_worth_echoing)
        with open(log) as fh:
            results = RESULT_RE.findall(fh.read())
        if not results:
            print(f"Odoo suite: no `odoo.tests.result` line (exit code {rc}): the suite did not run")
            return 0, 1
        failed, errors, total = (int(x) for x in results[-1])
        bad = failed + errors + (1 if rc and not failed + errors else 0)
        if rc and not failed + errors:
            print(f"Odoo suite: exit code {rc} with no failed test: see {log}")

        life_log = os.path.join(workdir, "odoo-lifecycle.log")
        steps = [
            ("install without demo", ["-d", lifecycle_db, "-i", MODULE, "--without-demo", "all"]),
            ("upgrade", ["-d", lifecycle_db, "-u", MODULE]),
        ]
        for label, extra in steps:
            code = run_logged(common + extra + ["--log-level", "warn"], life_log, is_worth_echoing)
            print(f"life cycle: {label}: {'ok' if code == 0 else f'FAILED (exit {code}, see {life_log})'}")
            bad += code != 0
        def shell(script):
            return subprocess.run(
                odoo_argv + ["shell", "--addons-path", addons_path(options), "-d", lifecycle_db, "--data-dir",
                             os.path.join(workdir, "data"), "--log-level", "warn", "--no-http"] + odoo_db_args(db),
                input=script, capture_output=True, text=True, cwd=REPO, timeout=900)

        # The demo addon comes and goes: its accounts fall back to Production, the main addon stays whole.
        code = run_logged(common + ["-d", lifecycle_db, "-i", DEMO_MODULE, "--without-demo", "all",
                                    "--log-level", "warn"], life_log, is_worth_echoing)
        demo = shell("account = env['responso.account'].create({'name': 'Life cycle demo', 'integration_id': "
                     "env.ref('responso_autoresponder.integration_allegro').id, 'api_environment': 'demo'})\n"
                     "env.cr.commit()\n"
                     "env['ir.module.module'].search([('name', '=', '%s')]).button_immediate_uninstall()\n"
                     "env.cr.commit()\n" % DEMO_MODULE) if code == 0 else None
        uninstall = shell(
            "import sys\n"
            "print('FAKES', sorted(m for m in sys.modules if '.fakes' in m) or 'none')\n"
            "print('ENVIRONMENTS', [k for k, _v in env['responso.account']._fields['api_environment'].selection])\n"
            "print('DEMO', env['ir.module.module'].search([('name', '=', '%s')]).state)\n"
            "print('FELL BACK TO', env['responso.account'].search([('name', '=', 'Life cycle demo')])"
            ".api_environment)\n"
            "functions = \"SELECT count(*) FROM pg_proc WHERE proname LIKE 'responso%%%%'\"\n"
            "env.cr.execute(functions)\n"
            "print('FUNCTIONS BEFORE', env.cr.fetchone()[0])\n"
            "mod = env['ir.module.module'].search([('name', '=', '%s')])\n"
            "mod.button_immediate_uninstall()\n"
            "env.cr.commit()\n"
            "print('UNINSTALLED', env['ir.module.module'].search([('name', '=', '%s')]).state)\n"
            "print('LEFT', env['ir.model'].search_count([('model', '=like', 'responso.%%')]))\n"
            "env.cr.execute(functions)\n"
            "print('FUNCTIONS LEFT', env.cr.fetchone()[0])\n"
            % (DEMO_MODULE, MODULE, MODULE))
        demo_ok = demo is not None and demo.returncode == 0 and "DEMO uninstalled" in uninstall.stdout \
            and "FELL BACK TO production" in uninstall.stdout
        print(f"life cycle: demo addon installed then uninstalled, its accounts back in Production: "
              f"{'ok' if demo_ok else 'FAILED'}")
        bad += not demo_ok
        if not demo_ok and demo is not None:
            print(demo.stdout[-2000:], demo.stderr[-2000:])
        alone = "FAKES none" in uninstall.stdout and "ENVIRONMENTS" in uninstall.stdout \
            and "'demo'" not in uninstall.stdout
        print(f"life cycle: without the demo addon, no fake imported and no Demo environment: "
              f"{'ok' if alone else 'FAILED'}")
        bad += not alone
        # the tables go with the models; the database functions the addon created go with it: the history
        # (models/history_sql.py), the workflow-day keys and ranges (models/workflow_days_sql.py)
        ok = ("UNINSTALLED uninstalled" in uninstall.stdout and "LEFT 0" in uninstall.stdout
              and "FUNCTIONS BEFORE 3" in uninstall.stdout and "FUNCTIONS LEFT 0" in uninstall.stdout)
        print(f"life cycle: uninstall: {'ok' if ok else 'FAILED'}")
        if not ok or not alone:
            print(uninstall.stdout[-3000:], uninstall.stderr[-3000:])
        bad += not ok
        return total - failed - errors, bad
    finally:
        for name in (dbname, lifecycle_db):
            psql(db, f'DROP DATABASE IF EXISTS "{name}"', check=False)
        if local:
            local.stop()


def cmd_test(args):
    workdir = tempfile.mkdtemp(prefix="responso-test-")
    if os.geteuid() == 0:
        os.chmod(workdir, 0o755)
    counts = {}
    status = 0

    print("== ruff", flush=True)
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=REPO)
    lint = {"ruff": ruff.returncode != 0, "pylint-odoo": run_pylint_odoo(), "oca checks": run_oca_checks()}
    status |= any(lint.values())
    print("== plain tests (no Odoo): pytest", flush=True)
    junit = os.path.join(workdir, "pytest.xml")
    pytest = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests", f"--junitxml={junit}"], cwd=REPO)
    plain = junit_counts(junit)
    counts["plain"] = plain
    status |= pytest.returncode != 0 or plain[1] > 0 or plain[0] == 0

    print("== Odoo suite", flush=True)
    try:
        odoo_argv, version = find_odoo()
    except HarnessError as exc:
        print(f"SKIPPED Odoo suite: {exc} (install Odoo 18.0 as its Debian package or Docker image do, "
              f"or point $ODOO_BIN at an odoo-bin)")
        counts["odoo"] = None
        counts["load"] = None  # the load suite needs the same Odoo
    else:
        print(f"Odoo {version}: {' '.join(odoo_argv)}, configuration {odoo_rc()}")
        try:
            passed, failed = odoo_suite(odoo_argv, read_rc_options(), workdir)
        except (HarnessError, OSError, subprocess.SubprocessError) as exc:
            print(f"Odoo suite: FAILED to start: {exc} {getattr(exc, 'stderr', '') or ''}")
            passed, failed = 0, 1
        counts["odoo"] = (passed, failed)
        status |= failed > 0 or passed == 0
        if os.environ.get("RESPONSO_SKIP_LOAD"):
            print("== load suite: SKIPPED ($RESPONSO_SKIP_LOAD is set)")
        else:
            print("== load suite (loadtests/load_suite.py: --workers 2, 500 buyer messages, kill -9)", flush=True)
            sys.path.insert(0, os.path.join(REPO, "loadtests"))
            import load_suite

            load_ok = load_suite.run_with_postgres(odoo_argv, read_rc_options(), workdir)
            counts["load"] = (1, 0) if load_ok else (0, 1)
            status |= not load_ok

    print("== counts")
    print("lint: " + ", ".join(f"{name} {'FAILED' if bad else 'ok'}" for name, bad in lint.items()))
    total = [0, 0]
    for suite, result in counts.items():
        if result is None:
            print(f"{suite}: SKIPPED")
            continue
        print(f"{suite}: {result[0]} passed, {result[1]} failed")
        total[0] += result[0]
        total[1] += result[1]
    print(f"total: {total[0]} passed, {total[1]} failed")
    if not status:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if status else 0


def read_pending():
    """(path, symbol) pairs of .pylint-pending: listed on each run, not failing, until their owner fixes them."""
    pending = set()
    if os.path.exists(PYLINT_PENDING):
        with open(PYLINT_PENDING) as fh:
            for line in fh:
                line = line.split("#", 1)[0].strip()
                if line:
                    path, symbol = line.split()
                    pending.add((path, symbol))
    return pending


def run_pylint_odoo():
    """OCA's mandatory pylint-odoo checks on both addons; 1 when any message is not listed as pending."""
    print("== pylint-odoo (OCA mandatory checks)", flush=True)
    proc = subprocess.run([sys.executable, "-m", "pylint", f"--rcfile={PYLINT_RC}",
                           "--msg-template={path}:{line}: [{symbol}] {msg}", MODULE, DEMO_MODULE],
                          cwd=REPO, capture_output=True, text=True)
    if "No module named" in proc.stderr or proc.returncode & 32:  # 32: pylint could not run (usage, plugin)
        print(f"pylint-odoo: FAILED to run (pip install the test extras of pyproject.toml): {proc.stderr[-500:]}")
        return 1
    pending, seen, failing = read_pending(), set(), []
    for line in proc.stdout.splitlines():
        match = PYLINT_RE.match(line)
        if not match:
            continue
        key = (match["path"], match["symbol"])
        if key in pending:
            seen.add(key)
            print(f"pending (listed in .pylint-pending): {line}")
        else:
            failing.append(line)
            print(line)
    for path, symbol in sorted(pending - seen):
        print(f"pylint-odoo: {path} {symbol} is fixed: remove it from .pylint-pending")
    if proc.returncode and not failing and not seen:
        print(f"pylint-odoo: exit code {proc.returncode}: {proc.stderr[-1000:]}")
        return 1
    print(f"pylint-odoo: {len(failing)} message(s)")
    return 1 if failing else 0


def run_oca_checks():
    """OCA's module checks (XML headers, eval, deprecated nodes; PO files) on both addons; 1 on any message."""
    print("== oca-checks-odoo-module, oca-checks-po", flush=True)
    po_files = sorted(glob.glob(os.path.join(REPO, "responso_autoresponder*", "i18n", "*.po*")))
    status = 0
    for argv in ([sys.executable, "-c", "from oca_pre_commit_hooks.cli import main; main()", MODULE, DEMO_MODULE],
                 [sys.executable, "-c", "from oca_pre_commit_hooks.cli_po import main; main()",
                  "--disable=po-pretty-format"] + po_files):
        proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
        output = (proc.stdout + proc.stderr).strip()
        if proc.returncode or output:
            print(output or f"exit code {proc.returncode}")
            status = 1
    print(f"oca checks: {'FAILED' if status else 'ok'}")
    return status


def junit_counts(path):
    """(passed, failed) from pytest's JUnit XML; failed counts errors too."""
    import xml.etree.ElementTree as ET

    if not os.path.exists(path):
        return 0, 1
    suite = ET.parse(path).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    tests, failures, errors, skipped = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
    return tests - failures - errors - skipped, failures + errors


# ---------------------------------------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------------------------------------
def cmd_run(args):
    try:
        odoo_argv, version = find_odoo()
    except HarnessError as exc:
        print(f"Cannot run: Odoo 18.0 not found: {exc}.\n"
              "Looked for the `odoo` command on PATH and for $ODOO_BIN. Install Odoo 18.0 the way its "
              "Debian package or Docker image provides it (https://www.odoo.com/documentation/18.0/"
              "administration/on_premise.html), or set ODOO_BIN to an odoo-bin of an 18.0 source checkout.",
              file=sys.stderr)
        return 2
    options = read_rc_options()
    local = None
    db = configured_postgres(options)
    if db is None:
        local = LocalPostgres(os.path.join(DATA_DIR, "pgdata"))
        db = local.start()
        print(f"PostgreSQL: started the project's own cluster in {local.datadir} on 127.0.0.1:{local.port}")
    exists = psql(db, f"SELECT 1 FROM pg_database WHERE datname = '{args.database}'").stdout.strip() == "1"
    common = odoo_argv + ["--addons-path", addons_path(options), "--data-dir", os.path.join(DATA_DIR, "data"),
                          "-d", args.database] + odoo_db_args(db)
    try:
        # -i installs the demo addon when missing (and the main one with it); -u upgrades what is installed
        step = ["-i", DEMO_MODULE, "-u", f"{MODULE},{DEMO_MODULE}"] if exists else ["-i", DEMO_MODULE]
        print(f"Odoo {version}: {'upgrading' if exists else 'creating'} database {args.database} with demo data")
        subprocess.run(common + step + ["--stop-after-init", "--log-level", "warn"], check=True, cwd=REPO)
        print(f"Serving http://127.0.0.1:{args.port} (login admin, password admin); Ctrl+C stops it")
        return subprocess.run(common + ["--http-interface", "127.0.0.1", "--http-port", str(args.port),
                                        "--db-filter", f"^{args.database}$"], cwd=REPO).returncode
    except KeyboardInterrupt:
        return 0
    finally:
        if local:
            local.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("test", help="plain tests, ruff, then the Odoo suite on a real Odoo 18 when present")
    run = sub.add_parser("run", help="serve the addon with demo data on http://127.0.0.1:8069")
    run.add_argument("--database", default="responso")
    run.add_argument("--port", type=int, default=8069)
    args = parser.parse_args()
    return {"test": cmd_test, "run": cmd_run}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())

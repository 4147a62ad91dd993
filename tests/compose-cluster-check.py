#!/usr/bin/env python3
"""tests/compose-cluster-check.py BIN_DIR: docker-compose.cluster.yml and
docker-compose.replica.yml run for real on this machine (`make check`).

There is no Docker engine in the tests, so this takes what Compose would
run from `docker-compose config` of the three files together and runs it
with this machine's redis-server and PostgreSQL, on free loopback ports,
in a temporary folder:

1. a PostgreSQL (deploy/local/servers.sh, scram-sha-256) stands for
   `postgres`; deploy/docker/secrets.sh runs against it with the
   environment Compose gives the `secrets` one-shot (cluster seeds,
   replication) and writes its out folders;
2. the six Redis nodes run the exact `command` of `redis` ... `redis-6`
   (volume paths mapped to the folder), with the ACL file and the
   replication login the secrets step wrote, default user off;
3. deploy/docker/redis-cluster.sh, with the `redis-cluster` one-shot's
   environment, makes the cluster as the ACL admin: every node must then
   say cluster_state:ok and each replica's link to its master be up
   (replicas log in as the replication user); run again, it changes
   nothing;
4. `salesctl rebuild` as the salesctl user and funnel-tracker as its own
   Redis user and login role, both with the redis+cluster:// URLs the
   secrets step wrote: the tracker must own and bring live every
   partition (its lease script, checkpoints and reads on the cluster
   under its ACL);
5. deploy/docker/pg-replica.sh makes a standby from a base backup as the
   `replicator` role with the password file the secrets step wrote; the
   standby starts in recovery and funnel-tracker's login role reads from
   it (the tracker above already points its --postgres-read there).

Prints what it checked and exits 0, or the first failure and 1.
"""
import getpass
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPOSE = ["docker-compose", "-f", "docker-compose.yml", "-f", "docker-compose.cluster.yml",
           "-f", "docker-compose.replica.yml"]
PARTITIONS = 4
WAIT_S = 60
# As root (CI), PostgreSQL runs as the system user postgres, as the local
# stack runs it (deploy/local/lib.sh); otherwise as the caller.
PG_USER = "postgres" if os.getuid() == 0 else getpass.getuser()
AS_PG_USER = ["runuser", "-u", PG_USER, "--"] if os.getuid() == 0 else []


class Failure(Exception):
    pass


def free_ports(count):
    """COUNT distinct free loopback ports (also free at port + 10000)."""
    ports, sockets = [], []
    while len(ports) < count:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        sockets.append(s)
        if port + 10000 <= 65535:
            ports.append(port)
    for s in sockets:
        s.close()
    return ports


def run(argv, env=None, check=True, **kwargs):
    result = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise Failure("%s failed (%d):\n%s%s" % (" ".join(argv[:3]), result.returncode,
                                                  result.stdout[-2000:], result.stderr[-2000:]))
    return result


def wait_for(what, predicate, seconds=WAIT_S):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise Failure("timed out waiting for " + what)


def read(path):
    with open(path, encoding="utf-8") as file:
        return file.read().strip()


class Check:
    def __init__(self, bin_dir):
        self.bin_dir = os.path.abspath(bin_dir)
        self.dir = tempfile.mkdtemp(prefix="sp-compose-")
        self.processes = []
        self.replica_home = None
        self.config = yaml.safe_load(run(COMPOSE + ["config"]).stdout)["services"]
        self.admin_env = None

    # ---------------------------------------------------------------- servers

    def pg_ctl(self):
        """pg_ctl of the PostgreSQL the local stack runs (deploy/local/lib.sh)."""
        bindir = run(["bash", "-c", ". deploy/local/lib.sh && sp_local_pg_bindir"]).stdout.strip()
        return os.path.join(bindir, "pg_ctl")

    def start_postgres(self):
        self.pg_port = free_ports(1)[0]
        run(["deploy/local/servers.sh", "start", self.dir, str(self.pg_port), "0", "secure"])

    def local_env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("SP_")}
        env.update(extra)
        return env

    def secrets(self):
        """deploy/docker/secrets.sh with Compose's environment for it."""
        compose_env = self.config["secrets"]["environment"]
        uid = str(os.getuid())
        env = self.local_env(
            PGHOST="127.0.0.1", PGPORT=str(self.pg_port), PGUSER="postgres", PGDATABASE="salespulse",
            PGPASSFILE=os.path.join(self.dir, "secrets", "postgres.pgpass"),
            SP_SECRETS_STATE=os.path.join(self.dir, "state"),
            SP_SECRETS_OUT=os.path.join(self.dir, "out"),
            SP_SECRETS_LIB=os.path.join(ROOT, "deploy", "local", "lib.sh"),
            SP_SECRETS_SERVICE_UID=uid, SP_SECRETS_REDIS_UID=uid, SP_SECRETS_POSTGRES_UID=uid)
        for name in ("SP_SECRETS_REDIS_CLUSTER", "SP_SECRETS_PG_REPLICATION"):
            env[name] = compose_env[name]
        run(["bash", "deploy/docker/secrets.sh"], env=env)
        self.out = os.path.join(self.dir, "out")

    def node_services(self):
        return sorted((n for n in self.config if re.fullmatch(r"redis(-\d+)?", n)),
                      key=lambda n: int(n.split("-")[1]) if "-" in n else 1)

    def start_redis(self):
        names = self.node_services()
        if len(names) != 6:
            raise Failure("expected 6 Redis nodes in the cluster variant, found %s" % names)
        ports = free_ports(len(names))
        self.nodes = {}
        for name, port in zip(names, ports):
            data = os.path.join(self.dir, name)
            os.makedirs(data)
            argv = []
            for word in self.config[name]["command"]:
                word = word.replace("/secrets/", os.path.join(self.out, "redis") + "/")
                word = word.replace("/data/", data + "/")
                argv.append(word)
            argv += ["--port", str(port), "--bind", "127.0.0.1", "--dir", data, "--save", "",
                     "--appendonly", "no", "--daemonize", "no",
                     "--logfile", os.path.join(data, "redis.log")]
            self.processes.append(subprocess.Popen(argv, cwd=data))
            self.nodes[name] = port
        self.admin_env = self.local_env(REDISCLI_AUTH=read(os.path.join(self.out, "redis-admin",
                                                                        "password")))

    def admin(self, port, *args):
        return run(["redis-cli", "--no-auth-warning", "--user", "admin", "-p", str(port)] + list(args),
                   env=self.admin_env).stdout.replace("\r", "")

    # ---------------------------------------------------------------- cluster

    def make_cluster(self):
        compose_env = self.config["redis-cluster"]["environment"]
        seeds = compose_env["SP_REDIS_CLUSTER_NODES"].split()
        mapped = []
        for seed in seeds:
            host, port = seed.rsplit(":", 1)
            if host not in self.nodes or port != "6379":
                raise Failure("redis-cluster names %s, not a node of the file" % seed)
            mapped.append("127.0.0.1:%d" % self.nodes[host])
        env = self.local_env(SP_REDIS_CLUSTER_NODES=" ".join(mapped),
                             SP_REDIS_CLUSTER_REPLICAS=compose_env["SP_REDIS_CLUSTER_REPLICAS"],
                             SP_REDIS_CLUSTER_PASSWORD_FILE=os.path.join(self.out, "redis-admin",
                                                                         "password"))
        run(["bash", "deploy/docker/redis-cluster.sh"], env=env)
        for name, port in self.nodes.items():
            info = self.admin(port, "CLUSTER", "INFO")
            if "cluster_state:ok" not in info:
                raise Failure("%s: cluster_state is not ok:\n%s" % (name, info))

        def replicas_up():
            roles = [self.admin(port, "INFO", "replication") for port in self.nodes.values()]
            up = [r for r in roles if "role:slave" in r and "master_link_status:up" in r]
            return len(up) == 3 and sum("role:master" in r for r in roles) == 3

        wait_for("3 masters and 3 replicas with their links up (the replication login)",
                 replicas_up)
        again = run(["bash", "deploy/docker/redis-cluster.sh"], env=env).stdout
        if "already made" not in again:
            raise Failure("a second run of redis-cluster.sh did not find the cluster made:\n" + again)
        print("compose-cluster-check: 6 nodes with the ACL file, cluster made as admin, "
              "3 replicas linked as the replication user, a second run a no-op")

    def url_of(self, name):
        """NAME's redis.url with the Compose host names mapped to the ports."""
        url = read(os.path.join(self.out, name, "redis.url"))
        if not url.startswith("redis+cluster://"):
            raise Failure("%s's redis.url is not a cluster URL: %s" % (name, url.split("@")[-1]))
        for host, port in self.nodes.items():
            url = re.sub(r"(?<=[@,])%s:6379(?=[,/])" % re.escape(host), "127.0.0.1:%d" % port, url)
        return url

    # --------------------------------------------------------------- services

    def rebuild_as_salesctl(self):
        env = self.local_env(SP_REDIS_URL=self.url_of("salesctl"))
        run([os.path.join(self.bin_dir, "salesctl"), "rebuild", "funnel-tracker"], env=env)
        value = run(["redis-cli", "--no-auth-warning", "--user", "admin", "-c", "-p",
                     str(self.nodes["redis"]), "GET", "funnel-tracker:rebuild"],
                    env=self.admin_env).stdout.strip()
        if value != "1":
            raise Failure("salesctl rebuild as the salesctl user: funnel-tracker:rebuild is %r" % value)

    def migrate(self):
        owner = "postgresql://salespulse@127.0.0.1:%d/salespulse" % self.pg_port
        env = self.local_env(PGPASSFILE=os.path.join(self.dir, "secrets", "salespulse.pgpass"))
        run([os.path.join(self.bin_dir, "salesctl"), "migrate", "--postgres", owner, "--dir",
             "migrations", "--partitions", str(PARTITIONS)], env=env)

    def start_replica(self):
        """pg-replica.sh as Compose runs it, then the standby it made."""
        self.replica_home = tempfile.mkdtemp(prefix="sp-compose-replica-")
        shutil.chown(self.replica_home, PG_USER)
        data = os.path.join(self.replica_home, "data")
        self.replica_port = free_ports(1)[0]
        env = self.local_env(PGDATA=data, SP_REPLICA_PRIMARY="127.0.0.1",
                             SP_REPLICA_PRIMARY_PORT=str(self.pg_port),
                             SP_REPLICA_PASSFILE=os.path.join(self.out, "postgres-replica", "pgpass"),
                             SP_REPLICA_PGPASS=os.path.join(self.replica_home, "pgpass"),
                             SP_REPLICA_USER=PG_USER,
                             SP_REPLICA_WAIT_S="30")
        run(["bash", "deploy/docker/pg-replica.sh", "true"], env=env)
        if not os.path.exists(os.path.join(data, "standby.signal")):
            raise Failure("pg-replica.sh made no standby (no standby.signal in %s)" % data)
        hba = os.path.join(ROOT, "deploy", "docker", "pg_hba.conf")
        hba_copy = os.path.join(self.replica_home, "pg_hba.conf")
        shutil.copy(hba, hba_copy)
        shutil.chown(hba_copy, PG_USER)
        options = ("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
                   "-c hba_file=%s" % (self.replica_port, hba_copy))
        started = subprocess.run(AS_PG_USER + [self.pg_ctl(), "start", "-D",
                                  data, "-w", "-t", "60", "-l",
                                  os.path.join(self.replica_home, "log"), "-o", options],
                                 cwd="/", capture_output=True, text=True)
        if started.returncode != 0:
            raise Failure("the standby did not start: %s" % started.stderr[-2000:])
        env = self.local_env(PGPASSFILE=os.path.join(self.out, "funnel-tracker", "pgpass"))
        answer = run(["psql", "-X", "-A", "-t", "-h", "127.0.0.1", "-p", str(self.replica_port),
                      "-U", "funnel_tracker", "-d", "salespulse", "-c",
                      "SELECT pg_is_in_recovery(), count(*) FROM event_partitions"],
                     env=env).stdout.strip()
        if answer != "t|%d" % PARTITIONS:
            raise Failure("the standby as funnel_tracker answered %r, not in recovery with %d "
                          "partitions" % (answer, PARTITIONS))
        print("compose-cluster-check: pg-replica.sh made a standby as replicator; "
              "funnel_tracker reads it (in recovery, %d partitions)" % PARTITIONS)

    def run_funnel_tracker(self):
        http_port = free_ports(1)[0]
        env = self.local_env(
            SP_REDIS_URL=self.url_of("funnel-tracker"),
            SP_POSTGRES_URL="postgresql://funnel_tracker@127.0.0.1:%d/salespulse" % self.pg_port,
            SP_POSTGRES_READ_URL="postgresql://funnel_tracker@127.0.0.1:%d/salespulse"
            % self.replica_port,
            PGPASSFILE=os.path.join(self.out, "funnel-tracker", "pgpass"),
            SP_PARTITIONS=str(PARTITIONS), SP_HTTP="127.0.0.1:%d" % http_port,
            SP_BUS_ENDPOINT="tcp://127.0.0.1:%d" % free_ports(1)[0],
            SP_FUNNEL_NOTICES_ENDPOINT="tcp://127.0.0.1:%d" % free_ports(1)[0],
            SP_CONSUMER_LEASE_TTL_MS="3000", SP_CONSUMER_POLL_MS="200",
            SP_LOG_LEVEL="warn")
        log = open(os.path.join(self.dir, "funnel-tracker.log"), "w")
        tracker = subprocess.Popen([os.path.join(self.bin_dir, "funnel-tracker")], env=env,
                                   stdout=log, stderr=log, cwd=ROOT)
        self.processes.append(tracker)

        def gauge(name):
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % http_port,
                                            timeout=2) as reply:
                    text = reply.read().decode()
            except OSError:
                return -1
            return sum(float(m) for m in re.findall(r"^%s\{[^}]*\} (\S+)$" % name, text, re.M))

        def owned_and_live():
            if tracker.poll() is not None:
                raise Failure("funnel-tracker exited (%d); log: %s" % (tracker.returncode, log.name))
            return (gauge("salespulse_consumer_partition_owned") == PARTITIONS
                    and gauge("salespulse_consumer_partition_live") == PARTITIONS)

        try:
            wait_for("funnel-tracker to own and bring live %d partitions on the cluster" % PARTITIONS,
                     owned_and_live)
        except Failure as failure:
            raise Failure("%s\n%s" % (failure, open(log.name).read()[-3000:]))
        print("compose-cluster-check: salesctl rebuild as the salesctl user; funnel-tracker as "
              "its own Redis user owns and runs %d partitions on the cluster" % PARTITIONS)

    # ---------------------------------------------------------------- cleanup

    def close(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.replica_home:
            subprocess.run(AS_PG_USER + [self.pg_ctl(), "stop", "-D",
                            os.path.join(self.replica_home, "data"), "-m", "fast"],
                           cwd="/", capture_output=True)
            shutil.rmtree(self.replica_home, ignore_errors=True)
        run(["deploy/local/servers.sh", "purge", self.dir], check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    check = Check(sys.argv[1])
    try:
        check.start_postgres()
        check.secrets()
        check.start_redis()
        check.make_cluster()
        check.rebuild_as_salesctl()
        check.migrate()
        check.start_replica()
        check.run_funnel_tracker()
    except (Failure, subprocess.CalledProcessError) as failure:
        print("compose-cluster-check: FAILED: %s" % failure, file=sys.stderr)
        return 1
    finally:
        check.close()
    print("compose-cluster-check: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

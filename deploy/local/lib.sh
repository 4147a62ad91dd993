# shellcheck shell=bash
# deploy/local/lib.sh - start and stop real PostgreSQL, Redis and service
# processes in a run folder. Sourced (never run) by deploy/local/stack.sh
# (the developer's local stack) and deploy/local/servers.sh (the entry point
# the integration-test harness calls), so tests exercise the exact code
# developers use.
#
# Layout of a run folder DIR:
#   DIR/pids/NAME.pid      PID of each process started here
#   DIR/logs/NAME.log      its log (postgres.log links to the server log)
#   DIR/redis/             redis.conf and the Redis working folder
#   DIR/postgres.home      path of the PostgreSQL folder (see below)
#   PGHOME/data            the cluster (initdb), PGHOME/socket its Unix socket,
#   PGHOME/postgres.log    the server log
#
# PostgreSQL refuses to run as root. As root, initdb/pg_ctl run as the
# `postgres` system user Debian's package creates. That user must be able to
# reach its data folder; when DIR is not reachable (a clone under /root, a
# mkdtemp folder with mode 0700) PGHOME is a fresh mktemp folder under /tmp
# owned by postgres, recorded in DIR/postgres.home so stop and purge find it.
# The permissions of the user's folders are never loosened.
#
# Every stop verifies that a PID from a PID file still belongs to the
# program it was written for before signalling it, so a stale PID file after
# a crash or reboot never makes us signal an unrelated process.
#
# Functions return non-zero on failure after printing why to stderr; the
# callers run with `set -euo pipefail`.

SP_LOCAL_WAIT_SECONDS=${SP_LOCAL_WAIT_SECONDS:-60}  # longest wait for a server to start or stop
SP_LOCAL_SERVICE_WAIT_SECONDS=${SP_LOCAL_SERVICE_WAIT_SECONDS:-10} # longest wait for a service's /healthz
SP_LOCAL_POLL_SECONDS=0.1                            # interval between readiness polls
SP_LOCAL_PG_SUPERUSER=postgres                       # bootstrap superuser of the cluster
SP_LOCAL_PG_OWNER=postgres                           # system user running PostgreSQL when we are root
SP_LOCAL_SOCKET_DIR_MAX=84                           # longest socket folder: ".s.PGSQL.PORT" adds 18, sun_path holds 107
SP_LOCAL_COMM_MAX=15                                 # characters of a process name the kernel keeps
# Services the local stack starts when built, in the order of their HTTP ports.
# shellcheck disable=SC2034 # used by the scripts that source this file
SP_LOCAL_SERVICES=(activity-ingest funnel-tracker kpi-evaluator churn-alerting incentive-calculator)
# Secure mode (`scram`, the local stack's default; the test harness asks for
# it per test): PostgreSQL with scram-sha-256 and one login role per service,
# member of its group role (migrations/0012_roles.sql), Redis with one ACL
# user per service. Login role:group of each service, then salesctl's
# read-only role. Passwords are made on first use in DIR/secrets (mode 0700,
# files 0600) and never put on a command line.
# shellcheck disable=SC2034 # used by the scripts that source this file
SP_LOCAL_PG_LOGINS=(activity_ingest:salespulse_ingest funnel_tracker:salespulse_funnel
    kpi_evaluator:salespulse_kpi churn_alerting:salespulse_churn
    incentive_calculator:salespulse_incentive salesctl_reader:salespulse_readonly)
SP_LOCAL_PG_GROUPS=(salespulse_ingest salespulse_consumer salespulse_funnel salespulse_kpi
    salespulse_churn salespulse_incentive salespulse_readonly)
SP_LOCAL_REDIS_ADMIN="admin"                         # Redis user of the scripts and test set-up
SP_LOCAL_REDIS_REPLICATOR="replicator"               # Redis user replicas log in to masters as

sp_local_error() {
    echo "error: $*" >&2
    return 1
}

sp_local_is_root() {
    [ "$(id -u)" -eq 0 ]
}

# Prints the folder holding initdb, pg_ctl, postgres (SP_PG_BINDIR overrides).
sp_local_pg_bindir() {
    if [ -n "${SP_PG_BINDIR:-}" ]; then
        echo "$SP_PG_BINDIR"
        return 0
    fi
    local candidate best=""
    for candidate in /usr/lib/postgresql/*/bin; do
        [ -x "$candidate/initdb" ] && best=$candidate
    done
    if [ -z "$best" ] && command -v pg_config >/dev/null 2>&1; then
        best=$(pg_config --bindir)
    fi
    if [ -z "$best" ] || [ ! -x "$best/initdb" ]; then
        sp_local_error "could not find the PostgreSQL server binaries (initdb): set SP_PG_BINDIR"
        return 1
    fi
    echo "$best"
}

# Runs a command as the PostgreSQL owner (postgres when we are root), from a
# folder that user can enter.
sp_local_pg_run() {
    if sp_local_is_root; then
        (cd / && runuser -u "$SP_LOCAL_PG_OWNER" -- "$@")
    else
        "$@"
    fi
}

# Gives files to the PostgreSQL owner when we are root.
sp_local_pg_own() {
    if sp_local_is_root; then
        chown "$SP_LOCAL_PG_OWNER:" "$@"
    fi
}

# Prints the PID stored in a PID file if it is a positive integer.
sp_local_read_pid() {
    local file=$1 pid=""
    [ -f "$file" ] || return 1
    IFS= read -r pid <"$file" || [ -n "$pid" ] || return 1
    [[ "$pid" =~ ^[1-9][0-9]*$ ]] || return 1
    echo "$pid"
}

# True when PID is alive and runs program NAME (by its kernel name, cut to
# 15 characters) and, if given, its command line contains NEEDLE.
sp_local_pid_is() {
    local pid=$1 name=$2 needle=${3:-} comm=""
    sp_local_pid_alive "$pid" || return 1
    IFS= read -r comm <"/proc/$pid/comm" 2>/dev/null || return 1
    [ "$comm" = "${name:0:$SP_LOCAL_COMM_MAX}" ] || return 1
    if [ -n "$needle" ]; then
        local cmdline
        cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
        [[ "$cmdline" == *"$needle"* ]] || return 1
    fi
    return 0
}

# Polls a command until it succeeds or the timeout passes.
#   sp_local_wait_for SECONDS DESCRIPTION COMMAND...
sp_local_wait_for() {
    local seconds=$1 description=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            sp_local_error "timed out after ${seconds}s waiting for $description"
            return 1
        fi
        sleep "$SP_LOCAL_POLL_SECONDS"
    done
}

# True when PID exists and is not a zombie (an exited process whose parent
# has not collected it yet counts as gone).
sp_local_pid_alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

sp_local_pid_gone() {
    ! sp_local_pid_alive "$1"
}

# Signals a verified PID and waits until it is gone; escalates to SIGKILL
# after the timeout. Prints nothing on success.
#   sp_local_signal_and_wait PID SIGNAL LABEL
sp_local_signal_and_wait() {
    local pid=$1 signal=$2 label=$3
    kill "-$signal" "$pid" 2>/dev/null || return 0
    if ! sp_local_wait_for "$SP_LOCAL_WAIT_SECONDS" "$label (pid $pid) to exit" sp_local_pid_gone "$pid" 2>/dev/null; then
        echo "$label: did not stop within ${SP_LOCAL_WAIT_SECONDS}s, sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
        sp_local_wait_for "$SP_LOCAL_WAIT_SECONDS" "$label (pid $pid) to exit after SIGKILL" \
            sp_local_pid_gone "$pid"
    fi
}

# -------------------------------------------------------------- secrets

# Prints the path of secret NAME of DIR (DIR/secrets/NAME), making it on
# first use: 32 random hexadecimal characters, mode 0600.
sp_local_secret() {
    local dir=$1 name=$2 file="$1/secrets/$2"
    mkdir -p "$dir/secrets"
    chmod 700 "$dir/secrets"
    if [ ! -s "$file" ]; then
        (umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$file.new" \
            && mv "$file.new" "$file") || sp_local_error "could not write \"$file\"" || return 1
    fi
    echo "$file"
}

# Prints secret NAME of DIR (made on first use).
sp_local_secret_read() {
    local file
    file=$(sp_local_secret "$1" "$2") || return 1
    cat "$file"
}

# Prints the path of the libpq password file of PostgreSQL role ROLE
# (DIR/secrets/ROLE.pgpass, "*:*:*:ROLE:PASSWORD", mode 0600), writing it
# from the role's password on first use. Give it to a client as PGPASSFILE
# or the URL's passfile parameter.
sp_local_pg_passfile() {
    local dir=$1 role=$2 file="$1/secrets/$2.pgpass" password
    if [ ! -s "$file" ]; then
        password=$(sp_local_secret_read "$dir" "postgres-$role.password") || return 1
        (umask 077 && printf '*:*:*:%s:%s\n' "$role" "$password" >"$file") \
            || sp_local_error "could not write \"$file\"" || return 1
    fi
    echo "$file"
}

# ------------------------------------------------------------- PostgreSQL

# Prints PGHOME for DIR, choosing and recording it on first use.
sp_local_pg_home() {
    local dir=$1 record="$1/postgres.home" home
    if [ -f "$record" ]; then
        IFS= read -r home <"$record"
        [ -n "$home" ] || sp_local_error "empty \"$record\"" || return 1
        echo "$home"
        return 0
    fi
    home="$dir/postgres"
    if sp_local_is_root && ! runuser -u "$SP_LOCAL_PG_OWNER" -- test -x "$dir" 2>/dev/null; then
        # The postgres user cannot reach DIR: use a folder it can.
        home=$(mktemp -d /tmp/salespulse-pg.XXXXXXXX)
    else
        mkdir -p "$home"
    fi
    chmod 700 "$home"
    sp_local_pg_own "$home"
    echo "$home" >"$record"
    echo "$home"
}

# Prints the PID of the postmaster running on PGHOME/data, if any.
sp_local_pg_postmaster() {
    local data=$1 pid
    pid=$(sp_local_read_pid "$data/postmaster.pid") || return 1
    sp_local_pid_is "$pid" postgres "$data" || return 1
    echo "$pid"
}

# Prints the port the postmaster of PGHOME/data listens on (postmaster.pid line 4).
sp_local_pg_port_of() {
    sed -n 4p "$1/postmaster.pid" 2>/dev/null
}

sp_local_pg_create_cluster() {
    local home=$1 bindir=$2 data="$1/data"
    echo "postgres: initialising a cluster in $data"
    if ! sp_local_pg_run "$bindir/initdb" -D "$data" -U "$SP_LOCAL_PG_SUPERUSER" -E UTF8 \
        --locale=C --auth=trust --no-sync >"$home/initdb.log" 2>&1; then
        cat "$home/initdb.log" >&2
        sp_local_error "initdb failed (log: $home/initdb.log)"
        return 1
    fi
    echo "include_if_exists = 'salespulse.conf'" >>"$data/postgresql.conf"
    sp_local_pg_own "$data/postgresql.conf"
}

# Writes pg_hba.conf: METHOD (trust or scram-sha-256) over the Unix socket
# and IPv4 loopback only (the server listens on nothing else); replication
# connections (a streaming replica, sp_local_pg_replica_start) the same way.
sp_local_pg_write_hba() {
    local data=$1 method=$2
    cat >"$data/pg_hba.conf" <<EOF
# Written by deploy/local/lib.sh at each start: local development and tests only.
local   all           all                  $method
host    all           all   127.0.0.1/32   $method
host    replication   all   127.0.0.1/32   $method
EOF
    sp_local_pg_own "$data/pg_hba.conf"
}

# Writes the settings that may change between starts (port, socket folder).
sp_local_pg_write_settings() {
    local home=$1 port=$2 data="$1/data" socket_dir="$1/socket" sockets
    mkdir -p "$socket_dir"
    sp_local_pg_own "$socket_dir"
    sockets=${socket_dir//\'/\'\'}
    if [ ${#socket_dir} -gt "$SP_LOCAL_SOCKET_DIR_MAX" ]; then
        sockets="" # path too long for a Unix socket: TCP on loopback only
    fi
    cat >"$data/salespulse.conf" <<EOF
# Written by deploy/local/lib.sh at each start.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockets'
synchronous_commit = on
EOF
    sp_local_pg_own "$data/salespulse.conf"
}

# psql as the superuser over loopback TCP; constant SQL only (passwords go
# on stdin). The superuser's password file is DIR's (empty: trust).
sp_local_pg_psql() {
    local bindir=$1 port=$2 passfile=$3
    shift 3
    PGPASSFILE=${passfile:-/dev/null} PGCONNECT_TIMEOUT=5 "$bindir/psql" -X -q -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "$port" -U "$SP_LOCAL_PG_SUPERUSER" -d postgres "$@"
}

sp_local_pg_ready() {
    "$1/pg_isready" -q -h 127.0.0.1 -p "$2" -d postgres -U "$SP_LOCAL_PG_SUPERUSER"
}

# Starts the postmaster of PGHOME/data (settings and pg_hba.conf written),
# logging to PGHOME/postgres.log (linked from DIR/logs), records its PID in
# DIR/pids/postgres.pid and waits until it accepts connections on PORT;
# prints the PID. NAME says which server in messages.
#   sp_local_pg_launch DIR PGHOME BINDIR PORT NAME
sp_local_pg_launch() {
    local dir=$1 home=$2 bindir=$3 port=$4 name=$5 data="$2/data" pid
    [ -f "$home/postgres.log" ] || { : >"$home/postgres.log" && sp_local_pg_own "$home/postgres.log"; }
    ln -sfn "$home/postgres.log" "$dir/logs/postgres.log"
    if ! sp_local_pg_run "$bindir/pg_ctl" start -D "$data" -l "$home/postgres.log" -s -w \
        -t "$SP_LOCAL_WAIT_SECONDS" >/dev/null; then
        tail -n 20 "$home/postgres.log" >&2 || true
        sp_local_error "$name did not start on port $port (log: $home/postgres.log)"
        return 1
    fi
    pid=$(sp_local_pg_postmaster "$data") \
        || sp_local_error "$name started but $data/postmaster.pid names no postgres process" \
        || return 1
    echo "$pid" >"$dir/pids/postgres.pid"
    sp_local_wait_for "$SP_LOCAL_WAIT_SECONDS" "$name to accept connections on 127.0.0.1:$port" \
        sp_local_pg_ready "$bindir" "$port" >&2 || return 1
    echo "$pid"
}

# Secure mode: sets the password of the superuser, of the owner salespulse
# and of every service's login role from DIR/secrets (made on first use),
# creates the group roles (NOLOGIN; migration 0012 grants them) and the
# login roles, members of their groups. Passwords reach psql on stdin only;
# the session never logs a statement, even a failed one.
sp_local_pg_secure_roles() {
    local dir=$1 bindir=$2 port=$3 passfile=$4 entry password sql logins
    password=$(sp_local_secret_read "$dir" "postgres-$SP_LOCAL_PG_SUPERUSER.password") || return 1
    sql="$SP_LOCAL_PG_QUIET_SQL
ALTER ROLE $SP_LOCAL_PG_SUPERUSER PASSWORD '$password';"
    password=$(sp_local_secret_read "$dir" postgres-salespulse.password) || return 1
    sql+="
ALTER ROLE salespulse LOGIN CREATEROLE PASSWORD '$password';"
    logins=$(sp_local_pg_logins_sql "$dir") || return 1
    sql+="
$logins"
    printf '%s\n' "$sql" | sp_local_pg_psql "$bindir" "$port" "$passfile" -f - || return 1
    for entry in salespulse "${SP_LOCAL_PG_LOGINS[@]}"; do
        sp_local_pg_passfile "$dir" "${entry%%:*}" >/dev/null || return 1
    done
}

# The first statements of a session that sets passwords (run as a
# superuser): no statement of it is ever logged, even a failed one.
SP_LOCAL_PG_QUIET_SQL="SET client_min_messages = warning;
SET log_min_error_statement = panic;
SET log_statement = 'none';"

# Prints the SQL making the group roles (NOLOGIN; migration 0012 grants
# them) and every service's login role (SP_LOCAL_PG_LOGINS) with its
# password from DIR/secrets (made on first use), member of its group.
# Shared by the local stack and docker-compose.yml's `secrets` one-shot
# (deploy/docker/secrets.sh); run it after SP_LOCAL_PG_QUIET_SQL.
#   sp_local_pg_logins_sql DIR
sp_local_pg_logins_sql() {
    local dir=$1 entry login group password sql=""
    for group in "${SP_LOCAL_PG_GROUPS[@]}"; do
        sql+="
SELECT format('CREATE ROLE %I NOLOGIN', '$group')
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '$group') \\gexec"
    done
    for entry in "${SP_LOCAL_PG_LOGINS[@]}"; do
        login=${entry%%:*}
        group=${entry#*:}
        password=$(sp_local_secret_read "$dir" "postgres-$login.password") || return 1
        sql+="
SELECT format('CREATE ROLE %I LOGIN', '$login')
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '$login') \\gexec
ALTER ROLE $login LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$password';
GRANT $group TO $login;"
    done
    printf '%s\n' "${sql#$'\n'}"
}

# Starts PostgreSQL for DIR on PORT (no-op if already running) and makes
# sure role salespulse (CREATEROLE: migration 0012 makes the group roles)
# and its database salespulse exist (the URL every service and test uses:
# postgresql://salespulse@127.0.0.1:PORT/salespulse). AUTH is trust (the
# default) or scram: scram-sha-256 for every connection, passwords and
# login roles from sp_local_pg_secure_roles. A cluster that ran with trust
# is switched over: started with trust, passwords set, then pg_hba.conf
# rewritten and reloaded (PGHOME/auth records the method in force).
#   sp_local_pg_start DIR PORT [trust|scram]
sp_local_pg_start() {
    local dir=$1 port=$2 auth=${3:-trust} bindir home data pid running_port passfile="" method
    bindir=$(sp_local_pg_bindir) || return 1
    mkdir -p "$dir/pids" "$dir/logs"
    home=$(sp_local_pg_home "$dir") || return 1
    data="$home/data"
    if pid=$(sp_local_pg_postmaster "$data"); then
        running_port=$(sp_local_pg_port_of "$data")
        echo "$pid" >"$dir/pids/postgres.pid"
        echo "postgres: already running (pid $pid, port $running_port)"
        [ "$running_port" = "$port" ] \
            || echo "postgres: note: running on port $running_port, not $port; run down first to change it" >&2
        # Roles and passwords as asked for now (a stack started with trust
        # before is switched to scram-sha-256 while it runs).
        [ "$auth" = trust ] || passfile=$(sp_local_pg_passfile "$dir" "$SP_LOCAL_PG_SUPERUSER") || return 1
        sp_local_pg_roles "$dir" "$bindir" "$running_port" "$auth" "$passfile" || return 1
        return 0
    fi
    # A crash leaves postmaster.pid behind; its PID may since belong to
    # another process, which would make PostgreSQL refuse to start.
    if [ -f "$data/postmaster.pid" ]; then
        echo "postgres: removing stale $data/postmaster.pid"
        rm -f "$data/postmaster.pid"
    fi
    rm -f "$dir/pids/postgres.pid"
    [ -f "$data/PG_VERSION" ] || sp_local_pg_create_cluster "$home" "$bindir" || return 1
    sp_local_pg_write_settings "$home" "$port"
    case "$auth" in
    trust) method=trust ;;
    scram)
        method=scram-sha-256
        # Until the superuser has a password: trust, for the switch below.
        [ "$(cat "$home/auth" 2>/dev/null)" = "$method" ] || method=trust
        ;;
    *) sp_local_error "unknown PostgreSQL authentication \"$auth\" (trust or scram)" || return 1 ;;
    esac
    sp_local_pg_write_hba "$data" "$method"
    echo "$method" >"$home/auth"
    pid=$(sp_local_pg_launch "$dir" "$home" "$bindir" "$port" postgres) || return 1
    [ "$auth" = trust ] || passfile=$(sp_local_pg_passfile "$dir" "$SP_LOCAL_PG_SUPERUSER") || return 1
    sp_local_pg_roles "$dir" "$bindir" "$port" "$auth" "$passfile" || return 1
    echo "postgres: running (pid $pid, port $port, data $data, $(cat "$home/auth" 2>/dev/null))"
}

# Starts a streaming replica of the PostgreSQL running on PRIMARY_PORT
# (trust authentication) in DIR on PORT: on first start a
# pg_basebackup of the primary (-c fast: an immediate checkpoint, not a
# spread one, which took 100 s here) with -R (standby.signal and primary_conninfo
# written for it), then the server in hot standby, read-only, following the
# primary's WAL. DIR then works with sp_local_pg_stop and _purge like any
# server folder.
#   sp_local_pg_replica_start DIR PORT PRIMARY_PORT
sp_local_pg_replica_start() {
    local dir=$1 port=$2 primary_port=$3 bindir home data pid
    bindir=$(sp_local_pg_bindir) || return 1
    mkdir -p "$dir/pids" "$dir/logs"
    home=$(sp_local_pg_home "$dir") || return 1
    data="$home/data"
    if pid=$(sp_local_pg_postmaster "$data"); then
        echo "$pid" >"$dir/pids/postgres.pid"
        echo "postgres replica: already running (pid $pid, port $(sp_local_pg_port_of "$data"))"
        return 0
    fi
    rm -f "$data/postmaster.pid" "$dir/pids/postgres.pid"
    if [ ! -f "$data/PG_VERSION" ]; then
        echo "postgres replica: base backup of 127.0.0.1:$primary_port into $data"
        if ! sp_local_pg_run "$bindir/pg_basebackup" -D "$data" -h 127.0.0.1 -p "$primary_port" \
            -U "$SP_LOCAL_PG_SUPERUSER" -X stream -R -c fast --no-sync >"$home/basebackup.log" 2>&1; then
            cat "$home/basebackup.log" >&2
            sp_local_error "pg_basebackup failed (log: $home/basebackup.log)"
            return 1
        fi
    fi
    sp_local_pg_write_settings "$home" "$port"
    pid=$(sp_local_pg_launch "$dir" "$home" "$bindir" "$port" "postgres replica") || return 1
    echo "postgres replica: running (pid $pid, port $port, following 127.0.0.1:$primary_port)"
}

# The roles and database of a started server; in scram mode the passwords,
# then scram-sha-256 in pg_hba.conf if trust was still in force.
sp_local_pg_roles() {
    local dir=$1 bindir=$2 port=$3 auth=$4 passfile=$5 home data
    home=$(sp_local_pg_home "$dir") || return 1
    data="$home/data"
    if [ "$(sp_local_pg_psql "$bindir" "$port" "$passfile" -tAc \
        "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'salespulse'")" != 1 ]; then
        sp_local_pg_psql "$bindir" "$port" "$passfile" -c "CREATE ROLE salespulse LOGIN CREATEROLE" \
            || return 1
    else
        sp_local_pg_psql "$bindir" "$port" "$passfile" -c "ALTER ROLE salespulse CREATEROLE" || return 1
    fi
    if [ "$(sp_local_pg_psql "$bindir" "$port" "$passfile" -tAc \
        "SELECT 1 FROM pg_catalog.pg_database WHERE datname = 'salespulse'")" != 1 ]; then
        sp_local_pg_psql "$bindir" "$port" "$passfile" -c "CREATE DATABASE salespulse OWNER salespulse" \
            || return 1
    fi
    [ "$auth" = scram ] || return 0
    sp_local_pg_secure_roles "$dir" "$bindir" "$port" "$passfile" || return 1
    if [ "$(cat "$home/auth" 2>/dev/null)" != scram-sha-256 ]; then
        sp_local_pg_write_hba "$data" scram-sha-256
        sp_local_pg_run "$bindir/pg_ctl" reload -D "$data" -s >/dev/null \
            || sp_local_error "could not reload $data after switching to scram-sha-256" || return 1
        echo scram-sha-256 >"$home/auth"
        echo "postgres: scram-sha-256 authentication in force (passwords in $dir/secrets)"
    fi
}

# Stops the postmaster named by DIR/pids/postgres.pid (fast shutdown:
# sessions are ended, nothing committed is lost) and clears stale files.
# With MODE immediate: `pg_ctl -m immediate`, which ends every process at
# once without a checkpoint, like a crash (the next start runs crash
# recovery from the WAL); used to test that acknowledged commits survive.
#   sp_local_pg_stop DIR [fast|immediate]
sp_local_pg_stop() {
    local dir=$1 mode=${2:-fast} home data pid bindir
    [ -f "$dir/postgres.home" ] || { rm -f "$dir/pids/postgres.pid"; return 0; }
    home=$(sp_local_pg_home "$dir") || return 1
    data="$home/data"
    if pid=$(sp_local_read_pid "$dir/pids/postgres.pid") && sp_local_pid_is "$pid" postgres "$data"; then
        if [ "$mode" = immediate ]; then
            bindir=$(sp_local_pg_bindir) || return 1
            sp_local_pg_run "$bindir/pg_ctl" stop -D "$data" -m immediate -s -w \
                -t "$SP_LOCAL_WAIT_SECONDS" >/dev/null \
                || sp_local_error "pg_ctl -m immediate failed for $data" || return 1
            sp_local_wait_for "$SP_LOCAL_WAIT_SECONDS" "postgres (pid $pid) to exit" \
                sp_local_pid_gone "$pid" || return 1
        else
            sp_local_signal_and_wait "$pid" INT postgres || return 1
        fi
        echo "postgres: stopped (pid $pid, $mode)"
    elif [ -f "$dir/pids/postgres.pid" ]; then
        echo "postgres: not running (removing stale pid file)"
    fi
    rm -f "$dir/pids/postgres.pid"
    if [ -f "$data/postmaster.pid" ] && ! sp_local_pg_postmaster "$data" >/dev/null; then
        rm -f "$data/postmaster.pid"
    fi
}

# Removes PGHOME when it lives outside DIR (the /tmp fallback) and the record.
sp_local_pg_purge() {
    local dir=$1 home
    [ -f "$dir/postgres.home" ] || return 0
    home=$(sp_local_pg_home "$dir") || return 1
    if sp_local_pg_postmaster "$home/data" >/dev/null; then
        sp_local_error "postgres still runs on $home/data: stop it first"
        return 1
    fi
    case "$home" in
    "$dir"/*) ;;
    /tmp/salespulse-pg.*) rm -rf -- "$home" ;;
    *) sp_local_error "refusing to remove unexpected postgres folder \"$home\"" || return 1 ;;
    esac
    rm -f "$dir/postgres.home"
}

# Prints "running PID PORT DATA" or "stopped".
sp_local_pg_state() {
    local dir=$1 home pid
    if [ -f "$dir/postgres.home" ] && home=$(sp_local_pg_home "$dir") \
        && pid=$(sp_local_read_pid "$dir/pids/postgres.pid") \
        && sp_local_pid_is "$pid" postgres "$home/data"; then
        echo "running $pid $(sp_local_pg_port_of "$home/data") $home/data"
    else
        echo "stopped"
    fi
}

# ------------------------------------------------------------------ Redis

# Prints text as a double-quoted Redis configuration string.
sp_local_redis_quote() {
    local text=${1//\\/\\\\}
    printf '"%s"' "${text//\"/\\\"}"
}

# Prints the process_id the Redis answering on PORT reports; as DIR's admin
# user when DIR's Redis runs with ACL users (the password in the
# environment, never on the command line).
#   sp_local_redis_server_pid PORT [DIR]
sp_local_redis_server_pid() {
    local port=$1 dir=${2:-}
    if [ -n "$dir" ] && grep -q '^aclfile ' "$dir/redis/redis.conf" 2>/dev/null; then
        REDISCLI_AUTH=$(cat "$dir/secrets/redis-$SP_LOCAL_REDIS_ADMIN.password") \
            redis-cli --no-auth-warning --user "$SP_LOCAL_REDIS_ADMIN" -h 127.0.0.1 -p "$port" \
            info server 2>/dev/null | sed -n 's/^process_id:\([0-9]*\).*/\1/p'
        return
    fi
    redis-cli -h 127.0.0.1 -p "$port" info server 2>/dev/null | sed -n 's/^process_id:\([0-9]*\).*/\1/p'
}

# Prints the ACL line of Redis user NAME with its password's SHA-256 (the
# file holds no password). The admin user may do anything; a service's
# user only touches its own keys (NAME:*) and the shared
# salespulse:services set, with every command but @dangerous ones (FLUSHALL,
# KEYS, CONFIG, ...), on no Pub/Sub channel; salesctl reads every key
# (%R~*: its one script runs as EVALSHA_RO) and writes only the services'
# rebuild requests (SERVICE:rebuild, `salesctl rebuild`), with no
# @dangerous command; the replication user runs only what a replica sends
# its master (PSYNC, REPLCONF, PING) and reads no key.
sp_local_redis_acl_line() {
    local dir=$1 name=$2 password digest service writes=""
    password=$(sp_local_secret_read "$dir" "redis-$name.password") || return 1
    digest=$(printf '%s' "$password" | sha256sum | cut -d' ' -f1)
    for service in "${SP_LOCAL_SERVICES[@]}"; do
        [ "$service" = activity-ingest ] || writes+=" ~$service:rebuild"
    done
    case "$name" in
    "$SP_LOCAL_REDIS_ADMIN") echo "user $name on #$digest ~* &* +@all" ;;
    "$SP_LOCAL_REDIS_REPLICATOR") echo "user $name on #$digest resetchannels +psync +replconf +ping" ;;
    salesctl) echo "user $name on #$digest resetchannels %R~*$writes +@all -@dangerous" ;;
    *) echo "user $name on #$digest resetchannels ~$name:* ~salespulse:services +@all -@dangerous" ;;
    esac
}

# Writes DIR/redis/users.acl (mode 0600): the default user off, the admin,
# every service and salesctl; with `replication`, also the user a replica
# logs in to its master as (sp_local_redis_replication_conf).
#   sp_local_redis_write_acl DIR [replication]
sp_local_redis_write_acl() {
    local dir=$1 file="$1/redis/users.acl" name lines names
    names=("$SP_LOCAL_REDIS_ADMIN" "${SP_LOCAL_SERVICES[@]}" salesctl)
    [ "${2:-}" != replication ] || names+=("$SP_LOCAL_REDIS_REPLICATOR")
    lines="user default off resetkeys resetchannels -@all"$'\n'
    for name in "${names[@]}"; do
        lines+="$(sp_local_redis_acl_line "$dir" "$name")"$'\n' || return 1
    done
    (umask 077 && printf '%s' "$lines" >"$file") || sp_local_error "could not write \"$file\"" || return 1
}

# Prints the lines a replica's configuration needs to log in to its master
# as the replication user (ACL line: +psync +replconf +ping only); the
# password from DIR/secrets. Redis Cluster replicas in docker-compose
# (deploy/docker/README.md) include it.
sp_local_redis_replication_conf() {
    local password
    password=$(sp_local_secret_read "$1" "redis-$SP_LOCAL_REDIS_REPLICATOR.password") || return 1
    printf 'masteruser %s\nmasterauth %s\n' "$SP_LOCAL_REDIS_REPLICATOR" "$password"
}

# Prints the Redis URL of user NAME of DIR on PORT (the password in it);
# plain redis://127.0.0.1:PORT/0 when DIR's Redis has no ACL users.
sp_local_redis_url() {
    local dir=$1 port=$2 name=$3
    if grep -q '^aclfile ' "$dir/redis/redis.conf" 2>/dev/null; then
        echo "redis://$name:$(sp_local_secret_read "$dir" "redis-$name.password")@127.0.0.1:$port/0"
    else
        echo "redis://127.0.0.1:$port/0"
    fi
}

# Prints the PID of the Redis started for DIR, if it runs.
sp_local_redis_pid() {
    local pid
    pid=$(sp_local_read_pid "$1/pids/redis.pid") || return 1
    sp_local_pid_is "$pid" redis-server || return 1
    echo "$pid"
}

# Starts Redis for DIR on PORT (no-op if already running). No persistence:
# Redis only holds derived state that services rebuild from the event log
# (DESIGN.md), so a restart exercises that path and leaves no dump files.
# Ready means: the server answering on PORT reports our PID (not another
# Redis that happened to hold the port). AUTH none (the default) leaves the
# default user open; acl writes the ACL users (sp_local_redis_write_acl).
#   sp_local_redis_start DIR PORT [none|acl]
sp_local_redis_start() {
    local dir=$1 port=$2 auth=${3:-none} pid conf="$1/redis/redis.conf" acl=""
    mkdir -p "$dir/pids" "$dir/logs" "$dir/redis"
    if pid=$(sp_local_redis_pid "$dir"); then
        echo "redis: already running (pid $pid, port $(sed -n 's/^port //p' "$conf"))"
        return 0
    fi
    rm -f "$dir/pids/redis.pid"
    case "$auth" in
    none) ;;
    acl)
        sp_local_redis_write_acl "$dir" || return 1
        acl="aclfile $(sp_local_redis_quote "$dir/redis/users.acl")"
        ;;
    *) sp_local_error "unknown Redis authentication \"$auth\" (none or acl)" || return 1 ;;
    esac
    cat >"$conf" <<EOF
# Written by deploy/local/lib.sh at each start.
bind 127.0.0.1
port $port
protected-mode yes
daemonize no
logfile $(sp_local_redis_quote "$dir/logs/redis.log")
dir $(sp_local_redis_quote "$dir/redis")
save ""
appendonly no
# Sorted sets of more than 16 members as skip lists, not listpacks: the
# funnel distributions take a member per entity, and a listpack insert is
# a scan. 16 % less Redis CPU per rebuilt event for 20 % more memory
# (docs/operations.md, "Redis settings").
zset-max-listpack-entries 16
# Hashes of more than 64 fields as hash tables, not listpacks: kpi-evaluator
# counts every scope's measures of a partition and day or month in one
# hash, and HINCRBY on a listpack is a scan. 44 % less Redis CPU per
# rebuilt event for 84 % more memory (docs/operations.md, "Redis settings").
hash-max-listpack-entries 64
$acl
EOF
    # Not a process group leader, so setsid execs redis-server in place: $! is its PID.
    setsid redis-server "$conf" >>"$dir/logs/redis.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/pids/redis.pid"
    local deadline=$((SECONDS + SP_LOCAL_WAIT_SECONDS))
    until [ "$(sp_local_redis_server_pid "$port" "$dir")" = "$pid" ]; do
        if sp_local_pid_gone "$pid"; then
            rm -f "$dir/pids/redis.pid"
            tail -n 20 "$dir/logs/redis.log" >&2 || true
            sp_local_error "redis-server exited at start (log: $dir/logs/redis.log)"
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            sp_local_redis_stop "$dir" >/dev/null
            sp_local_error "timed out after ${SP_LOCAL_WAIT_SECONDS}s waiting for redis on 127.0.0.1:$port"
            return 1
        fi
        sleep "$SP_LOCAL_POLL_SECONDS"
    done
    echo "redis: running (pid $pid, port $port)"
}

sp_local_redis_stop() {
    local dir=$1 pid
    if pid=$(sp_local_redis_pid "$dir"); then
        sp_local_signal_and_wait "$pid" TERM redis || return 1
        echo "redis: stopped (pid $pid)"
    elif [ -f "$dir/pids/redis.pid" ]; then
        echo "redis: not running (removing stale pid file)"
    fi
    rm -f "$dir/pids/redis.pid"
}

# Prints "running PID PORT" or "stopped".
sp_local_redis_state() {
    local dir=$1 pid
    if pid=$(sp_local_redis_pid "$dir"); then
        echo "running $pid $(sed -n 's/^port //p' "$dir/redis/redis.conf")"
    else
        echo "stopped"
    fi
}

# --------------------------------------------------------------- services

# Fetches http://ADDRESS/PATH with curl, or bash's /dev/tcp without it.
# Prints the body; fails unless the answer is 200.
sp_local_http_get() {
    local address=$1 path=$2
    if command -v curl >/dev/null 2>&1; then
        curl -fsS --max-time 2 "http://$address$path" 2>/dev/null
        return
    fi
    (
        exec 3<>"/dev/tcp/${address%:*}/${address##*:}" || exit 1
        printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$address" >&3
        IFS= read -r -t 2 status <&3 || exit 1
        [[ "$status" == HTTP/1.?" 200"* ]] || exit 1
        while IFS= read -r -t 2 line <&3 && [ "${line%$'\r'}" != "" ]; do :; done
        cat <&3
    )
}

# Prints the PID of service NAME started for DIR, if it runs.
sp_local_service_pid() {
    local dir=$1 name=$2 pid
    pid=$(sp_local_read_pid "$dir/pids/$name.pid") || return 1
    sp_local_pid_is "$pid" "$name" || return 1
    echo "$pid"
}

sp_local_service_healthy() {
    sp_local_http_get "$1" /healthz >/dev/null
}

# Starts one service binary in the background with its own session, log and
# PID file, then waits for its /healthz (a warning, not a failure, if it
# does not answer in time; a failure if the process exits).
# PASSFILE, when given, is its libpq password file (PGPASSFILE).
#   sp_local_service_start DIR NAME BINARY HTTP_ADDRESS POSTGRES_URL REDIS_URL [PASSFILE]
sp_local_service_start() {
    local dir=$1 name=$2 binary=$3 http=$4 postgres_url=$5 redis_url=$6 passfile=${7:-} pid
    mkdir -p "$dir/pids" "$dir/logs"
    if pid=$(sp_local_service_pid "$dir" "$name"); then
        echo "$name: already running (pid $pid, http $(cat "$dir/pids/$name.http" 2>/dev/null))"
        return 0
    fi
    rm -f "$dir/pids/$name.pid"
    # Not a process group leader, so setsid execs the binary in place: $! is its PID.
    if [ -n "$passfile" ]; then
        PGPASSFILE=$passfile SP_POSTGRES_URL=$postgres_url SP_REDIS_URL=$redis_url SP_HTTP=$http \
            setsid "$binary" >>"$dir/logs/$name.log" 2>&1 </dev/null &
    else
        SP_POSTGRES_URL=$postgres_url SP_REDIS_URL=$redis_url SP_HTTP=$http \
            setsid "$binary" >>"$dir/logs/$name.log" 2>&1 </dev/null &
    fi
    pid=$!
    echo "$pid" >"$dir/pids/$name.pid"
    echo "$http" >"$dir/pids/$name.http"
    local deadline=$((SECONDS + SP_LOCAL_SERVICE_WAIT_SECONDS))
    until sp_local_service_healthy "$http"; do
        if sp_local_pid_gone "$pid"; then
            rm -f "$dir/pids/$name.pid"
            tail -n 20 "$dir/logs/$name.log" >&2 || true
            sp_local_error "$name exited at start (log: $dir/logs/$name.log)"
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "$name: warning: /healthz on $http did not answer within ${SP_LOCAL_SERVICE_WAIT_SECONDS}s" >&2
            break
        fi
        sleep "$SP_LOCAL_POLL_SECONDS"
    done
    echo "$name: running (pid $pid, http $http, log $dir/logs/$name.log)"
}

sp_local_service_stop() {
    local dir=$1 name=$2 pid
    if pid=$(sp_local_service_pid "$dir" "$name"); then
        sp_local_signal_and_wait "$pid" TERM "$name" || return 1
        echo "$name: stopped (pid $pid)"
    elif [ -f "$dir/pids/$name.pid" ]; then
        echo "$name: not running (removing stale pid file)"
    fi
    rm -f "$dir/pids/$name.pid" "$dir/pids/$name.http"
}

# Prints "running PID HTTP_ADDRESS" or "stopped".
sp_local_service_state() {
    local dir=$1 name=$2 pid
    if pid=$(sp_local_service_pid "$dir" "$name"); then
        echo "running $pid $(cat "$dir/pids/$name.http" 2>/dev/null)"
    else
        echo "stopped"
    fi
}

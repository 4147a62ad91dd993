#!/usr/bin/env bash
# Installs the Debian packages Salespulse needs to build, test and run
# locally. Skips what is installed; runs `apt-get update` once, only when
# something is missing; uses sudo when not root. Safe to run any number of
# times (it is the first step of `make test` and `make run`).
set -euo pipefail

packages=(
    build-essential pkg-config git
    protobuf-c-compiler libprotobuf-c-dev
    libczmq-dev libzmq3-dev libsodium-dev
    libhiredis-dev libpq-dev libjansson-dev libmicrohttpd-dev
    libcurl4-openssl-dev
    libcmocka-dev
    postgresql redis-server tzdata
    prometheus-alertmanager
    docker-compose
    python3 python3-yaml
    cppcheck clang-format
    procps iproute2
)

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    [ "$status" = "installed" ] || missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#packages[@]} packages installed"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"

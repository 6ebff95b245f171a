#!/usr/bin/env bash
# Executes notebooks/quick-train.ipynb in place (outputs included), as CI does. Needs the Debian packages
# jupyter-nbconvert python3-nbformat python3-nbclient python3-ipykernel (their /usr/bin/python3), a JDK 17 and Maven.
set -euo pipefail
cd "$(dirname "$0")"
PYDEVD_DISABLE_FILE_VALIDATION=1 exec /usr/bin/python3 -m nbconvert --to notebook --execute --inplace \
  --ExecutePreprocessor.timeout=1200 --ExecutePreprocessor.kernel_name=python3 quick-train.ipynb

#!/usr/bin/env bash
# Installs what `make fuzz` needs on top of install-deps.sh: clang 14 and its runtime
# libraries (libFuzzer, ASan, UBSan), from Debian bookworm. Safe to run again.
set -euo pipefail
exec "$(dirname "$0")/install-deps.sh" clang-14 libclang-rt-14-dev

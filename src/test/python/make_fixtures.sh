#!/usr/bin/env bash
# Regenerates the committed U-Net parity fixtures from the PyTorch twin (torch 1.13, CPU).
# Run from the repository root: src/test/python/make_fixtures.sh [path/to/torch_unet.py]
set -euo pipefail
twin="${1:-${TORCH_UNET:-../shared/reference/torch_unet.py}}"
out=src/test/resources/fixtures
/usr/bin/python3 "$twin" --dump "$out/unet-mc8-c10" --model-channels 8 --num-classes 10
/usr/bin/python3 "$twin" --dump "$out/unet-mc8-c0" --model-channels 8 --num-classes 0

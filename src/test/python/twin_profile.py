"""Per-op profile of the PyTorch twin of unet-small, to set beside `./probe.sh unet` (the Java engine's).

    /usr/bin/python3 src/test/python/twin_profile.py --twin ../shared/reference/torch_unet.py \
        [--batch 64] [--steps 6] [--warmup 3] [--inference]

Runs the twin as its benchmark does (one thread, the tuned runtime of torch_unet.py, an MSE training step with Adam,
or with --inference a no-grad forward pass), then --steps more under torch.profiler, and prints the self CPU time
per step of each op and input shapes, largest first, then the totals per op. The convolution rows read
[input, weight, bias] for the forward (a stride-2 convolution shares its row with the stride-1 ones of the same
input and weight shapes) and [output gradient, input, weight] for the backward; GroupNorm and SiLU are separate ops
here, where the Java engine fuses them into the next convolution ("gn+conv3x3" in its profile).
"""
import argparse
import collections
import importlib.util

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--twin', required=True, help='path of torch_unet.py')
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--steps', type=int, default=6)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--inference', action='store_true', help='profile a no-grad forward pass instead of a step')
    ap.add_argument('--min-ms', type=float, default=0.5, help='leave out rows under this many ms per step')
    args = ap.parse_args()
    if args.batch < 1 or args.steps < 1 or args.warmup < 0:
        ap.error(f'--batch and --steps must be >= 1 and --warmup >= 0, got {args.batch}, {args.steps}, '
                 f'{args.warmup}')

    spec = importlib.util.spec_from_file_location('torch_unet', args.twin)
    twin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(twin)
    twin.tune_cpu_runtime()
    torch.set_num_threads(1)
    torch.manual_seed(0)

    model = twin.UNet(1)
    x = torch.randn(args.batch, 1, 28, 28)
    c = torch.randn(args.batch)
    if args.inference:
        model.eval()

        def step():
            with torch.no_grad():
                model(x, c)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)
        target = torch.randn_like(x)

        def step():
            opt.zero_grad(set_to_none=True)
            F.mse_loss(model(x, c), target).backward()
            opt.step()

    for _ in range(args.warmup):
        step()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(args.steps):
            step()

    mode = 'inference forward' if args.inference else 'training step'
    print(f'twin {mode}, batch {args.batch}, {args.steps} profiled steps, self CPU ms per step')
    rows = []
    per_op = collections.Counter()
    for e in prof.key_averages(group_by_input_shape=True):
        ms = e.self_cpu_time_total / args.steps / 1000
        per_op[e.key] += ms
        if ms >= args.min_ms:
            shapes = [s for s in e.input_shapes if s]
            rows.append((ms, e.key, e.count // args.steps, shapes))
    for ms, key, calls, shapes in sorted(rows, reverse=True):
        print(f'{key:34s} {ms:8.2f} ms  {calls:3d} calls  {shapes}')
    print('per op:')
    for key, ms in per_op.most_common():
        if ms >= args.min_ms:
            print(f'{key:34s} {ms:8.2f} ms')
    print(f'total {sum(per_op.values()):.1f} ms per step (self CPU, all ops)')


if __name__ == '__main__':
    main()

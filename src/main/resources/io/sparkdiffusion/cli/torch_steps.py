"""The PyTorch twin of unet-small, stepped on command, so that a benchmark can alternate it with another engine.

The network and the two timed operations are the twin's own benchmark's (torch_unet.py, imported from --twin, not
copied): a training step (forward, MSE against a fixed target, backward, Adam at 1e-4) at --batch, and a
forward pass under no_grad in eval mode at --sample-batch, one thread, the twin's tuned CPU runtime. On a shared
machine whose speed drifts over minutes, timing the two engines minutes apart compares two different machines;
one step of each in turn compares them under the same conditions.

Protocol (stdin/stdout, one line each): after building the model and running --warmup untimed steps of each
operation it prints {"metric": "params", ...} and then {"ready": true}; then for every command line
"train" or "forward" it runs that operation once and answers {"op": ..., "seconds": wall seconds}; "quit" (or the
end of stdin) ends it. Run by io.sparkdiffusion.cli.EngineBenchmark; by hand:
    printf 'train\\nforward\\nquit\\n' | python3 torch_steps.py --twin /path/to/torch_unet.py
"""
import argparse
import importlib.util
import json
import sys
import time

import torch
import torch.nn.functional as F


def load_twin(path):
    spec = importlib.util.spec_from_file_location('torch_unet', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--twin', required=True, help="path of the twin's torch_unet.py")
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--sample-batch', type=int, default=256)
    ap.add_argument('--num-classes', type=int, default=0)
    ap.add_argument('--warmup', type=int, default=2)
    args = ap.parse_args()

    twin = load_twin(args.twin)
    twin.tune_cpu_runtime()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    nc = args.num_classes
    model = twin.UNet(1, num_classes=nc)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def batch(n):
        x = torch.randn(n, 1, 28, 28)
        c = torch.randn(n)
        y = F.one_hot(torch.randint(0, nc, (n,)), nc).float() if nc > 0 else None
        return x, c, y

    x, c, y = batch(args.batch)
    target = torch.randn_like(x)
    xs, cs, ys = batch(args.sample_batch)

    def train():
        model.train()
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(x, c, y), target)
        loss.backward()
        opt.step()

    def forward():
        model.eval()
        with torch.no_grad():
            model(xs, cs, ys)

    ops = {'train': train, 'forward': forward}
    for _ in range(args.warmup):
        train()
        forward()
    print(json.dumps({'metric': 'params', 'preset': 'unet-small', 'img': [1, 28, 28], 'num_classes': nc,
                      'params': twin.count_params(model)}), flush=True)
    print(json.dumps({'ready': True}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == 'quit':
            break
        if command not in ops:
            print(json.dumps({'error': 'unknown command %r; expected train, forward or quit' % command}), flush=True)
            sys.exit(2)
        t0 = time.perf_counter()
        ops[command]()
        print(json.dumps({'op': command, 'seconds': time.perf_counter() - t0}), flush=True)


if __name__ == '__main__':
    main()

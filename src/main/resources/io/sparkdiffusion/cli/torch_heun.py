"""EDM Heun sampling (Karras et al. 2022, Algorithm 1) with the PyTorch twin of unet-small, timed on one thread.

The network is torch_unet.py's UNet (imported from --twin, not copied), wrapped in EDM's preconditioning
(sigma_data 0.5): D(x; sigma) = c_skip x + c_out F(c_in x; c_noise), c_noise = ln(sigma) / 4. The sampler state
is float64 and the network runs in float32, as in NVlabs/edm's generate.py. The time steps are EDM's grid
t_i = (sigma_max^(1/rho) + i / (N - 1) (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho, t_N = 0, with N, sigma_min,
sigma_max and rho given by the caller (the Java benchmark passes its own sampler's settings).

Prints one JSON line: {"metric": "heun_sampler", "batch", "num_steps", "network_evaluations" (counted),
"median_batch_s", "images_per_s", ...}. Usable alone:
    python3 torch_heun.py --twin /path/to/torch_unet.py --batch 16 --num-steps 18
With --serve it samples on command instead, as torch_steps.py does, so that io.sparkdiffusion.cli.EngineBenchmark
can alternate its batches with the Java sampler's: after --warmup untimed batches it prints {"ready": true}, then
answers each line "heun" with {"op": "heun", "seconds": wall seconds of one batch, "network_evaluations": counted};
"quit" or the end of stdin ends it.
"""
import argparse
import importlib.util
import json
import math
import sys
import time

import torch


def load_twin(path):
    spec = importlib.util.spec_from_file_location('torch_unet', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def time_steps(num_steps, sigma_min, sigma_max, rho):
    i = torch.arange(num_steps, dtype=torch.float64)
    t = (sigma_max ** (1 / rho) + i / (num_steps - 1) * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    return torch.cat([t, torch.zeros(1, dtype=torch.float64)])


class Denoiser:
    """EDM's preconditioned denoiser around the raw network; counts network evaluations."""

    def __init__(self, net, sigma_data, labels):
        self.net = net
        self.sigma_data = sigma_data
        self.labels = labels
        self.evaluations = 0

    def __call__(self, x, sigma):
        self.evaluations += 1
        sd = self.sigma_data
        c_skip = sd ** 2 / (sigma ** 2 + sd ** 2)
        c_out = sigma * sd / math.sqrt(sigma ** 2 + sd ** 2)
        c_in = 1 / math.sqrt(sigma ** 2 + sd ** 2)
        c_noise = torch.full((x.shape[0],), math.log(sigma) / 4, dtype=torch.float32)
        f = self.net((c_in * x).to(torch.float32), c_noise, self.labels)
        return c_skip * x + c_out * f.to(torch.float64)


def heun(denoiser, latents, t):
    x = latents.to(torch.float64) * t[0]
    for i in range(len(t) - 1):
        t_cur, t_next = float(t[i]), float(t[i + 1])
        # Euler step.
        d_cur = (x - denoiser(x, t_cur)) / t_cur
        x_next = x + (t_next - t_cur) * d_cur
        # Apply 2nd order correction.
        if i < len(t) - 2:
            d_prime = (x_next - denoiser(x_next, t_next)) / t_next
            x_next = x + (t_next - t_cur) * (0.5 * d_cur + 0.5 * d_prime)
        x = x_next
    return x


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--twin', required=True, help='path of torch_unet.py')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--num-steps', type=int, default=18)
    ap.add_argument('--sigma-min', type=float, default=0.002)
    ap.add_argument('--sigma-max', type=float, default=80.0)
    ap.add_argument('--rho', type=float, default=7.0)
    ap.add_argument('--sigma-data', type=float, default=0.5)
    ap.add_argument('--num-classes', type=int, default=0)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--serve', action='store_true', help='sample one batch per "heun" line on stdin (see above)')
    args = ap.parse_args()

    twin = load_twin(args.twin)
    twin.tune_cpu_runtime()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = twin.UNet(1, num_classes=args.num_classes).eval()
    labels = None
    if args.num_classes > 0:
        labels = torch.nn.functional.one_hot(torch.arange(args.batch) % args.num_classes, args.num_classes).float()
    t = time_steps(args.num_steps, args.sigma_min, args.sigma_max, args.rho)
    latents = torch.randn(args.batch, 1, 28, 28)
    counts = []

    def run():
        d = Denoiser(net, args.sigma_data, labels)
        with torch.no_grad():
            heun(d, latents, t)
        counts.append(d.evaluations)

    if args.serve:
        for _ in range(args.warmup):
            run()
        print(json.dumps({'ready': True}), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == 'quit':
                break
            if command != 'heun':
                print(json.dumps({'error': 'unknown command %r; expected heun or quit' % command}), flush=True)
                sys.exit(2)
            t0 = time.perf_counter()
            run()
            print(json.dumps({'op': 'heun', 'seconds': time.perf_counter() - t0,
                              'network_evaluations': counts[-1]}), flush=True)
        return

    median = twin.median_time(run, args.warmup, args.repeats)
    print(json.dumps({'metric': 'heun_sampler', 'threads': args.threads, 'batch': args.batch,
                      'num_classes': args.num_classes, 'num_steps': args.num_steps,
                      'network_evaluations': counts[-1], 'median_batch_s': round(median, 5),
                      'images_per_s': round(args.batch / median, 3)}))


if __name__ == '__main__':
    main()

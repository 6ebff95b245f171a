"""Regenerates edm_reference.csv: NVlabs/edm's own samplers (generate.py: edm_sampler, ablation_sampler) run on the
exact denoiser of a small Gaussian mixture, from fixed noise, in float64.

Usage: python3 edm_reference.py /path/to/NVlabs/edm/generate.py > edm_reference.csv

Only the two sampler functions are taken from generate.py (by parsing it), so its other imports are not needed.
Mixture: weights (0.6, 0.4), means (1.5, 0) and (-1, 1), isotropic variances 0.1 and 0.2, in 2-D.
(Not compared: schedule 'vp' on another discretization, where ablation_sampler refits beta_d and beta_min to the
sigma range, e.g. beta_min = -0.0048 for 0.002..80, rather than using the trained VP schedule.)
Output rows: config name, sample index, x0, x1; first the noise itself under the name "noise".
"""
import ast
import sys

import numpy as np
import torch

source = open(sys.argv[1]).read()
tree = ast.parse(source)
funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in ('edm_sampler', 'ablation_sampler')]
namespace = {'torch': torch, 'np': np}
exec(compile(ast.Module(body=funcs, type_ignores=[]), 'generate.py', 'exec'), namespace)
edm_sampler = namespace['edm_sampler']
ablation_sampler = namespace['ablation_sampler']

WEIGHTS = torch.tensor([0.6, 0.4], dtype=torch.float64)
MEANS = torch.tensor([[1.5, 0.0], [-1.0, 1.0]], dtype=torch.float64)
VARS = torch.tensor([0.1, 0.2], dtype=torch.float64)


class Net:
    sigma_min = 0.0
    sigma_max = float('inf')

    def round_sigma(self, sigma):
        return torch.as_tensor(sigma)

    def __call__(self, x, sigma, class_labels=None):
        x = x.to(torch.float64)
        s2 = torch.as_tensor(sigma, dtype=torch.float64) ** 2
        var = VARS + s2                                              # [K]
        d = x[:, None, :] - MEANS[None, :, :]                        # [N, K, 2]
        logw = torch.log(WEIGHTS) - torch.log(var) - 0.5 * (d ** 2).sum(-1) / var   # 2-D: det = var^2
        w = torch.softmax(logw, dim=1)                               # [N, K]
        post = MEANS[None] + (VARS / var)[None, :, None] * d         # [N, K, 2]
        return (w[:, :, None] * post).sum(1)


net = Net()
rng = np.random.RandomState(123)
noise = torch.tensor(rng.randn(8, 2), dtype=torch.float64)
configs = {
    'edm-heun-18': lambda: edm_sampler(net, noise, num_steps=18),
    'vp-heun-vp-24': lambda: ablation_sampler(net, noise, num_steps=24, solver='heun', discretization='vp',
                                              schedule='vp', scaling='vp'),
    've-euler-ve-64': lambda: ablation_sampler(net, noise, num_steps=64, solver='euler', discretization='ve',
                                               schedule='ve', scaling='none'),
    'vp-euler-vp-32': lambda: ablation_sampler(net, noise, num_steps=32, solver='euler', discretization='vp',
                                               schedule='vp', scaling='vp'),
    'edm-heun-iddpm-20': lambda: ablation_sampler(net, noise, num_steps=20, solver='heun', discretization='iddpm',
                                                  schedule='linear', scaling='none'),
    've-heun-edm-20': lambda: ablation_sampler(net, noise, num_steps=20, solver='heun', discretization='edm',
                                               schedule='ve', scaling='none'),
}
print('config,sample,x0,x1')
for i in range(noise.shape[0]):
    print('noise,%d,%r,%r' % (i, float(noise[i, 0]), float(noise[i, 1])))
for name, run in configs.items():
    out = run()
    for i in range(out.shape[0]):
        print('%s,%d,%r,%r' % (name, i, float(out[i, 0]), float(out[i, 1])))

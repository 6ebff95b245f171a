"""Reference values for AdamTest: torch.optim.Adam and clip_grad_norm_ on a tiny vector.

Run: /usr/bin/python3 src/test/python/adam_reference.py   (output pasted into AdamTest / GradClippingTest)
"""
import torch

torch.set_printoptions(precision=10)


def run(weight_decay):
    w = torch.tensor([0.5, -1.0, 2.0, 0.0], requires_grad=True)
    opt = torch.optim.Adam([w], lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=weight_decay)
    grads = [[0.1, -0.2, 0.3, 0.0], [-0.5, 0.4, 1.0, 2.0], [0.05, 0.05, -3.0, 1e-4]]
    for g in grads:
        w.grad = torch.tensor(g)
        opt.step()
        print('wd=%g step %d w=%s' % (weight_decay, opt.state[w]['step'], [float('%.9g' % x) for x in w.detach()]))
    st = opt.state[w]
    print('  m=%s' % [float('%.9g' % x) for x in st['exp_avg']])
    print('  v=%s' % [float('%.9g' % x) for x in st['exp_avg_sq']])


run(0.0)
run(0.1)

p = torch.zeros(4, requires_grad=True)
p.grad = torch.tensor([3.0, -4.0, 0.0, 12.0])
total = torch.nn.utils.clip_grad_norm_([p], max_norm=6.5)
print('clip total=%r grad=%s' % (float(total), [float('%.9g' % x) for x in p.grad]))

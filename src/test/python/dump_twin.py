"""Parity fixture for any input geometry, from the PyTorch twin's own UNet class.

torch_unet.py --dump only writes 1x28x28 networks; this writes the same format (manifest.json + tensors.bin,
see torch_unet.py's docstring) for C x R x R inputs with attention at a chosen resolution, e.g. the CIFAR
geometry used by UNetParityTest:

    /usr/bin/python3 src/test/python/dump_twin.py --twin ../shared/reference/torch_unet.py --dump DIR \
        --img-channels 3 --img-resolution 32 --attn-resolution 8 --model-channels 8 --num-classes 10
"""
import argparse
import importlib.util
import json
import os

import torch
import torch.nn.functional as F


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--twin', required=True)
    ap.add_argument('--dump', required=True)
    ap.add_argument('--img-channels', type=int, default=3)
    ap.add_argument('--img-resolution', type=int, default=32)
    ap.add_argument('--attn-resolution', type=int, default=8)
    ap.add_argument('--model-channels', type=int, default=8)
    ap.add_argument('--num-classes', type=int, default=10)
    ap.add_argument('--batch', type=int, default=3)
    ap.add_argument('--seed', type=int, default=0)
    args = ap.parse_args()

    spec = importlib.util.spec_from_file_location('torch_unet', args.twin)
    twin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(twin)

    torch.manual_seed(args.seed)
    c, r, nc, b = args.img_channels, args.img_resolution, args.num_classes, args.batch
    model = twin.UNet(c, model_channels=args.model_channels, attn_resolutions=(args.attn_resolution,),
                      num_classes=nc, img_resolution=r)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.05)
    x = torch.randn(b, c, r, r, requires_grad=True)
    c_noise = torch.randn(b)
    onehot = None
    if nc > 0:
        onehot = F.one_hot(torch.arange(b) % nc, nc).float()
        onehot[-1] = 0.0  # the last image has no label (classifier-free guidance's "unconditional")
    target = torch.randn(b, c, r, r)
    y = model(x, c_noise, onehot)
    loss = F.mse_loss(y, target)
    loss.backward()

    tensors = [(name, p.detach()) for name, p in model.named_parameters()]
    tensors += [('input/x', x.detach()), ('input/c_noise', c_noise)]
    if onehot is not None:
        tensors.append(('input/class_onehot', onehot))
    tensors += [('input/target', target), ('output/y', y.detach()),
                ('output/loss', loss.detach().reshape(1)), ('grad/input/x', x.grad)]
    tensors += [('grad/' + name, p.grad) for name, p in model.named_parameters()]

    os.makedirs(args.dump, exist_ok=True)
    entries, offset = [], 0
    with open(os.path.join(args.dump, 'tensors.bin'), 'wb') as f:
        for name, t in tensors:
            data = t.detach().contiguous().float().numpy().astype('<f4')
            f.write(data.tobytes())
            entries.append({'name': name, 'shape': list(t.shape), 'offset': offset, 'count': data.size})
            offset += data.size
    manifest = {'model_channels': args.model_channels, 'img': [c, r, r], 'attn_resolutions': [args.attn_resolution],
                'num_classes': nc, 'batch': b, 'seed': args.seed, 'torch': torch.__version__,
                'params': sum(p.numel() for p in model.parameters()), 'tensors': entries}
    with open(os.path.join(args.dump, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    print(json.dumps({'dumped': args.dump, 'tensors': len(entries), 'floats': offset, 'loss': float(loss)}))


if __name__ == '__main__':
    main()

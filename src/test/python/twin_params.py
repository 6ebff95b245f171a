"""Names and shapes of the PyTorch twin's parameters for any U-Net shape, as JSON (no weights written).

Used by UNetPresetTest to check a preset's parameter layout and count against the twin built with the same
settings, e.g. unet-ddpm-cifar:

    /usr/bin/python3 src/test/python/twin_params.py --twin ../shared/reference/torch_unet.py \
        --img-channels 3 --img-resolution 32 --model-channels 128 --channel-mult 1 2 2 2 \
        --num-res-blocks 2 --attn-resolutions 16 --num-classes 0

prints {"params": N, "tensors": [[name, [shape...]], ...]} in named_parameters() order.
"""
import argparse
import importlib.util
import json


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--twin', required=True)
    ap.add_argument('--img-channels', type=int, default=3)
    ap.add_argument('--img-resolution', type=int, default=32)
    ap.add_argument('--model-channels', type=int, default=128)
    ap.add_argument('--channel-mult', type=int, nargs='+', default=[1, 2, 2, 2])
    ap.add_argument('--num-res-blocks', type=int, default=2)
    ap.add_argument('--attn-resolutions', type=int, nargs='+', default=[16])
    ap.add_argument('--num-classes', type=int, default=0)
    args = ap.parse_args()

    spec = importlib.util.spec_from_file_location('torch_unet', args.twin)
    twin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(twin)
    model = twin.UNet(args.img_channels, model_channels=args.model_channels, channel_mult=tuple(args.channel_mult),
                      num_res_blocks=args.num_res_blocks, attn_resolutions=tuple(args.attn_resolutions),
                      num_classes=args.num_classes, img_resolution=args.img_resolution)
    tensors = [[name, list(p.shape)] for name, p in model.named_parameters()]
    print(json.dumps({'params': sum(p.numel() for p in model.parameters()), 'tensors': tensors}))


if __name__ == '__main__':
    main()

"""Converts a checkpoint of the characteristic-generator reference code
(github.com/burning489/CharacteristicGenerator: `torch.save(dict(model=...,
ema=..., optim=..., step=...))` by its train.py) to a charlearn network file
(safetensors) that `charlearn import` reads.

    /usr/bin/python3 scripts/python/convert_pt.py --pt ckpt.pt --data mnist --out teacher.safetensors
    /usr/bin/python3 scripts/python/convert_pt.py --pt ckpt.pt --data cifar --key model --out teacher.safetensors
    # a non-default architecture: --set model_channels=64 --set channel_mult=1,2,2,2 ...
    # a teacher trained on other pixels than the reference's: --pixel-range=-1,1 (MNIST rescaled with batch*2-1)

The network config is the reference defaults.py `model_defaults` and
`data_defaults` for `--data` (mnist: 28x28x1, 32 channels, [1, 2, 2], 4
blocks, attention at 14; cifar: 32x32x3, 128 channels, [1, 2, 2, 2],
attention at 16), overridden by `--set`. `--key` picks the state dict (`ema`,
the default, is what the reference samples with; `model` the online
weights); a generator checkpoint (`traj_mode`, keys `*_s`) is detected.
The data units go into the metadata: `pixelRange`, the network's units of
pixels 0 and 1 (the reference train.py feeds MNIST as `ToTensor()` pixels
in [0, 1] and rescales CIFAR-10 to [-1, 1]; `--pixel-range lo,hi` for a
teacher trained otherwise), and `sigmaData`, the EDM preconditioning's
sigma_data (the reference's is 1; `--sigma-data`); `charlearn import` serves
the run's data in those units.
The file holds the state dict unchanged (F32), with the charlearn network
spec, the format and a CRC-32 in `__metadata__`. Only json, struct, zlib and
torch are used; the `safetensors` package is not needed.
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from charlearn_safetensors import save_file  # noqa: E402

# facts from the reference train.py: `batch*2.-1 if data_name != 'mnist' else batch` on ToTensor() pixels
PIXEL_RANGE = {"mnist": [0, 1], "cifar": [-1, 1]}

DEFAULTS = {
    # facts from the reference defaults.py (model_defaults, data_defaults)
    "mnist": dict(img_resolution=28, in_channels=1, model_channels=32, channel_mult=[1, 2, 2], channel_mult_emb=4, num_blocks=4, attn_resolutions=[14], dropout=0.1),
    "cifar": dict(img_resolution=32, in_channels=3, model_channels=128, channel_mult=[1, 2, 2, 2], channel_mult_emb=4, num_blocks=4, attn_resolutions=[16], dropout=0.1),
}


def parse_value(text):
    if "," in text:
        return [int(v) for v in text.split(",") if v]
    try:
        return int(text)
    except ValueError:
        return float(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pt", required=True, help="the reference checkpoint (.pt) or a bare state dict")
    ap.add_argument("--data", choices=sorted(DEFAULTS), default="mnist")
    ap.add_argument("--key", default="ema", help="which state dict of the checkpoint: ema (default) or model")
    ap.add_argument("--set", action="append", default=[], metavar="name=value", help="override a reference UNet argument, e.g. model_channels=64")
    ap.add_argument("--pixel-range", help="lo,hi: the network's units of pixels 0 and 1 (default: the reference's for --data: mnist 0,1, cifar -1,1)")
    ap.add_argument("--sigma-data", type=float, default=1.0, help="the EDM preconditioning's sigma_data the network was trained with (reference: 1)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    pixel_range = PIXEL_RANGE[args.data]
    if args.pixel_range is not None:
        pixel_range = [float(v) for v in args.pixel_range.split(",")]
        if len(pixel_range) != 2 or not pixel_range[0] < pixel_range[1]:
            sys.exit(f"--pixel-range {args.pixel_range}: expected lo,hi with lo < hi")
    if not args.sigma_data > 0:
        sys.exit(f"--sigma-data {args.sigma_data}: expected a number > 0")

    cfg = dict(DEFAULTS[args.data])
    for item in args.set:
        name, _, value = item.partition("=")
        if name not in cfg:
            sys.exit(f"--set {name}: unknown; known: {', '.join(sorted(cfg))}")
        cfg[name] = parse_value(value)
    ckpt = torch.load(args.pt, map_location="cpu")
    state = ckpt[args.key] if isinstance(ckpt, dict) and args.key in ckpt else ckpt
    if not all(isinstance(v, torch.Tensor) for v in state.values()):
        sys.exit(f"{args.pt}: no state dict under key {args.key!r} (keys: {', '.join(map(str, ckpt.keys()))})")
    two_time = any(k.startswith("map_layer0_s.") for k in state)
    spec = {
        "kind": "songunet",
        "sampleShape": [cfg["img_resolution"], cfg["img_resolution"], cfg["in_channels"]],
        "modelChannels": cfg["model_channels"],
        "channelMult": cfg["channel_mult"],
        "channelMultEmb": cfg["channel_mult_emb"],
        "numBlocks": cfg["num_blocks"],
        "attnResolutions": cfg["attn_resolutions"],
        "dropout": cfg["dropout"],
        "twoTime": two_time,
    }
    meta = {"format": "charlearn-network", "network": spec, "source": f"{os.path.basename(args.pt)}[{args.key}]", "interpolant": "follmer", "sigmaData": args.sigma_data, "pixelRange": pixel_range}
    if isinstance(ckpt, dict) and isinstance(ckpt.get("step"), int):
        meta["step"] = ckpt["step"]
    save_file({k: v.float() for k, v in state.items()}, args.out, charlearn_meta=meta)
    print(f"wrote {args.out}: {'two-time generator' if two_time else 'one-time teacher'}, {sum(v.numel() for v in state.values())} numbers in {len(state)} tensors, pixels 0..1 = {pixel_range[0]:g}..{pixel_range[1]:g}, sigma_data {args.sigma_data:g}")


if __name__ == "__main__":
    main()

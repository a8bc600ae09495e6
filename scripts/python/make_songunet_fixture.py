"""Writes the SongUNet interop fixture: a small randomly initialised
reference U-Net (one-time teacher and two-time generator, from the
reference code's network.py), its weights, inputs and PyTorch outputs, as
safetensors files (numbers only; no reference code is copied).

    /usr/bin/python3 scripts/python/make_songunet_fixture.py \
        --reference path/to/CharacteristicGenerator \
        --out packages/distill/fixtures/songunet

The reference repository is github.com/burning489/CharacteristicGenerator;
only its network.py is imported (from the given folder). Outputs, per
network (`teacher`, `generator`):

- `<name>.safetensors`: `state_dict()` (F32) with the config in metadata;
- `io.safetensors`: inputs x (NCHW), reference times t, s; the raw network
  outputs F (teacher), F2 (generator, second time s), the Follmer denoiser
  D(x, t) (teacher), and the generator's g(t, s, x) = cskip(t,s)·x +
  cout(t,s)·D(x, t, s) (reference `get_denoiser_and_traj`, sigma_data 1,
  c_noise = 999·t);
- `half.safetensors`: x stored as F16 and BF16 (charlearn reads both as float32);
- `mnist-teacher.safetensors`: a tiny random reference UNet of MNIST's
  shape (28x28x1), saved as the reference train.py saves a checkpoint
  (`mnist-teacher.pt`, dict(model, ema, optim, step), not kept) and
  converted by `convert_pt.py --data mnist` (so its metadata says
  pixelRange [0, 1], sigmaData 1: the reference's MNIST units);
  `mnist-io.safetensors`: inputs x (NCHW, noisy [0, 1] pixels), times t and
  the reference-convention denoiser D(x, t) (sigma_data 1) on them;
- `mlp.safetensors`: a random two-time charlearn `mlp` (the PyTorch port in
  sample_generator.py) with its inputs and outputs, and one-step samples
  of that port: checks the port that sample_generator.py uses.
"""

import argparse
import os
import subprocess
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from charlearn_safetensors import save_file  # noqa: E402
from sample_generator import CharlearnMlp, one_step  # noqa: E402

CONFIG = dict(img_resolution=8, in_channels=2, out_channels=2, model_channels=4, channel_mult=[1, 2], channel_mult_emb=2, num_blocks=1, attn_resolutions=[4], dropout=0.0)
# a tiny teacher of MNIST's shape, saved as the reference train.py saves one and converted by convert_pt.py
MNIST_CONFIG = dict(img_resolution=28, in_channels=1, out_channels=1, model_channels=4, channel_mult=[1, 2], channel_mult_emb=2, num_blocks=1, attn_resolutions=[14], dropout=0.0)
MNIST_SET = ["model_channels=4", "channel_mult=1,2", "channel_mult_emb=2", "num_blocks=1", "attn_resolutions=14,", "dropout=0"]
M = 999.0


def follmer(t):
    alpha = 1 - t
    beta2 = t * (2 - t)
    return alpha, beta2.sqrt(), beta2


def denoiser(model, x, t, s=None):
    # reference Follmer preconditioning with sigma_data = 1
    alpha, beta, beta2 = follmer(t)
    root = (alpha**2 + beta2).sqrt()
    c_in, c_out, c_skip = 1 / root, beta / root, alpha / (alpha**2 + beta2)
    shape = (-1, 1, 1, 1)
    f = model(c_in.reshape(shape) * x, M * t, None if s is None else M * s)
    return c_skip.reshape(shape) * x + c_out.reshape(shape) * f, f


def randomise(model, gen):
    # every parameter random (no zero-initialised layer), so each path of the network is tested
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm0.weight") or name.endswith("norm1.weight") or name.endswith("norm2.weight") or name.endswith("aux_norm.weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
            else:
                fan_in = p[0].numel() if p.dim() > 1 else 1
                p.copy_(torch.randn(p.shape, generator=gen) / max(fan_in, 1) ** 0.5)


def charlearn_config(two_time):
    return {
        "kind": "songunet",
        "sampleShape": [CONFIG["img_resolution"], CONFIG["img_resolution"], CONFIG["in_channels"]],
        "modelChannels": CONFIG["model_channels"],
        "channelMult": CONFIG["channel_mult"],
        "channelMultEmb": CONFIG["channel_mult_emb"],
        "numBlocks": CONFIG["num_blocks"],
        "attnResolutions": CONFIG["attn_resolutions"],
        "dropout": CONFIG["dropout"],
        "twoTime": two_time,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", required=True, help="folder of a clone of burning489/CharacteristicGenerator (its network.py is imported)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.reference))
    from network import UNet  # the reference code, not copied

    os.makedirs(args.out, exist_ok=True)
    gen = torch.Generator().manual_seed(20261201)
    teacher = UNet(**CONFIG).eval()
    generator = UNet(**CONFIG, traj_mode=True).eval()
    randomise(teacher, gen)
    randomise(generator, gen)

    batch = 3
    x = torch.randn(batch, CONFIG["in_channels"], CONFIG["img_resolution"], CONFIG["img_resolution"], generator=gen)
    t = torch.tensor([0.95, 0.5, 0.1])
    s = torch.tensor([0.3, 0.0, 0.05])
    with torch.no_grad():
        d, f = denoiser(teacher, x, t)
        d2, f2 = denoiser(generator, x, t, s)
        alpha_t, beta_t, _ = follmer(t)
        alpha_s, beta_s, _ = follmer(s)
        cskip = (beta_s / beta_t).reshape(-1, 1, 1, 1)
        cout = (alpha_s - alpha_t * beta_s / beta_t).reshape(-1, 1, 1, 1)
        g = cskip * x + cout * d2

    import json

    for name, model, two in (("teacher", teacher, False), ("generator", generator, True)):
        save_file(model.state_dict(), os.path.join(args.out, f"{name}.safetensors"), {"charlearn.network": json.dumps(charlearn_config(two)), "source": "reference network.py UNet, random weights"})
    save_file({"x": x, "t": t, "s": s, "F": f, "D": d, "F2": f2, "D2": d2, "g": g}, os.path.join(args.out, "io.safetensors"), {"layout": "NCHW", "times": "reference convention (t = 0 data, t = 1 noise); charlearn time = 1 - t"})
    save_file({"x_f16": x.half(), "x_bf16": x.bfloat16()}, os.path.join(args.out, "half.safetensors"))
    mlp_spec = {"kind": "mlp", "dim": 3, "hidden": [16, 16], "activation": "silu", "timeEmbeddingDim": 8, "timeHidden": 12, "maxPeriod": 10000, "twoTime": True, "seed": 0}
    shapes = {"temb/w0": [8, 12], "temb/b0": [12], "temb/w1": [12, 16], "temb_s/w0": [8, 12], "temb_s/b0": [12], "temb_s/w1": [12, 16], "in/w": [3, 16], "in/b": [16], "h0/w": [16, 16], "h0/b": [16], "out/w": [16, 3], "out/b": [3]}
    mlp_w = {k: torch.randn(v, generator=gen) / max(v[0], 1) ** 0.5 for k, v in shapes.items()}
    mlp = CharlearnMlp(mlp_spec, mlp_w)
    mx = torch.randn(5, 3, generator=gen)
    mc, mcs = torch.tensor([999.0, 700.0, 400.0, 10.0, 0.5]), torch.tensor([0.0, 100.0, 300.0, 5.0, 0.0])
    with torch.no_grad():
        mf = mlp(mx, mc, mcs)
        mg = one_step(mlp, mx, 1e-3, 1.0)
    save_file({**mlp_w, "io/x": mx, "io/c": mc, "io/cs": mcs, "io/F": mf, "io/one_step": mg}, os.path.join(args.out, "mlp.safetensors"), {"charlearn.network": json.dumps(mlp_spec)})
    mnist = UNet(**MNIST_CONFIG).eval()
    randomise(mnist, gen)
    state = mnist.state_dict()
    pt = os.path.join(args.out, "mnist-teacher.pt")
    torch.save(dict(model=state, ema=state, optim={}, step=0), pt)
    convert = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "convert_pt.py"), "--pt", pt, "--data", "mnist", "--out", os.path.join(args.out, "mnist-teacher.safetensors")]
    subprocess.run(convert + [a for item in MNIST_SET for a in ("--set", item)], check=True)
    os.remove(pt)
    pixels = torch.rand(3, 1, 28, 28, generator=gen)  # data in the reference's MNIST units, [0, 1]
    mt = torch.tensor([0.9, 0.5, 0.05])  # reference time: 0 data, 1 noise
    alpha, beta, _ = follmer(mt)
    mx = alpha.reshape(-1, 1, 1, 1) * pixels + beta.reshape(-1, 1, 1, 1) * torch.randn(pixels.shape, generator=gen)
    with torch.no_grad():
        md, _ = denoiser(mnist, mx, mt)
    save_file({"x": mx, "t": mt, "D": md}, os.path.join(args.out, "mnist-io.safetensors"), {"layout": "NCHW", "times": "reference convention; charlearn time = 1 - t", "sigma_data": "1"})
    n = sum(p.numel() for p in generator.parameters())
    print(f"wrote {args.out}: teacher {sum(p.numel() for p in teacher.parameters())} parameters, generator {n}")


if __name__ == "__main__":
    main()

"""Loads a generator exported by `charlearn export` in PyTorch and draws
one-step samples from given noise (no charlearn, no `safetensors` package).

    /usr/bin/python3 scripts/python/sample_generator.py \
        --generator out/run/generator.safetensors --noise z.safetensors --out samples.safetensors \
        [--reference path/to/CharacteristicGenerator]     # for a songunet generator

`--noise`: a safetensors file with `z` ([n, ...sample shape], NHWC for
images, as charlearn draws it) or `--n 1000 --seed 0` for fresh noise.
Writes `x` (the samples, same layout, in the network's units) and `z`, and
for an image generator (metadata `pixelRange` [lo, hi]) `pixels`, the
samples as pixels in [0, 1]: clip((x - lo) / (hi - lo), 0, 1). One step of the
characteristic generator: x1 = g(z, t = eps0, s = 1) = D(z, eps0, 1), the
two-time EDM denoiser of the Follmer path (charlearn time: t = 0 noise,
t = 1 data; c_noise = 999(1 - t)), with the metadata's eps0 and sigmaData.

Network kinds: `mlp` (charlearn's MLP, written out here in PyTorch) and
`songunet` (the reference code's `UNet` with `traj_mode=True`, imported from
the `--reference` clone's network.py; the file is its `state_dict()`).
"""

import argparse
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from charlearn_safetensors import charlearn_meta, save_file, load_file  # noqa: E402

ACT = {"silu": torch.nn.functional.silu, "relu": torch.relu, "tanh": torch.tanh, "gelu": lambda x: torch.nn.functional.gelu(x)}


class CharlearnMlp(torch.nn.Module):
    """charlearn's `mlp` kind: x -> act(x W_in + b_in + T(c) [+ T_s(c_s)]) -> hidden layers -> out."""

    def __init__(self, spec, weights):
        super().__init__()
        self.spec = spec
        self.w = {k: v.float() for k, v in weights.items()}
        half = spec["timeEmbeddingDim"] // 2
        self.freqs = torch.exp(-math.log(spec["maxPeriod"]) * torch.arange(half, dtype=torch.float32) / half)
        self.act = ACT[spec["activation"]]

    def time_features(self, c, prefix):
        arg = c[:, None] * self.freqs[None, :]
        emb = torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)
        return self.act(emb @ self.w[f"{prefix}/w0"] + self.w[f"{prefix}/b0"]) @ self.w[f"{prefix}/w1"]

    def forward(self, x, c, cs=None):
        pre = x @ self.w["in/w"] + self.w["in/b"] + self.time_features(c, "temb")
        if cs is not None:
            pre = pre + self.time_features(cs, "temb_s")
        h = self.act(pre)
        for i in range(len(self.spec["hidden"]) - 1):
            h = self.act(h @ self.w[f"h{i}/w"] + self.w[f"h{i}/b"])
        return h @ self.w["out/w"] + self.w["out/b"]


class NhwcSongUnet(torch.nn.Module):
    """The reference UNet on charlearn's NHWC samples."""

    def __init__(self, spec, weights, reference):
        super().__init__()
        sys.path.insert(0, os.path.abspath(reference))
        from network import UNet  # the reference code, from the given clone

        h, _, c = spec["sampleShape"]
        self.net = UNet(
            img_resolution=h, in_channels=c, out_channels=c, model_channels=spec["modelChannels"], channel_mult=spec["channelMult"],
            channel_mult_emb=spec["channelMultEmb"], num_blocks=spec["numBlocks"], attn_resolutions=spec["attnResolutions"],
            dropout=spec["dropout"], traj_mode=spec["twoTime"],
        ).eval()
        self.net.load_state_dict({k: v.float() for k, v in weights.items()}, strict=True)

    def forward(self, x, c, cs=None):
        return self.net(x.permute(0, 3, 1, 2), c, cs).permute(0, 2, 3, 1)


def follmer(t):
    return t, torch.sqrt(torch.clamp(1 - t * t, min=0))


def one_step(net, z, eps0, sigma_data):
    n = z.shape[0]
    t = torch.full((n,), float(eps0))
    s = torch.ones(n)
    alpha, sigma = follmer(t)
    root = torch.sqrt(alpha**2 * sigma_data**2 + sigma**2)
    shape = (n,) + (1,) * (z.dim() - 1)
    c_in, c_out, c_skip = 1 / root, sigma * sigma_data / root, alpha * sigma_data**2 / root**2
    f = net(c_in.reshape(shape) * z, 999 * (1 - t), 999 * (1 - s))
    d = c_skip.reshape(shape) * z + c_out.reshape(shape) * f
    alpha_s, sigma_s = follmer(s)
    ratio = sigma_s / sigma
    return ratio.reshape(shape) * z + (alpha_s - alpha * ratio).reshape(shape) * d


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--generator", required=True)
    ap.add_argument("--noise")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--reference", help="clone of burning489/CharacteristicGenerator (songunet generators)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    weights, meta = charlearn_meta(args.generator)
    spec = meta["network"]
    if meta.get("interpolant") != "follmer":
        sys.exit(f"this script samples Follmer generators; the file says interpolant {meta.get('interpolant')!r}")
    if not spec.get("twoTime"):
        sys.exit("the file holds a one-time network (a teacher), not a generator")
    if spec["kind"] == "mlp":
        net = CharlearnMlp(spec, weights)
    elif spec["kind"] == "songunet":
        if not args.reference:
            sys.exit("a songunet generator needs --reference <clone of burning489/CharacteristicGenerator>")
        net = NhwcSongUnet(spec, weights, args.reference)
    else:
        sys.exit(f"network kind {spec['kind']!r} has no PyTorch port here (mlp, songunet)")
    if args.noise:
        z = load_file(args.noise)[0]["z"].float()
    else:
        shape = [spec["dim"]] if spec["kind"] == "mlp" else list(spec["sampleShape"])
        z = torch.randn([args.n] + shape, generator=torch.Generator().manual_seed(args.seed))
    with torch.no_grad():
        x = one_step(net, z, meta["eps0"], meta["sigmaData"])
    out = {"x": x, "z": z}
    if "pixelRange" in meta:
        # image generators: the network's units -> pixels in [0, 1], as charlearn's sample PNGs map them
        lo, hi = meta["pixelRange"]
        out["pixels"] = torch.clamp((x - lo) / (hi - lo), 0, 1)
    save_file(out, args.out, {"generator": os.path.basename(args.generator)})
    units = f", pixels = clip((x - {lo:g}) / {hi - lo:g}, 0, 1)" if "pixelRange" in meta else ""
    print(f"wrote {args.out}: {x.shape[0]} one-step samples of shape {list(x.shape[1:])}{units}")


if __name__ == "__main__":
    main()

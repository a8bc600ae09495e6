"""The reference side of `unet-vs-torch.mjs`: the same U-Net training step in PyTorch on the CPU.

The network mirrors `@charlearn/nets`' U-Net layer for layer (DDPM++-style residual blocks with GroupNorm(8) and
SiLU, a sinusoidal time embedding and its 2-layer MLP, self-attention at the chosen resolutions, 2x average-pool
down and nearest up, skip connections concatenated, (skip + h)/sqrt(2)), so its parameter count must equal
ours (checked by the caller). One step: EDM-preconditioned denoiser on the Föllmer path (x_t = t x1 + sqrt(1-t^2) z),
weighted squared error, backward, Adam. NCHW, float32.

    python3 packages/nets/bench/unet_step_torch.py --channels 16 --batch 64 --steps 5 --threads 1

Prints one JSON line: parameters, forward and step medians in ms, threads, torch version.
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def sinusoidal(c_noise, dim, max_period=10000.0):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = c_noise[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=1e-6)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=1e-6)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(temb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        s = self.skip(x) if self.skip is not None else x
        return (s + h) * math.sqrt(0.5)


class Attention(nn.Module):
    def __init__(self, c, groups, heads):
        super().__init__()
        self.norm = nn.GroupNorm(groups, c, eps=1e-6)
        self.qkv = nn.Linear(c, 3 * c)
        self.proj = nn.Linear(c, c)
        self.heads = heads

    def forward(self, x):
        b, c, h, w = x.shape
        t = self.norm(x).reshape(b, c, h * w).transpose(1, 2)  # [b, n, c]
        q, k, v = self.qkv(t).reshape(b, h * w, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(c // self.heads), dim=-1)
        o = (att @ v).transpose(1, 2).reshape(b, h * w, c)
        return (x + self.proj(o).transpose(1, 2).reshape(b, c, h, w)) * math.sqrt(0.5)


class Unet(nn.Module):
    def __init__(self, img_c=1, size=28, channels=16, mult=(1, 2, 2), res_blocks=1, attn_res=(7,), heads=1, groups=8):
        super().__init__()
        self.e = channels if channels % 2 == 0 else channels + 1
        t = 4 * channels
        self.temb = nn.Sequential(nn.Linear(self.e, t), nn.SiLU(), nn.Linear(t, t))
        self.inp = nn.Conv2d(img_c, channels, 3, padding=1)
        self.down, skips, ch = nn.ModuleList(), [channels], channels
        for i, m in enumerate(mult):
            out = channels * m
            for _ in range(res_blocks):
                self.down.append(ResBlock(ch, out, t, groups))
                ch = out
                if size // 2**i in attn_res:
                    self.down.append(Attention(ch, groups, heads))
                self.down.append(nn.Identity())  # push
                skips.append(ch)
            if i + 1 < len(mult):
                self.down.append(nn.AvgPool2d(2))
                self.down.append(nn.Identity())  # push
                skips.append(ch)
        self.mid = nn.ModuleList([ResBlock(ch, ch, t, groups), Attention(ch, groups, heads), ResBlock(ch, ch, t, groups)])
        self.up = nn.ModuleList()
        for i in reversed(range(len(mult))):
            out = channels * mult[i]
            for _ in range(res_blocks + 1):
                self.up.append(ResBlock(ch + skips.pop(), out, t, groups))
                ch = out
                if size // 2**i in attn_res:
                    self.up.append(Attention(ch, groups, heads))
            if i > 0:
                self.up.append(nn.Upsample(scale_factor=2, mode='nearest'))
        self.out_norm = nn.GroupNorm(groups, ch, eps=1e-6)
        self.out = nn.Conv2d(ch, img_c, 3, padding=1)

    def forward(self, x, c_noise):
        temb = F.silu(self.temb(sinusoidal(c_noise, self.e)))
        h = self.inp(x)
        stack = [h]
        for layer in self.down:
            if isinstance(layer, nn.Identity):
                stack.append(h)
            elif isinstance(layer, ResBlock):
                h = layer(h, temb)
            else:
                h = layer(h)
        h = self.mid[0](h, temb)
        h = self.mid[1](h)
        h = self.mid[2](h, temb)
        for layer in self.up:
            if isinstance(layer, ResBlock):
                h = layer(torch.cat([h, stack.pop()], dim=1), temb)
            else:
                h = layer(h)
        return self.out(F.silu(self.out_norm(h)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--channels', type=int, default=16)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--steps', type=int, default=5)
    p.add_argument('--threads', type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = Unet(channels=a.channels)
    params = sum(q.numel() for q in net.parameters())
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x1 = torch.rand(a.batch, 1, 28, 28) * 2 - 1
    sigma_data = 0.6167

    def step():
        t = torch.rand(a.batch).clamp(1e-5, 1 - 1e-5)
        z = torch.randn_like(x1)
        alpha, beta = t, torch.sqrt(1 - t**2)
        xt = alpha[:, None, None, None] * x1 + beta[:, None, None, None] * z
        sigma = beta / alpha  # EDM noise level of the rescaled x_t / alpha
        c_in = 1 / torch.sqrt(sigma**2 + sigma_data**2)
        c_skip = sigma_data**2 / (sigma**2 + sigma_data**2)
        c_out = sigma * sigma_data / torch.sqrt(sigma**2 + sigma_data**2)
        x = xt / alpha[:, None, None, None]
        d = c_skip[:, None, None, None] * x + c_out[:, None, None, None] * net(c_in[:, None, None, None] * x, torch.log(sigma) / 4)
        w = (sigma**2 + sigma_data**2) / (sigma * sigma_data) ** 2
        loss = (w[:, None, None, None] * (d - x1) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def forward():
        with torch.no_grad():
            net(x1, torch.zeros(a.batch))

    step()
    forward()
    times, fwd = [], []
    for _ in range(a.steps):
        t0 = time.perf_counter(); step(); times.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter(); forward(); fwd.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({'parameters': params, 'stepMs': statistics.median(times), 'forwardMs': statistics.median(fwd), 'threads': a.threads, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()

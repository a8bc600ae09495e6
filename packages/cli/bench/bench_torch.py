"""The PyTorch side of `bench-torch.mjs`: charlearn's training and sampling steps, written again in PyTorch.

A long-lived worker: it reads one JSON request a line on stdin and answers one JSON line on stdout, so the Node
driver can alternate it with charlearn's worker step by step (no process start-up inside a timing).

    {"row": "teacher", "steps": 5}                 -> {"row": "teacher", "ms": [...], "parameters": 153410}
    {"row": "distill", "steps": 5, "ns": [3, 17]}  -> the teacher step counts n to use, one a step (charlearn's draws)
    {"row": "sample", "steps": 5}                  -> ms per one-step sampling call of 2,000 points
    {"row": "unet", "steps": 2}                    -> the MNIST preset's U-Net teacher step (batch 64)
    {"row": "paper-distill", "steps": 5}           -> the paper's own code's distillation step (needs --reference)
    {"row": "e2e", "config": {...}, "heldOut": [...], "z": [...], "normalisation": {...}, "every": 100}
                                                   -> the whole pipeline (end_to_end below): training seconds and
                                                      one-step W2 at every `every` distillation steps

Every row mirrors charlearn's code path (same shapes, same number of network evaluations, same optimiser work):

- the MLP of `@charlearn/nets` (sinusoidal 64-d time embedding -> Linear 64->64 -> SiLU -> Linear 64->H0 (no bias),
  added to the first hidden pre-activation; SiLU trunk; a two-time net adds a second time MLP for s);
- EDM preconditioning on the Föllmer path (alpha = t, sigma = sqrt(1 - t^2)), c_noise = 999 (1 - t);
- teacher step (`TeacherTrainer`): denoiser matching with weight 1/c_out^2, Adam, linear warm-up, global-norm
  clip 1, EMA update;
- distillation step (`CharacteristicDistiller`, its defaults): Karras rho = 3 grid of 20 times + t = 1, n teacher
  steps of the EDM exponential integrator from 4 start indices (the last interval a denoise), the student
  g(t, s, x) = (sigma_s/sigma_t) x + (alpha_s - alpha_t sigma_s/sigma_t) D(x, t, s), fit + 0.1 semi-group with
  gradients through both sides, Adam, clip, EMA;
- one-step sampling: g(eps0, 1, z) of the two-time net under no_grad;
- U-Net: the network of `packages/nets/bench/unet_step_torch.py` (the same layers as charlearn's U-Net), the
  teacher step above on [64, 1, 28, 28];
- paper-distill: not a re-implementation but the paper's own code (a checkout of
  github:burning489/CharacteristicGenerator given by --reference or CHARLEARN_REFERENCE_CODE, imported, never copied):
  its `Follmer.compute_characteristic_loss` (DEIS teacher pairs over its uniform 20-point grid with the weighted
  1..19 step draw, the composed consistency loss through the EMA target, the local denoiser loss with its adaptive
  weight, l2 norm) on the 2-D MLP above (the network it is handed plays its U-Net: same call signature, its output
  layer the adaptive weight's last layer), RAdam with its warm-up, clip 1 and EMA, at batch 1024 on the swiss roll.

    python3 packages/cli/bench/bench_torch.py --threads 1 < requests.jsonl
"""
import argparse
import json
import math
import os
import sys
import time

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, default=1)
p.add_argument('--reference', default=os.environ.get('CHARLEARN_REFERENCE_CODE', ''),
               help='a checkout of github:burning489/CharacteristicGenerator (for the paper-distill row)')
args = p.parse_args()
# Before torch loads: its OpenMP pool and OpenBLAS read these.
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[var] = str(args.threads)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(0)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'nets', 'bench'))
from unet_step_torch import Unet  # noqa: E402

BATCH = 1024
SAMPLE_BATCH = 2000
EPS0, EPS1 = 1e-3, 1e-3


class Mlp(nn.Module):
    """charlearn's MLP: time MLP added to the first hidden layer's pre-activation; optional second time path."""

    def __init__(self, dim=2, hidden=(256, 256, 256), emb=64, time_hidden=64, two_time=False, max_period=10000.0):
        super().__init__()
        half = emb // 2
        self.register_buffer('freqs', torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)[None, :])
        self.temb0, self.temb1 = nn.Linear(emb, time_hidden), nn.Linear(time_hidden, hidden[0], bias=False)
        self.two_time = two_time
        if two_time:
            self.temb_s0, self.temb_s1 = nn.Linear(emb, time_hidden), nn.Linear(time_hidden, hidden[0], bias=False)
        self.inp = nn.Linear(dim, hidden[0])
        self.hs = nn.ModuleList([nn.Linear(a, b) for a, b in zip(hidden[:-1], hidden[1:])])
        self.out = nn.Linear(hidden[-1], dim)

    def time_features(self, c, l0, l1):
        arg = c[:, None] * self.freqs
        return l1(F.silu(l0(torch.cat([torch.sin(arg), torch.cos(arg)], 1))))

    def forward(self, x, c, cs=None):
        pre = self.inp(x) + self.time_features(c, self.temb0, self.temb1)
        if cs is not None:
            pre = pre + self.time_features(cs, self.temb_s0, self.temb_s1)
        h = F.silu(pre)
        for layer in self.hs:
            h = F.silu(layer(h))
        return self.out(h)


def follmer(t):
    return t, torch.sqrt(torch.clamp(1 - t * t, min=0))


def per_sample(c, x):
    return c.reshape(-1, *([1] * (x.ndim - 1)))


def edm(t, sd=1.0):
    alpha, sigma = follmer(t)
    total = alpha * alpha * sd * sd + sigma * sigma
    root = torch.sqrt(total)
    return 1 / root, sigma * sd / root, alpha * sd * sd / total, 999 * (1 - t)


def denoise(net, x, t, s=None):
    c_in, c_out, c_skip, c_noise = edm(t)
    xin = per_sample(c_in, x) * x
    f = net(xin, c_noise) if s is None else net(xin, c_noise, 999 * (1 - s))
    return per_sample(c_skip, x) * x + per_sample(c_out, x) * f


def flow_map(net, x, t, s):
    """g(t, s, x) in exponential-integrator form (charlearn's characteristicMap)."""
    at, st = follmer(t)
    a_s, ss = follmer(s)
    ratio = torch.where(st > 0, ss / torch.where(st > 0, st, torch.ones_like(st)), torch.ones_like(st))
    gain = a_s - at * ratio
    return per_sample(ratio, x) * x + per_sample(gain, x) * denoise(net, x, t, s)


def swiss_roll(n):
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n))
    x = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) + 0.1 * torch.randn(n, 2)
    return (x - torch.tensor([1.6, 1.8])) / 7.0


class Trainer:
    """Adam + linear warm-up + global-norm clip + EMA, as charlearn's TrainingState / prepareUpdate."""

    def __init__(self, net, lr=1e-3, warmup=200, clip=1.0, ema=0.999):
        self.net, self.lr, self.warmup, self.clip, self.ema_rate = net, lr, warmup, clip, ema
        self.ema = [q.detach().clone() for q in net.parameters()]
        self.opt = torch.optim.Adam(net.parameters(), lr=lr)
        self.step = 0

    def update(self, loss):
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        for g in self.opt.param_groups:
            g['lr'] = self.lr * min(1.0, (self.step + 1) / self.warmup)
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), max_norm=self.clip)
        self.opt.step()
        d = min(self.ema_rate, (1 + self.step) / (10 + self.step))
        with torch.no_grad():
            for e, q in zip(self.ema, self.net.parameters()):
                e.lerp_(q, 1 - d)
        self.step += 1
        return loss.item()


def teacher_loss(net, x1, eps=1e-5):
    b = x1.shape[0]
    t = torch.rand(b) * (1 - 2 * eps) + eps
    z = torch.randn_like(x1)
    alpha, sigma = follmer(t)
    xt = per_sample(alpha, x1) * x1 + per_sample(sigma, z) * z
    err = (denoise(net, xt, t) - x1) ** 2
    per = err.mean(dim=tuple(range(1, x1.ndim))) if x1.ndim > 1 else err
    _, c_out, _, _ = edm(t)
    return (per / c_out**2).mean()


def karras_grid(size=20, rho=3.0, eps0=EPS0, eps1=EPS1):
    steps = size - 1
    a, b = (1 - eps0) ** (1 / rho), eps1 ** (1 / rho)
    g = [1 - (a + i / steps * (b - a)) ** rho for i in range(steps + 1)]
    g[0], g[-1] = eps0, 1 - eps1
    return g + [1.0]


def edm_exp_step(net, x, t, s):
    """The EDM exponential integrator for sigma_d = 1 on the Föllmer path (m = 1): x_s = x + (theta_s - theta_t) F."""
    at, st = t, math.sqrt(max(1 - t * t, 0.0))
    a_s, ss = s, math.sqrt(max(1 - s * s, 0.0))
    c_skip, c_out = at, st
    gain = (math.atan2(a_s, ss) - math.atan2(at, st)) / c_out
    d = denoise(net, x, torch.full((x.shape[0],), t))
    return x * (1 - gain * c_skip) + d * gain


class Distill:
    def __init__(self):
        self.teacher = Mlp()
        self.student = Mlp(two_time=True)
        self.student.load_state_dict(self.teacher.state_dict(), strict=False)
        self.teacher.requires_grad_(False)
        self.trainer = Trainer(self.student)
        self.grid = karras_grid()
        self.groups = 4

    def rollout(self, x, i, n):
        g, last = self.grid, len(self.grid) - 1
        with torch.no_grad():
            end = min(i + n, last - 1)
            for k in range(i, end):
                x = edm_exp_step(self.teacher, x, g[k], g[k + 1])
            if i + n == last:
                x = denoise(self.teacher, x, torch.full((x.shape[0],), g[last - 1]))
        return x

    def step(self, n):
        g, b = self.grid, BATCH
        x1, z = swiss_roll(b), torch.randn(b, 2)
        xs, targets, ts, us = [], [], [], []
        size = b // self.groups
        for k in range(self.groups):
            i = int(torch.randint(len(g) - n, ()))
            t, u = g[i], g[i + n]
            xt = t * x1[k * size:(k + 1) * size] + math.sqrt(1 - t * t) * z[k * size:(k + 1) * size]
            xs.append(xt)
            targets.append(self.rollout(xt, i, n))
            ts += [t] * size
            us += [u] * size
        xt, target = torch.cat(xs), torch.cat(targets)
        t, u = torch.tensor(ts), torch.tensor(us)
        s = t + torch.rand(b) * (u - t)
        gu = flow_map(self.student, xt, t, u)
        fit = ((gu - target) ** 2).mean()
        sg = ((flow_map(self.student, flow_map(self.student, xt, t, s), s, u) - gu) ** 2).mean()
        return self.trainer.update(fit + 0.1 * sg)


def draw_n(max_n=20):
    u = float(torch.rand(())) * max_n * (max_n + 1) / 2
    n = 1
    while n < max_n and u >= n:
        u -= n
        n += 1
    return n


class PaperNet(nn.Module):
    """The 2-D two-time MLP behind the reference code's network interface: `net(x, c_noise_t, c_noise_s, label)`, and
    `module.dec['28x28_aux_conv']` (where its adaptive weight looks for the last layer on MNIST) its output layer."""

    def __init__(self, mlp):
        super().__init__()
        self.mlp = mlp
        self.dec = {'28x28_aux_conv': mlp.out}

    @property
    def module(self):
        return self

    def forward(self, x, c, cs=None, label=None):
        return self.mlp(x, c, cs)


def paper_distill():
    """One distillation step of the paper's own code (see the module docstring), loaded from --reference."""
    if not args.reference:
        raise ValueError('paper-distill needs --reference <checkout of github:burning489/CharacteristicGenerator> or CHARLEARN_REFERENCE_CODE')
    import tempfile
    import types
    from copy import deepcopy
    from contextlib import redirect_stdout
    import torch.distributed as dist
    try:
        import torchvision  # noqa: F401  (its misc.py imports torchvision's data sets, which this row never uses)
    except ImportError:
        stub = types.ModuleType('torchvision')
        stub.datasets = types.SimpleNamespace(MNIST=None, CIFAR10=None, ImageFolder=None)
        stub.transforms = types.SimpleNamespace(ToTensor=None, Compose=None)
        sys.modules.update({'torchvision': stub, 'torchvision.datasets': stub.datasets, 'torchvision.transforms': stub.transforms})
    sys.path.insert(0, os.path.abspath(args.reference))
    from sde import Follmer  # the reference code's module
    if not dist.is_initialized():  # its loss broadcasts the step count and asks for the rank: a one-process group
        dist.init_process_group('gloo', init_method='file://' + tempfile.mktemp(prefix='charlearn-bench-'), rank=0, world_size=1)
    # the reference code's characteristic_defaults('mnist'), loss_norm l2 (LPIPS is for images)
    ref = types.SimpleNamespace(sigma_data=1.0, M=999, train_eps0=1e-3, train_eps1=1e-3, num_steps=20, teacher_steps=19, rho=1,
                                teacher_solver='deis', teacher_steps_strategy='weighted', adaptive_weight=True, loss_norm='l2',
                                data_name='mnist', lr=1e-3, lr_rampup_steps=200, ema_decay=0.999)
    sde = Follmer(ref)
    teacher = PaperNet(Mlp()).eval().requires_grad_(False)
    student = PaperNet(Mlp(two_time=True))
    student.mlp.load_state_dict(teacher.mlp.state_dict(), strict=False)
    ema = deepcopy(student).eval().requires_grad_(False)
    optim = torch.optim.RAdam(student.parameters(), lr=ref.lr)
    l2 = lambda pred, target: (pred - target) ** 2  # noqa: E731
    quiet = open(os.devnull, 'w')
    state = {'step': 0}

    def step(_):
        state['step'] += 1
        optim.zero_grad()
        with redirect_stdout(quiet):  # its adaptive weight prints both gradient norms every step
            dsm, traj = sde.compute_characteristic_loss(student, ema, teacher, l2, swiss_roll(BATCH))
        loss = dsm + traj
        loss.backward()
        for g in optim.param_groups:
            g['lr'] = ref.lr * min(state['step'] / ref.lr_rampup_steps, 1)
        torch.nn.utils.clip_grad_norm_(student.parameters(), max_norm=1.0)
        optim.step()
        d = min(ref.ema_decay, (1 + state['step']) / (10 + state['step']))
        with torch.no_grad():
            for e, q in zip(ema.parameters(), student.parameters()):
                e.copy_(q.detach().lerp(e, d))
        return loss.item()

    return step, student.mlp


def heun_step(net, x, t, s):
    """charlearn's heunStep on the Föllmer path: the trapezoid on v = D − t(x − tD)/(1 − t²); onto s = 1 the denoise."""
    if s >= 1.0:
        return denoise(net, x, torch.full((x.shape[0],), t))

    def v(y, r):
        d = denoise(net, y, torch.full((y.shape[0],), r))
        return d - r * (y - r * d) / (1 - r * r)
    k1 = v(x, t)
    k2 = v(x + (s - t) * k1, s)
    return x + (s - t) * (k1 + k2) / 2


def w2_exact(a, b):
    """Exact W2 between equal-size point sets (optimal assignment, scipy), as charlearn's exactW2."""
    from scipy.optimize import linear_sum_assignment
    cost = torch.cdist(a.double(), b.double()) ** 2
    r, c = linear_sum_assignment(cost.numpy())
    return float(cost[r, c].mean().sqrt())


def end_to_end(req):
    """charlearn's demo pipeline written again: a teacher (the `teacher` settings), then characteristic distillation (the
    `distill` settings: Karras grid of gridSize times + t = 1, exp-integrator-edm or heun pairs, on the fly or from a
    rollout cache of `trajectories` teacher solves over the grid, `trajectories / lifetime` replaced a step), one-step
    W2 of the EMA generator g(eps0, 1, z) on the given z against the given held-out points every `every` steps. Data:
    the swiss roll in charlearn's normalisation. Only training steps are timed."""
    tc, dc = req['config']['teacher'], req['config']['distill']
    mean, std = torch.tensor(req['normalisation']['mean']), torch.tensor(req['normalisation']['std'])
    held = torch.tensor(req['heldOut'], dtype=torch.float32).reshape(-1, 2)
    z = torch.tensor(req['z'], dtype=torch.float32).reshape(-1, 2)

    def data(n):
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n))
        x = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) + 0.1 * torch.randn(n, 2)
        return (x - mean) / std

    t0 = time.perf_counter()
    net = Mlp()
    tr = Trainer(net, lr=tc['lr'], warmup=tc['warmupSteps'], clip=tc['gradClip'], ema=tc['ema'])
    for _ in range(tc['steps']):
        tr.update(teacher_loss(net, data(tc['batchSize'])))
    with torch.no_grad():
        for q, e in zip(net.parameters(), tr.ema):
            q.copy_(e)
    teacher_seconds = time.perf_counter() - t0

    d = Distill()
    d.teacher.load_state_dict(net.state_dict())
    d.student.load_state_dict(net.state_dict(), strict=False)
    d.trainer = Trainer(d.student, lr=dc['lr'], warmup=dc['warmupSteps'], clip=dc['gradClip'], ema=dc['ema'])
    d.grid = karras_grid(dc['gridSize'], dc['rho'], dc['eps0'], dc['eps1'])
    d.groups = dc['pairGroups']
    step_fn = heun_step if dc['teacherSolver'] == 'heun' else edm_exp_step
    G, b = len(d.grid), dc['batchSize']
    cache = dc['pairSource'] == 'rollout-cache'
    chunk = -(-dc['rolloutCache']['trajectories'] // dc['rolloutCache']['lifetime'])
    chunks = []

    def solve_chunk():
        x1, zz = data(chunk), torch.randn(chunk, 2)
        t = d.grid[0]
        x = t * x1 + math.sqrt(1 - t * t) * zz
        states = [x]
        with torch.no_grad():
            for k in range(G - 1):
                x = step_fn(d.teacher, x, d.grid[k], d.grid[k + 1])
                states.append(x)
        return torch.stack(states, 1)  # [chunk, G, 2]

    def pairs(i, n, size):
        table = torch.cat(chunks, 0)
        m = torch.randint(table.shape[0], (size,))
        return table[m, i], table[m, i + n]

    def rollout(x, i, n):
        with torch.no_grad():
            for k in range(i, i + n):
                x = step_fn(d.teacher, x, d.grid[k], d.grid[k + 1])
        return x

    def one_step_w2():
        ema_net = Mlp(two_time=True)
        with torch.no_grad():
            for q, e in zip(ema_net.parameters(), d.trainer.ema):
                q.copy_(e)
            x = flow_map(ema_net, z, torch.full((z.shape[0],), dc['eps0']), torch.ones(z.shape[0]))
        return w2_exact(x, held)

    marks = []
    train_seconds = teacher_seconds
    for step in range(1, dc['steps'] + 1):
        t1 = time.perf_counter()
        if cache:
            if not chunks:
                chunks.extend(solve_chunk() for _ in range(dc['rolloutCache']['lifetime']))
            else:
                chunks.pop(0)
                chunks.append(solve_chunk())
        n = draw_n(G - 1)
        x1, zz = data(b), torch.randn(b, 2)
        xs, targets, ts, us = [], [], [], []
        for k in range(d.groups):
            lo, hi = k * b // d.groups, (k + 1) * b // d.groups
            i = int(torch.randint(G - n, ()))
            t, u = d.grid[i], d.grid[i + n]
            if cache:
                xt, target = pairs(i, n, hi - lo)
            else:
                xt = t * x1[lo:hi] + math.sqrt(1 - t * t) * zz[lo:hi]
                target = rollout(xt, i, n)
            xs.append(xt)
            targets.append(target)
            ts += [t] * (hi - lo)
            us += [u] * (hi - lo)
        xt, target = torch.cat(xs), torch.cat(targets)
        t, u = torch.tensor(ts), torch.tensor(us)
        s = t + torch.rand(b) * (u - t)
        gu = flow_map(d.student, xt, t, u)
        fit = ((gu - target) ** 2).mean()
        sg = ((flow_map(d.student, flow_map(d.student, xt, t, s), s, u) - gu) ** 2).mean()
        d.trainer.update(dc['losses']['fit'] * fit + dc['losses']['semigroup'] * sg)
        train_seconds += time.perf_counter() - t1
        if step % req['every'] == 0 or step == dc['steps']:
            marks.append({'step': step, 'seconds': train_seconds, 'w2': one_step_w2()})
    return {'teacherSeconds': teacher_seconds, 'marks': marks}


rows = {}


def row(name):
    if name in rows:
        return rows[name]
    if name == 'teacher':
        net = Mlp()
        tr = Trainer(net)
        r = (lambda _: tr.update(teacher_loss(net, swiss_roll(BATCH))), net)
    elif name in ('distill', 'distill-cache'):  # PyTorch always solves its pairs on the fly (the paper's way)
        d = Distill()
        r = (d.step, d.student)
    elif name == 'sample':
        net = Mlp(two_time=True)
        z = torch.randn(SAMPLE_BATCH, 2)

        def sample(_):
            with torch.no_grad():
                b = z.shape[0]
                return flow_map(net, z, torch.full((b,), EPS0), torch.ones(b)).numpy().sum()

        r = (sample, net)
    elif name == 'paper-distill':
        r = paper_distill()
    elif name == 'unet':
        net = Unet(channels=16)
        tr = Trainer(net)
        x1 = torch.rand(64, 1, 28, 28) * 2 - 1
        r = (lambda _: tr.update(teacher_loss(net, x1)), net)
    else:
        raise ValueError(f'unknown row {name}')
    rows[name] = r
    return r


def main():
    print(json.dumps({'ready': True, 'torch': torch.__version__, 'threads': torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        if req['row'] == 'e2e':
            print(json.dumps({'row': 'e2e', **end_to_end(req)}), flush=True)
            continue
        fn, net = row(req['row'])
        ns = req.get('ns') or [draw_n() for _ in range(req['steps'])]
        for _ in range(req.get('warmup', 0)):
            fn(draw_n())
        ms = []
        for k in range(req['steps']):
            t0 = time.perf_counter()
            fn(ns[k % len(ns)])
            ms.append((time.perf_counter() - t0) * 1000)
        params = sum(q.numel() for q in net.parameters())
        print(json.dumps({'row': req['row'], 'ms': ms, 'parameters': params}), flush=True)


if __name__ == '__main__':
    main()

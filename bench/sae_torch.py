#!/usr/bin/env python3
"""The SAE training step of src/core/sae/step.ts (as trainSae runs it) in PyTorch on the CPU, fp32.

Issue 7's reference point: the same TopK step (width 896, 8x expansion, k = 32, batch 1024) timed
in PyTorch, so that `npm run bench -- --only sae` can report our step time as a multiple of it.

    python3 bench/sae_torch.py [--threads 1,2] [--steps 5] [--warmup 2] [--num-dead 0]
                               [--d-in 896] [--d-sae 7168] [--batch 1024] [--k 32] [--variants dense,sparse]
    python3 bench/sae_torch.py --check DIR ...   (equivalence check, see below)

One step, as in step.ts: xc = x - b_dec; pre = xc W_enc^T + b_enc; TopK (k) then ReLU of the kept
values; x_hat = z W_dec + b_dec; mse = mean_t sum_d (x_hat - x)^2; with dead latents, AuxK: the
top min(k_aux, n_dead) dead pre-activations (no ReLU) decoded without b_dec against the detached
residual x - x_hat, scaled by coef * min(n_dead / k_aux, 1); backward; the decoder gradient's
component parallel to each (unit) decoder row removed; global gradient norm clipped to 1;
torch.optim.Adam (lr 3e-4, betas 0.9/0.999, eps 1e-8); decoder rows renormalised; the per-latent
firing counts and the losses read back (trainSae reads both every step).

Two ways to write it, both timed; the bench compares against the faster:
  dense   as SAELens' TopK SAE: the code scattered into a dense [batch, d_sae] matrix, autograd
          through dense products (6 products of the encoder's size per step);
  sparse  what our CPU kernels do: the encoder's forward product is the only dense one; the
          selected pre-activations are recomputed from gathered encoder rows (so the encoder's
          gradient touches only those rows) and decoding is an embedding_bag over the active rows.

torch.set_num_threads(t) is applied for each thread count in turn (one process). The matrix
products go to the BLAS that libtorch is linked against; Debian's python3-torch uses the
libblas.so.3 alternative, which is the slow reference BLAS unless OpenBLAS is installed
(apt-get install libopenblas0-openmp): the JSON reports which library was loaded.

--check DIR: reads DIR/in.bin (float32: encoder [d_sae, d_in], b_enc, decoder [d_sae, d_in],
b_dec, then `steps` batches [batch, d_in], then the dead mask [d_sae]), runs `steps` steps with
each variant and writes DIR/out-<variant>.bin (the parameters after the steps, same order) and the
per-step losses in the JSON, so the bench can check it runs the same computation as step.ts.

Prints one JSON object on stdout.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

LR, BETAS, EPS, CLIP, AUX_COEF, DECODER_INIT_NORM = 3e-4, (0.9, 0.999), 1e-8, 1.0, 1.0, 0.1


def loaded_blas():
    """Shared libraries with 'blas' in their name mapped into this process (Linux)."""
    try:
        with open('/proc/self/maps') as f:
            return sorted({line.split()[-1] for line in f if 'blas' in line.lower() and '/' in line.split()[-1]})
    except OSError:
        return []


class TopKStep:
    def __init__(self, params, k, k_aux, variant):
        self.enc, self.b_enc, self.dec, self.b_dec = [p.clone().requires_grad_() for p in params]
        self.params = [self.enc, self.b_enc, self.dec, self.b_dec]
        self.k, self.k_aux, self.variant = k, k_aux, variant
        self.d_sae = self.enc.shape[0]
        self.opt = torch.optim.Adam(self.params, lr=LR, betas=BETAS, eps=EPS)

    def decode(self, idx, val):
        if self.variant == 'dense':
            z = torch.zeros(idx.shape[0], self.d_sae).scatter(1, idx, val)
            return z @ self.dec
        return F.embedding_bag(idx, self.dec, per_sample_weights=val, mode='sum')

    def selected_pre(self, xc, idx):
        """enc[idx[t, j]] . xc[t] + b_enc[idx[t, j]], with gradients into the gathered rows only."""
        rows = F.embedding(idx, self.enc)  # [batch, width, d_in]
        return torch.bmm(rows, xc.unsqueeze(2)).squeeze(2) + self.b_enc[idx]

    def step(self, x, dead, num_dead):
        """One training step; returns (mse, aux loss, firing counts per latent)."""
        xc = x - self.b_dec
        if self.variant == 'dense':
            pre = torch.addmm(self.b_enc, xc, self.enc.t())
            top, idx = pre.topk(self.k, dim=1)
        else:
            with torch.no_grad():
                pre = torch.addmm(self.b_enc, xc, self.enc.t())
                idx = pre.topk(self.k, dim=1).indices
            top = self.selected_pre(xc, idx)
        val = F.relu(top)
        x_hat = self.decode(idx, val) + self.b_dec
        mse = (x_hat - x).pow(2).sum(1).mean()
        loss = mse
        aux = torch.zeros(())
        if num_dead > 0 and AUX_COEF != 0:
            k_aux = min(self.k_aux, num_dead)
            scale = min(num_dead / self.k_aux, 1.0)
            residual = (x - x_hat).detach()
            if self.variant == 'dense':
                aux_val, aux_idx = pre.masked_fill(~dead, -math.inf).topk(k_aux, dim=1)
            else:
                with torch.no_grad():
                    aux_idx = pre.masked_fill(~dead, -math.inf).topk(k_aux, dim=1).indices
                aux_val = self.selected_pre(xc, aux_idx)
            aux = AUX_COEF * scale * (self.decode(aux_idx, aux_val) - residual).pow(2).sum(1).mean()
            loss = loss + aux
        self.opt.zero_grad(set_to_none=False)
        loss.backward()
        with torch.no_grad():
            fired = torch.zeros(self.d_sae).index_add_(0, idx.flatten(), (val > 0).flatten().float())
            g, w = self.dec.grad, self.dec
            g -= ((g * w).sum(1, keepdim=True) / (w * w).sum(1, keepdim=True)) * w
        torch.nn.utils.clip_grad_norm_(self.params, CLIP)
        self.opt.step()
        with torch.no_grad():
            self.dec /= self.dec.norm(dim=1, keepdim=True)
        return mse.item(), aux.item(), fired


def init_params(d_in, d_sae, seed):
    """As createSae with the unit-norm decoder: random unit rows, encoder = 0.1 x decoder, zero biases."""
    g = torch.Generator().manual_seed(seed)
    dec = torch.randn(d_sae, d_in, generator=g)
    dec /= dec.norm(dim=1, keepdim=True)
    return [DECODER_INIT_NORM * dec, torch.zeros(d_sae), dec, torch.zeros(d_in)]


def dead_mask(d_sae, num_dead):
    dead = torch.zeros(d_sae, dtype=torch.bool)
    dead[0 : 2 * num_dead : 2] = True  # every other latent, as bench/sae.bench.ts marks them
    return dead


def time_variant(variant, args, threads, x, dead):
    torch.set_num_threads(threads)
    s = TopKStep(init_params(args.d_in, args.d_sae, 1), args.k, args.k_aux, variant)
    for _ in range(args.warmup):
        s.step(x, dead, args.num_dead)
    ms = []
    cpu = []
    for _ in range(args.steps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        s.step(x, dead, args.num_dead)
        ms.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    m = statistics.median(ms)
    return {'variant': variant, 'threads': threads, 'msPerStep': m, 'tokensPerSecond': args.batch * 1000 / m, 'ms': ms, 'cpuMsPerStep': statistics.median(cpu)}


def time_matmul(args, threads, x):
    """The encoder's dense product alone (addmm, [batch, d_in] x [d_sae, d_in]^T + b)."""
    torch.set_num_threads(threads)
    w = torch.randn(args.d_sae, args.d_in) * 0.03
    b = torch.zeros(args.d_sae)
    torch.addmm(b, x, w.t())
    ms = []
    for _ in range(max(3, args.steps)):
        t0 = time.perf_counter()
        torch.addmm(b, x, w.t())
        ms.append((time.perf_counter() - t0) * 1000)
    return {'threads': threads, 'ms': statistics.median(ms)}


def check(args):
    d_in, d_sae, b = args.d_in, args.d_sae, args.batch
    sizes = [d_sae * d_in, d_sae, d_sae * d_in, d_in] + [b * d_in] * args.steps + [d_sae]
    with open(os.path.join(args.check, 'in.bin'), 'rb') as f:
        flat = torch.frombuffer(bytearray(f.read()), dtype=torch.float32)
    if flat.numel() != sum(sizes):
        raise SystemExit(f'in.bin has {flat.numel()} floats, expected {sum(sizes)}')
    parts = list(torch.split(flat, sizes))
    params = [parts[0].view(d_sae, d_in), parts[1], parts[2].view(d_sae, d_in), parts[3]]
    batches = [p.view(b, d_in) for p in parts[4 : 4 + args.steps]]
    dead = parts[-1] != 0
    num_dead = int(dead.sum())
    out = {}
    torch.set_num_threads(1)
    for variant in args.variants:
        s = TopKStep(params, args.k, args.k_aux, variant)
        losses = [s.step(x, dead, num_dead)[:2] for x in batches]
        with open(os.path.join(args.check, f'out-{variant}.bin'), 'wb') as f:
            f.write(torch.cat([p.detach().flatten() for p in s.params]).numpy().tobytes())
        out[variant] = {'mse': [l[0] for l in losses], 'aux': [l[1] for l in losses]}
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--threads', default='1,2')
    p.add_argument('--steps', type=int, default=5)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--num-dead', type=int, default=0, help='latents treated as dead (AuxK runs when > 0)')
    p.add_argument('--d-in', type=int, default=896)
    p.add_argument('--d-sae', type=int, default=8 * 896)
    p.add_argument('--batch', type=int, default=1024)
    p.add_argument('--k', type=int, default=32)
    p.add_argument('--k-aux', type=int, default=None, help='default d_in // 2')
    p.add_argument('--variants', default='dense,sparse')
    p.add_argument('--check', default=None, metavar='DIR')
    args = p.parse_args()
    args.k_aux = args.k_aux or args.d_in // 2
    args.variants = [v for v in args.variants.split(',') if v]
    for v in args.variants:
        if v not in ('dense', 'sparse'):
            raise SystemExit(f'unknown variant {v}')
    info = {
        'torch': torch.__version__,
        'python': sys.version.split()[0],
        'executable': sys.executable,
        'blas': loaded_blas(),
        'defaultThreads': torch.get_num_threads(),
        'shape': {'dIn': args.d_in, 'dSae': args.d_sae, 'batch': args.batch, 'k': args.k, 'kAux': args.k_aux, 'numDead': args.num_dead},
    }
    if args.check:
        info['check'] = check(args)
        print(json.dumps(info))
        return
    threads = [int(t) for t in args.threads.split(',') if t]
    g = torch.Generator().manual_seed(2)
    x = torch.randn(args.batch, args.d_in, generator=g)
    dead = dead_mask(args.d_sae, args.num_dead)
    info['steps'], info['warmup'] = args.steps, args.warmup
    info['results'] = [time_variant(v, args, t, x, dead) for t in threads for v in args.variants]
    info['matmul'] = [time_matmul(args, t, x) for t in threads]
    info['blas'] = loaded_blas()
    print(json.dumps(info))


if __name__ == '__main__':
    main()

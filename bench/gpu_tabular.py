"""One soft backup on a 10^6-state Garnet MDP on a GPU, against the memory-bandwidth floor.

Runs ``softrl.inference.torch_backend.soft_bellman_step_torch`` (what
``soft_backward(..., device="cuda")`` calls) and, in the same run, a device-to-device copy that
measures the bandwidth the card really gives.  Floor = bytes one backup must move (CSR row
pointers, column indices and probabilities, r(s, a), V read, V written) / copy bandwidth.

    PYTHONPATH=src python3 bench/gpu_tabular.py            # on a machine with CUDA
    PYTHONPATH=src python3 bench/gpu_tabular.py --states 100000 --device cpu   # smoke run
"""

from __future__ import annotations

import argparse
import time

import torch

from softrl.envs import garnet
from softrl.inference import soft_backward
from softrl.inference.torch_backend import TorchMDP, soft_bellman_step_torch


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def timed(fn, device: str, repeats: int) -> list[float]:
    """Wall times of ``fn()`` in seconds, synchronised, after two warm-up calls."""
    fn()
    fn()
    out = []
    for _ in range(repeats):
        _sync(device)
        t0 = time.perf_counter()
        fn()
        _sync(device)
        out.append(time.perf_counter() - t0)
    return out


def copy_bandwidth(device: str, n_bytes: int = 2**30) -> float:
    """Bytes read + written per second by a large device-to-device copy."""
    src = torch.rand(n_bytes // 8, dtype=torch.float64, device=device)
    dst = torch.empty_like(src)
    t = min(timed(lambda: dst.copy_(src), device, 20))
    return 2 * n_bytes / t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=1_000_000)
    parser.add_argument("--actions", type=int, default=5)
    parser.add_argument("--branching", type=int, default=5)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    dev = args.device
    mdp = garnet(args.states, args.actions, args.branching, seed=0, gamma=0.99)
    S, A, nnz = args.states, args.actions, mdp.transitions.nnz
    bw = copy_bandwidth(dev)
    name = torch.cuda.get_device_name() if dev.startswith("cuda") else "cpu"
    print(f"device {name}, torch {torch.__version__}; S={S} A={A} nnz={nnz}")
    print(f"copy bandwidth (read + write): {bw / 1e9:.0f} GB/s")
    rows = []
    for dtype in (torch.float64, torch.float32):
        tm = TorchMDP.from_mdp(mdp, dev, dtype)
        fbytes = torch.finfo(dtype).bits // 8
        ibytes = tm.P.col_indices().element_size()
        must = (S * A + 1) * ibytes + nnz * (ibytes + fbytes) + S * A * fbytes + 2 * S * fbytes
        V = torch.randn(S, dtype=dtype, device=dev)
        for backup in ("variational", "optimistic"):
            def step(b=backup, V=V, tm=tm):
                return soft_bellman_step_torch(tm, tm.reward, V, 1.0, b)

            ts = timed(step, dev, args.repeats)
            best = min(ts)
            floor = must / bw
            rows.append((str(dtype).split(".")[-1], backup, best * 1e3, floor * 1e3, best / floor))
    # Correctness on this device against the CPU engine (float64, a few backups).
    small = garnet(20_000, A, args.branching, seed=1, gamma=0.9)
    for backup in ("variational", "optimistic"):
        ref = soft_backward(small, 0.5, backup, horizon=20)
        got = soft_backward(small, 0.5, backup, horizon=20, device=dev)
        err = float(abs(got.V - ref.V).max())
        print(f"max |V_gpu - V_cpu| over 20 backups ({backup}): {err:.2e}")
        assert err < 1e-9, err
    print(f"{'dtype':8} {'backup':12} {'ms/backup':>10} {'floor ms':>9} {'x floor':>8}")
    for dt, b, ms, fl, ratio in rows:
        print(f"{dt:8} {b:12} {ms:10.2f} {fl:9.2f} {ratio:8.2f}")


if __name__ == "__main__":
    main()

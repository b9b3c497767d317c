"""A ReLU MLP's forward and backward written out by hand, for the hot loops of the agents.

Autograd records a graph on every call and frees it after ``backward``; for the small MLPs of
deep RL on a CPU that bookkeeping costs about as much as the matmuls. For the fixed
architecture ``Linear -> ReLU -> ... -> Linear`` the backward pass is short enough to write
down (below), so an agent can take a gradient step with a handful of BLAS calls writing into
preallocated gradient buffers. :class:`softrl.agents.SoftQ` and :class:`softrl.agents.SAC`
use it; the tests check it against autograd to float rounding.

With h_0 = x, z_k = h_{k-1} W_k^T + b_k, h_k = relu(z_k) (k < L) and out = z_L, and
g_k = dloss/dz_k:

    dloss/dW_k = g_k^T h_{k-1},   dloss/db_k = sum_rows g_k,
    g_{k-1} = (g_k W_k) * 1[h_{k-1} > 0].

The ensemble form (:class:`softrl.nn.EnsembleMLP`, E members with stacked W_k of shape
(E, in, out), so z_k = h_{k-1} W_k + b_k member by member) is the same with batched matmuls:
dloss/dW_k = h_{k-1}^T g_k and g_{k-1} = (g_k W_k^T) * 1[h_{k-1} > 0] for each member.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch
from torch import Tensor, nn

__all__ = ["Workspace", "clip_grad_norm_", "ensemble_mlp_layers", "ensemble_relu_mlp_backward",
           "ensemble_relu_mlp_forward", "cpu_vendor", "matmul_backend", "onednn_available",
           "relu_mlp_backward", "relu_mlp_forward", "relu_mlp_layers", "set_matmul_backend"]

Layer = tuple[Tensor, Tensor]


def relu_mlp_layers(net: nn.Module) -> list[Layer] | None:
    """The (W, b) pairs of ``net`` if it is exactly Linear -> ReLU -> ... -> Linear, else None.

    ``net`` is an ``nn.Sequential`` (such as :class:`softrl.nn.MLP`); W has shape (out, in).
    """
    if not isinstance(net, nn.Sequential) or len(net) % 2 == 0:
        return None
    layers: list[Layer] = []
    for i, module in enumerate(net):
        if i % 2 == 1:
            if type(module) is not nn.ReLU:
                return None
        elif type(module) is not nn.Linear or module.bias is None:
            return None
        else:
            layers.append((module.weight, module.bias))
    return layers

class Workspace:
    """Scratch tensors kept by name and reused while shape, dtype and device stay the same.

    A fresh activation of a few hundred KB is, for the C allocator, fresh pages from the
    kernel on many calls (page faults and zeroing that can cost ten times the elementwise op
    that fills it); writing into kept buffers with ``out=`` avoids that. A tensor taken from a
    workspace is overwritten by the next call that asks for the same name.
    """

    def __init__(self) -> None:
        self._buffers: dict[str, Tensor] = {}

    def get(self, name: str, shape: tuple[int, ...], like: Tensor) -> Tensor:
        """The buffer called ``name``, of ``shape`` and ``like``'s dtype and device
        (uninitialized when newly made)."""
        t = self._buffers.get(name)
        if t is None or t.shape != shape or t.dtype != like.dtype or t.device != like.device:
            t = self._buffers[name] = torch.empty(shape, dtype=like.dtype, device=like.device)
        return t


def _buffer(ws: Workspace | None, name: str, shape: tuple[int, ...], like: Tensor) -> Tensor:
    if ws is None:
        return torch.empty(shape, dtype=like.dtype, device=like.device)
    return ws.get(name, shape, like)


# ---------------------------------------------------------------- matmul kernels
_ONEDNN_MIN_WIDTH = 16
_onednn_state: list[bool] = []


def onednn_available() -> bool:
    """Whether torch's bundled oneDNN float32 linear kernel (the one inductor uses on CPUs)
    can be called here and agrees with ``addmm`` (checked once per process).

    On CPUs where torch's BLAS does not run its widest SIMD path (MKL on AMD processors, for
    instance) oneDNN computes the 256-wide float32 matmuls of the SAC update about twice as
    fast, with the same IEEE float32 arithmetic (only the summation order differs).
    """
    if not _onednn_state:
        ok = False
        op = getattr(getattr(torch.ops, "mkldnn", None), "_linear_pointwise", None)
        if op is not None and torch.backends.mkldnn.is_available():
            try:
                gen = torch.Generator().manual_seed(0)
                x = torch.randn(33, 20, generator=gen)
                w = torch.randn(40, 20, generator=gen)
                b = torch.randn(40, generator=gen)
                got = op(x, w.t().contiguous().t(), b, "relu", [], "")
                ok = bool(torch.allclose(got, torch.addmm(b, x, w.t()).relu(), atol=1e-4))
            except (RuntimeError, TypeError):
                ok = False
        _onednn_state.append(ok)
    return _onednn_state[0] and torch.backends.mkldnn.enabled


def _onednn_works() -> bool:
    """The once-per-process check of :func:`onednn_available`, whatever
    ``torch.backends.mkldnn.enabled`` says now."""
    onednn_available()
    return _onednn_state[0]


_MATMUL_BACKENDS = ("auto", "onednn", "blas")
_matmul_backend: list[str] = ["auto"]


def set_matmul_backend(name: str) -> None:
    """Choose the kernel of the large float32 CPU matmuls of the hand-written passes.

    "auto" (the default): oneDNN on AMD CPUs where torch runs its AVX-512 kernels
    (``torch.backends.cpu.get_cpu_capability() == "AVX512"``), torch's BLAS elsewhere. The
    rule is fixed by the CPU, never by a timing, so the same seed gives the same numbers on a
    machine from run to run. Measured on 256-wide layers at one thread: on an AVX-512 AMD EPYC
    (Zen 5) oneDNN runs at 220 GFLOP/s against MKL's 108 (MKL keeps to AVX2 on AMD); on an
    AVX2 EPYC (Zen 3) MKL is 5-25% faster than oneDNN; on an AVX-512 Intel Xeon (Emerald
    Rapids), where MKL takes its AVX-512 path, SAC's whole update is 15-20% faster on MKL
    (bench/RESULTS.md, "Issue 19, fourth pass"). "onednn" forces oneDNN where
    :func:`onednn_available`, "blas" forces ``addmm``/``mm``. Both compute IEEE float32
    products; only the summation order, so the last bits, differ.
    """
    if name not in _MATMUL_BACKENDS:
        raise ValueError(f"the matmul backend must be one of {_MATMUL_BACKENDS}; got {name!r}")
    _matmul_backend[:] = [name]


@functools.cache
def cpu_vendor() -> str:
    """The x86 vendor string of this CPU ("AuthenticAMD", "GenuineIntel", ...), or "" where it
    cannot be read (not Linux, or not x86)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("vendor_id"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return ""


def _mkl_lacks_avx512() -> bool:
    """torch runs AVX-512 kernels but its BLAS (MKL) does not: an AVX-512 AMD CPU."""
    return (torch.backends.cpu.get_cpu_capability() == "AVX512"
            and cpu_vendor() == "AuthenticAMD")


def matmul_backend() -> str:
    """The kernel the float32 CPU matmuls use now: "onednn" or "blas"."""
    if len(_matmul_backend) == 1:  # resolve once per setting
        choice = _matmul_backend[0]
        if choice == "auto":
            choice = "onednn" if _mkl_lacks_avx512() else "blas"
        _matmul_backend.append("onednn" if choice == "onednn" and _onednn_works() else "blas")
    return _matmul_backend[1] if torch.backends.mkldnn.enabled else "blas"


def _onednn(a: Tensor, w: Tensor) -> bool:
    return (a.dtype == torch.float32 and a.device.type == "cpu"
            and min(w.shape) >= _ONEDNN_MIN_WIDTH and a.shape[0] >= _ONEDNN_MIN_WIDTH
            and matmul_backend() == "onednn")


def _linear(h: Tensor, w: Tensor, b: Tensor | None, relu: bool, ws: Workspace | None,
            name: str) -> Tensor:
    """relu?(h w^T + b) for w of shape (out, in), possibly a strided view."""
    if _onednn(h, w):
        return torch.ops.mkldnn._linear_pointwise(h, w, b, "relu" if relu else "none", [], "")
    out = _buffer(ws, name, (h.shape[0], w.shape[0]), h)
    if w.shape[0] == 1:  # one output: a matrix-vector product (a GEMM with N = 1 is slow)
        if b is None:
            torch.mv(h, w[0], out=out[:, 0])
        else:
            torch.addmv(b, h, w[0], out=out[:, 0])
    elif b is None:
        torch.mm(h, w.t(), out=out)
    else:
        torch.addmm(b, h, w.t(), out=out)
    return out.relu_() if relu else out


def _matmul(a: Tensor, m: Tensor, ws: Workspace | None, name: str) -> Tensor:
    """a @ m."""
    if _onednn(a, m):
        return torch.ops.mkldnn._linear_pointwise(a, m.t(), None, "none", [], "")
    if m.shape[0] == 1:  # an outer product
        return torch.mul(a, m, out=_buffer(ws, name, (a.shape[0], m.shape[1]), a))
    return torch.mm(a, m, out=_buffer(ws, name, (a.shape[0], m.shape[1]), a))


def _weight_grad(g: Tensor, h: Tensor, dw: Tensor) -> None:
    """dw <- g^T h (dw of shape (out, in), possibly a transposed view)."""
    if g.shape[1] == 1:
        torch.mv(h.t(), g[:, 0], out=dw[0])
    elif _onednn(h, dw):
        if dw.t().is_contiguous():  # an (in, out) buffer seen as (out, in): write h^T g
            dw.t().copy_(torch.ops.mkldnn._linear_pointwise(h.t(), g.t(), None, "none", [], ""))
        else:
            dw.copy_(torch.ops.mkldnn._linear_pointwise(g.t(), h.t(), None, "none", [], ""))
    elif dw.t().is_contiguous():  # an (in, out) buffer seen as (out, in): h^T g in place
        torch.mm(h.t(), g, out=dw.t())
    elif h.shape[1] <= _ONEDNN_MIN_WIDTH < g.shape[1]:  # h^T g, then transposed, is several
        dw.copy_(torch.mm(h.t(), g).t())                 # times faster than g^T h
    else:
        torch.mm(g.t(), h, out=dw)


def _relu_grad_(g: Tensor, h: Tensor) -> Tensor:
    """g * 1[h > 0], in place (h is a ReLU output)."""
    return torch.ops.aten.threshold_backward.grad_input(g, h, 0, grad_input=g)


# ---------------------------------------------------------------- one MLP
def relu_mlp_forward(x: Tensor, layers: Sequence[Layer], ws: Workspace | None = None,
                     name: str = "mlp") -> list[Tensor]:
    """The activations [h_1, ..., h_{L-1}, out] of the MLP at ``x`` (no graph is recorded
    when called under ``torch.no_grad``); ``out`` is the last entry.

    Parameters
    ----------
    x : Tensor, shape (B, in)
    layers : sequence of (W, b)
        W of shape (out, in) and b of shape (out,), as in ``nn.Linear``.
    ws : Workspace, optional
        Where to keep the activations (under ``name``); fresh tensors when None.
    """
    acts: list[Tensor] = []
    last = len(layers) - 1
    h = x
    for k, (w, b) in enumerate(layers):
        h = _linear(h, w, b, k < last, ws, f"{name}.h{k}")
        acts.append(h)
    return acts


def relu_mlp_backward(x: Tensor, layers: Sequence[Layer], acts: Sequence[Tensor],
                      grad_out: Tensor, grads: Sequence[Layer], ws: Workspace | None = None,
                      name: str = "mlp") -> None:
    """Write dloss/dW_k and dloss/db_k into ``grads`` (overwriting them), given
    ``grad_out`` = dloss/dout and the activations of :func:`relu_mlp_forward`.

    Parameters
    ----------
    x : Tensor, shape (B, in)
        The input of the forward pass.
    layers : sequence of (W, b)
        The parameters of the forward pass.
    acts : sequence of Tensor
        What :func:`relu_mlp_forward` returned for ``x`` (row slices of it are fine).
    grad_out : Tensor, shape (B, out)
        Gradient of the loss with respect to the output.
    grads : sequence of (dW, db)
        Buffers shaped like ``layers`` (for example the parameters' ``.grad``).
    ws : Workspace, optional
        Where to keep the intermediate gradients (under ``name``).
    """
    g = grad_out
    for k in range(len(layers) - 1, -1, -1):
        h_prev = acts[k - 1] if k > 0 else x
        dw, db = grads[k]
        _weight_grad(g, h_prev, dw)
        torch.sum(g, 0, out=db)
        if k > 0:
            g = _relu_grad_(_matmul(g, layers[k][0], ws, f"{name}.g{k}"), h_prev)


# ---------------------------------------------------------------- ensembles
def ensemble_relu_mlp_forward(x: Tensor, layers: Sequence[Layer], ws: Workspace | None = None,
                              name: str = "ensemble") -> list[list[Tensor]]:
    """The activations of every member of the ensemble at ``x``: entry k of the result is
    the list over members of h_{k+1} (shape (N, width)), the last entry the outputs. Run
    under ``torch.no_grad`` to record no graph.

    With oneDNN (float32 on a CPU where :func:`matmul_backend` chose it) the members run one
    after the other as 2-D matmuls, each activation a list over members; otherwise all
    members go through one batched matmul a layer (``baddbmm``: half the calls and
    elementwise ops of a member loop, 8-11% faster for SAC's twin critic with MKL), whose
    (E, N, width) result is handed out as its member views. A layer of width 1, a Q head, is
    a matrix-vector product per member.

    Parameters
    ----------
    x : Tensor, shape (N, in) or (E, N, in)
        One input shared by all members, or one per member.
    layers : sequence of (W, b)
        W of shape (E, in, out), b of shape (E, 1, out), as in ``EnsembleLinear``.
    ws : Workspace, optional
        Where to keep the activations (under ``name``); fresh tensors when None.
    """
    n_members = layers[0][0].shape[0]
    last = len(layers) - 1
    if _ensemble_batched(x):
        h = x.expand(n_members, -1, -1) if x.dim() == 2 else x
        batched: list[Tensor] = []
        for k, (w, b) in enumerate(layers):
            out = _buffer(ws, f"{name}.h{k}", (n_members, h.shape[1], w.shape[2]), h)
            if w.shape[2] == 1:  # a Q head: matrix-vector products
                for e in range(n_members):
                    torch.addmv(b[e, 0], h[e], w[e, :, 0], out=out[e, :, 0])
            else:
                torch.baddbmm(b, h, w, out=out)
            h = out.relu_() if k < last else out
            batched.append(h)
        return [list(t.unbind(0)) for t in batched]  # views: the backward finds the batch
    acts: list[list[Tensor]] = [[] for _ in layers]
    for e in range(n_members):  # member by member: its activations stay in cache
        h = x if x.dim() == 2 else x[e]
        for k, (w, b) in enumerate(layers):
            h = _linear(h, w[e].t(), b[e, 0], k < last, ws, f"{name}.h{k}.{e}")
            acts[k].append(h)
    return acts


def _as_batch(members: Sequence[Tensor]) -> Tensor:
    """The (E, N, width) tensor whose ``unbind(0)`` views ``members`` are (no copy), or their
    stack when they are separate tensors."""
    base = members[0]._base
    if (base is not None and base.dim() == 3 and base.shape[0] == len(members)
            and all(m._base is base and m.shape == base.shape[1:]
                    and m.stride() == base.stride()[1:] and m.data_ptr() == base[e].data_ptr()
                    for e, m in enumerate(members))):
        return base
    return torch.stack(list(members))


def _ensemble_batched(x: Tensor) -> bool:
    """Whether the ensemble passes batch the members (everywhere but oneDNN's path)."""
    return not (x.dtype == torch.float32 and x.device.type == "cpu"
                and matmul_backend() == "onednn")


def ensemble_relu_mlp_backward(
    x: Tensor, layers: Sequence[Layer], acts: Sequence[Sequence[Tensor]], grad_out: Tensor,
    grads: Sequence[Layer] | None = None, weight_rows: int | None = None,
    input_grad: tuple[int, int] | None = None, ws: Workspace | None = None,
    name: str = "ensemble",
) -> Tensor | None:
    """Backward pass of :func:`ensemble_relu_mlp_forward` given ``grad_out`` = dloss/dout.

    Writes dloss/dW_k and dloss/db_k into ``grads`` (overwriting them) when given, from the
    first ``weight_rows`` rows only when that is set: the rows after it carry a loss whose
    gradient should reach the input but not the parameters (SAC's actor loss sees the
    critic's parameters as constants), so one pass serves both.

    Parameters
    ----------
    x : Tensor, shape (N, in) or (E, N, in)
        The input of the forward pass.
    layers : sequence of (W, b)
        The parameters of the forward pass.
    acts : sequence of sequence of Tensor
        What :func:`ensemble_relu_mlp_forward` returned for ``x``.
    grad_out : Tensor, shape (E, N, out)
        Gradient of the loss with respect to the output.
    grads : sequence of (dW, db), optional
        Buffers shaped like ``layers``.
    weight_rows : int, optional
        Use rows ``[:weight_rows]`` for the parameter gradients (default: all rows).
    input_grad : (int, int), optional
        (r, c): return the block dloss/dx[r:, c:] of the gradient with respect to a shared
        input, summed over the members, shape (N - r, in - c).
    ws : Workspace, optional
        Where to keep the intermediate gradients (under ``name``).
    """
    n_members = layers[0][0].shape[0]
    rows = slice(None) if weight_rows is None else slice(0, weight_rows)
    if _ensemble_batched(x):
        return _ensemble_backward_batched(x, layers, acts, grad_out, grads, rows, input_grad,
                                          ws, name)
    dx: Tensor | None = None
    for e in range(n_members):
        g = grad_out[e]
        for k in range(len(layers) - 1, -1, -1):
            w = layers[k][0][e]  # (in, out)
            if grads is not None:
                h_prev = acts[k - 1][e] if k > 0 else (x if x.dim() == 2 else x[e])
                dw, db = grads[k]
                g_rows = g[rows]
                _weight_grad(g_rows, h_prev[rows], dw[e].t())
                torch.sum(g_rows, 0, keepdim=True, out=db[e])
            if k > 0:
                g = _relu_grad_(_matmul(g, w.t(), ws, f"{name}.g{k}.{e}"), acts[k - 1][e])
        if input_grad is not None:
            r, c = input_grad
            w_in = layers[0][0][e, c:]  # (in - c, H)
            if w_in.shape[0] == 1:  # one input column (SAC's action with A = 1)
                part = torch.mv(g[r:], w_in[0]).unsqueeze(-1)
            else:
                part = torch.mm(g[r:], w_in.t())
            dx = part if dx is None else dx.add_(part)
    return dx


def _ensemble_backward_batched(
    x: Tensor, layers: Sequence[Layer], acts: Sequence[Sequence[Tensor]], grad_out: Tensor,
    grads: Sequence[Layer] | None, rows: slice, input_grad: tuple[int, int] | None,
    ws: Workspace | None, name: str,
) -> Tensor | None:
    """:func:`ensemble_relu_mlp_backward` with every member in one batched matmul a layer:
    dloss/dW_k = h_{k-1}^T g_k and g_{k-1} = (g_k W_k^T) * 1[h_{k-1} > 0], member-wise."""
    n_members = layers[0][0].shape[0]
    stacked = [_as_batch(a) for a in acts[:-1]]  # the hidden layers' (the output's is unused)
    g = grad_out
    for k in range(len(layers) - 1, -1, -1):
        w = layers[k][0]  # (E, in, out)
        if grads is not None:
            if k > 0:
                h_prev = stacked[k - 1]
            else:
                h_prev = x.expand(n_members, -1, -1) if x.dim() == 2 else x
            dw, db = grads[k]
            g_rows, h_rows = g[:, rows], h_prev[:, rows]
            if w.shape[2] == 1:  # a Q head: one matrix-vector product per member
                for e in range(n_members):
                    torch.mv(h_rows[e].t(), g_rows[e, :, 0], out=dw[e, :, 0])
            else:
                torch.bmm(h_rows.transpose(1, 2), g_rows, out=dw)
            torch.sum(g_rows, 1, keepdim=True, out=db)
        if k > 0:
            out = _buffer(ws, f"{name}.g{k}", (n_members, g.shape[1], w.shape[1]), g)
            if w.shape[2] == 1:  # an outer product
                torch.mul(g, w.transpose(1, 2), out=out)
            else:
                torch.bmm(g, w.transpose(1, 2), out=out)
            g = _relu_grad_(out, stacked[k - 1])
    if input_grad is None:
        return None
    r, c = input_grad
    w_in = layers[0][0][:, c:]  # (E, in - c, H)
    if w_in.shape[1] == 1:  # one input column (SAC's action with A = 1)
        dx = torch.mv(g[0, r:], w_in[0, 0]).unsqueeze(-1)
        for e in range(1, n_members):
            dx.add_(torch.mv(g[e, r:], w_in[e, 0]).unsqueeze(-1))
        return dx
    return torch.bmm(g[:, r:], w_in.transpose(1, 2)).sum(0)


def ensemble_mlp_layers(net: nn.Module) -> list[Layer] | None:
    """The (W, b) pairs of ``net`` if it is exactly an :class:`softrl.nn.EnsembleMLP` (ReLU
    between layers) of :class:`softrl.nn.EnsembleLinear` layers, else None.

    W has shape (E, in, out) and b shape (E, 1, out).
    """
    from softrl.nn.mlp import EnsembleLinear, EnsembleMLP

    if type(net) is not EnsembleMLP:
        return None
    layers: list[Layer] = []
    for module in net.layers:
        if type(module) is not EnsembleLinear:
            return None
        layers.append((module.weight, module.bias))
    return layers


def clip_grad_norm_(grads: Sequence[Tensor], max_norm: float) -> Tensor:
    """Scale ``grads`` in place by min(1, max_norm / (||g|| + 1e-6)), ||g|| the norm of all of
    them together (``torch.nn.utils.clip_grad_norm_``'s rule, without its per-call walk over
    the module tree and with no host synchronization); returns ||g||."""
    norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    torch._foreach_mul_(grads, (max_norm / (norm + 1e-6)).clamp_(max=1.0))
    return norm

"""The hand-written ensemble MLP pass and the oneDNN matmul path against autograd."""

from pathlib import Path

import pytest
import torch

from softrl.nn import EnsembleMLP, mlp
from softrl.nn.manual import (
    Workspace,
    cpu_vendor,
    ensemble_mlp_layers,
    ensemble_relu_mlp_backward,
    ensemble_relu_mlp_forward,
    matmul_backend,
    onednn_available,
    relu_mlp_backward,
    relu_mlp_forward,
    relu_mlp_layers,
    set_matmul_backend,
)


@pytest.fixture
def backend():
    """Set the matmul backend for one test, then restore the default ("auto")."""
    yield set_matmul_backend
    set_matmul_backend("auto")


@pytest.mark.parametrize("out_dim,n_cols", [(1, 1), (3, 2)])
@pytest.mark.parametrize("shared_input", [True, False])
def test_ensemble_backward_matches_autograd(out_dim: int, n_cols: int,
                                            shared_input: bool) -> None:
    """Weight gradients from the first rows only, input gradient of the last columns."""
    torch.manual_seed(0)
    e, n, d_in, rows = 3, 10, 5, 6
    net = EnsembleMLP(e, d_in, (7, 6), out_dim).double()
    x = torch.randn(n, d_in, dtype=torch.float64) if shared_input \
        else torch.randn(e, n, d_in, dtype=torch.float64)
    x.requires_grad_(True)
    weight = torch.randn(e, n, out_dim, dtype=torch.float64)
    out = net(x)
    # parameters see rows [:rows] only; the input sees every row
    (out[:, :rows] * weight[:, :rows]).sum().backward(retain_graph=True)
    param_grads = [p.grad.clone() for p in net.parameters()]
    x.grad = None
    (out * weight).sum().backward()
    layers = ensemble_mlp_layers(net)
    assert layers is not None
    with torch.no_grad():
        ws = Workspace()
        acts = ensemble_relu_mlp_forward(x, layers, ws)
        grads = [(torch.full_like(w, 7.0), torch.full_like(b, 7.0)) for w, b in layers]
        dx = ensemble_relu_mlp_backward(x, layers, acts, weight, grads, weight_rows=rows,
                                        input_grad=(2, d_in - n_cols) if shared_input else None,
                                        ws=ws)
    got_out = torch.stack(acts[-1])
    torch.testing.assert_close(got_out, out.detach(), rtol=0, atol=1e-12)
    for got, want in zip([g for pair in grads for g in pair], param_grads, strict=True):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    if shared_input:
        assert dx is not None
        torch.testing.assert_close(dx, x.grad[2:, d_in - n_cols:], rtol=0, atol=1e-12)
    else:
        assert dx is None


def test_ensemble_layers_only_for_ensemble_mlps() -> None:
    assert ensemble_mlp_layers(mlp(2, (4,), 1)) is None
    assert len(ensemble_mlp_layers(EnsembleMLP(2, 3, (4, 4), 1)) or []) == 3


@pytest.mark.parametrize("name", ["onednn", "blas"])
def test_float32_paths_match_float64_autograd(name: str, backend) -> None:
    """Widths >= 16 in float32 take the chosen matmul kernel (oneDNN or torch's BLAS): the
    same numbers as float64 up to float32 rounding, for the single MLP and the ensemble,
    forward and backward."""
    if name == "onednn" and not onednn_available():
        pytest.skip("torch has no usable oneDNN linear here")
    backend(name)
    assert matmul_backend() == name
    torch.manual_seed(0)
    net = mlp(3, (64, 48), 2)
    x = torch.randn(40, 3)
    weight = torch.randn(40, 2)
    ref = mlp(3, (64, 48), 2).double()
    ref.load_state_dict(net.state_dict())
    (ref(x.double()) * weight.double()).sum().backward()
    layers = relu_mlp_layers(net)
    assert layers is not None
    with torch.no_grad():
        acts = relu_mlp_forward(x, layers)
        grads = [(torch.zeros_like(w), torch.zeros_like(b)) for w, b in layers]
        relu_mlp_backward(x, layers, acts, weight, grads)
    torch.testing.assert_close(acts[-1].double(), ref(x.double()).detach(), rtol=1e-4,
                               atol=1e-5)
    for got, p_ref in zip([g for pair in grads for g in pair], ref.parameters(), strict=True):
        torch.testing.assert_close(got.double(), p_ref.grad, rtol=1e-4, atol=1e-5)

    ens = EnsembleMLP(2, 4, (32, 32), 1)
    ens_ref = EnsembleMLP(2, 4, (32, 32), 1).double()
    ens_ref.load_state_dict(ens.state_dict())
    xe = torch.randn(50, 4)
    we = torch.randn(2, 50, 1)
    (ens_ref(xe.double()) * we.double()).sum().backward()
    layers_e = ensemble_mlp_layers(ens)
    assert layers_e is not None
    with torch.no_grad():
        acts_e = ensemble_relu_mlp_forward(xe, layers_e)
        grads_e = [(torch.zeros_like(w), torch.zeros_like(b)) for w, b in layers_e]
        ensemble_relu_mlp_backward(xe, layers_e, acts_e, we, grads_e)
    for got, p_ref in zip([g for pair in grads_e for g in pair], ens_ref.parameters(),
                          strict=True):
        torch.testing.assert_close(got.double(), p_ref.grad, rtol=1e-4, atol=1e-5)


def test_matmul_backend_auto_follows_the_cpu_and_rejects_unknown_names(backend) -> None:
    """"auto" is oneDNN exactly on AMD CPUs where torch runs AVX-512 kernels (a fixed rule,
    so a seed gives the same numbers from run to run); an unknown name is a ValueError naming
    the choices; turning oneDNN off in torch falls back to BLAS."""
    backend("auto")
    avx512 = torch.backends.cpu.get_cpu_capability() == "AVX512"
    amd = "AuthenticAMD" in _proc_cpuinfo()
    assert ("vendor_id" in _proc_cpuinfo()) == (f"vendor_id\t: {cpu_vendor()}\n" in _proc_cpuinfo())
    assert matmul_backend() == ("onednn" if avx512 and amd and onednn_available() else "blas")
    backend("blas")
    assert matmul_backend() == "blas"
    if onednn_available():
        backend("onednn")
        torch.backends.mkldnn.enabled = False
        try:
            assert matmul_backend() == "blas"
        finally:
            torch.backends.mkldnn.enabled = True
        assert matmul_backend() == "onednn"
    with pytest.raises(ValueError, match="'auto', 'onednn', 'blas'"):
        set_matmul_backend("mkl")


def test_batched_ensemble_pass_hands_out_member_views_and_takes_separate_tensors() -> None:
    """Off oneDNN's path the members go through one batched matmul a layer; the activations
    still come out as a list over members (views of one batch, which the backward pass uses
    without a copy), and separate per-member tensors give the same gradients."""
    torch.manual_seed(1)
    net = EnsembleMLP(3, 4, (8, 8), 1).double()
    layers = ensemble_mlp_layers(net)
    assert layers is not None
    x = torch.randn(12, 4, dtype=torch.float64)
    g = torch.randn(3, 12, 1, dtype=torch.float64)
    with torch.no_grad():
        acts = ensemble_relu_mlp_forward(x, layers)
        assert all(isinstance(a, list) and len(a) == 3 and a[0].shape == (12, a[0].shape[1])
                   for a in acts)
        assert acts[0][1]._base is acts[0][0]._base is not None
        grads_views = [(torch.zeros_like(w), torch.zeros_like(b)) for w, b in layers]
        dx_views = ensemble_relu_mlp_backward(x, layers, acts, g, grads_views, weight_rows=7,
                                              input_grad=(5, 2))
        copies = [[t.clone() for t in a] for a in acts]
        grads_copies = [(torch.zeros_like(w), torch.zeros_like(b)) for w, b in layers]
        dx_copies = ensemble_relu_mlp_backward(x, layers, copies, g, grads_copies,
                                               weight_rows=7, input_grad=(5, 2))
    assert dx_views is not None and dx_copies is not None
    torch.testing.assert_close(dx_views, dx_copies, rtol=0, atol=0)
    for (a, b), (c, d) in zip(grads_views, grads_copies, strict=True):
        torch.testing.assert_close(a, c, rtol=0, atol=0)
        torch.testing.assert_close(b, d, rtol=0, atol=0)


def _proc_cpuinfo() -> str:
    """/proc/cpuinfo's text ("" where there is none), read independently of softrl."""
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""

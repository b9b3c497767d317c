"""Amortized variational inference: a VAE on generated blob images (seed 004).

Each 10 x 10 binary image shows a Gaussian blob at a random position u in [-1, 1]^2 (pixels
switched on independently). A VAE with a 2-D latent learns the images' one real factor: its
encoder means q(z|x) line up with the true positions, and its test ELBO comes close to the
exact log-likelihood of the generating model (2-D quadrature), the best any model can score on
average.

    python examples/vae.py            # out/gallery/vae.png
    python examples/vae.py --quick    # a smaller run (the test's)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from softrl.plot._mpl import pyplot
from softrl.vi import VAE, blob_images, blob_log_evidence, blob_pixel_probs


def main(out_dir: str | Path = "out/gallery", fast: bool = False, seed: int = 0
         ) -> dict[str, float]:
    """Train, measure the test ELBO against the exact reference, draw the figure."""
    torch.set_num_threads(1)
    n_train, epochs = (2000, 30) if fast else (20_000, 100)
    x_train, _ = blob_images(n_train, seed=seed)
    x_test, u_test = blob_images(1000, seed=seed + 1)
    torch.manual_seed(seed)
    vae = VAE(100, latent_dim=2, hidden_sizes=(128, 128)).fit(
        x_train, epochs=epochs, batch_size=128, lr=2e-3, seed=seed)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        test_elbo = float(vae.elbo(x_test, 10, gen).mean())
        test_iw = float(vae.log_marginal(x_test, 1000, gen).mean())
        mean, _ = vae.encode(x_test)
        recon = torch.sigmoid(vae.decode(mean))
    reference = float(blob_log_evidence(x_test.numpy()).mean())
    # How well the latent encodes the true position: R^2 of a linear map z -> u.
    z = np.c_[mean.numpy(), np.ones(len(mean))]
    coef, *_ = np.linalg.lstsq(z, u_test.numpy(), rcond=None)
    resid = u_test.numpy() - z @ coef
    r2 = float(1 - resid.var() / u_test.numpy().var())
    z2 = np.c_[mean.numpy(), mean.numpy() ** 2, mean.numpy().prod(1, keepdims=True),
               np.ones(len(mean))]
    coef2, *_ = np.linalg.lstsq(z2, u_test.numpy(), rcond=None)
    r2_quad = float(1 - (u_test.numpy() - z2 @ coef2).var() / u_test.numpy().var())

    plt = pyplot()
    fig = plt.figure(figsize=(13, 4.4))
    grid = fig.add_gridspec(2, 3, width_ratios=[1.6, 1, 1])
    ax = fig.add_subplot(grid[:, 0])
    k = 8
    truth = blob_pixel_probs(u_test[:k].numpy())
    tiles = np.ones((3 * 11, k * 11))
    for i in range(k):
        tiles[0:10, i * 11:i * 11 + 10] = truth[i].reshape(10, 10)
        tiles[11:21, i * 11:i * 11 + 10] = x_test[i].reshape(10, 10).numpy()
        tiles[22:32, i * 11:i * 11 + 10] = recon[i].reshape(10, 10).numpy()
    ax.imshow(tiles, cmap="gray_r", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([5, 16, 27], ["true p(x | u)", "test x", "VAE p(x | mean z)"])
    ax.set_title(f"test ELBO {test_elbo:.2f} nats, IWAE(1000) {test_iw:.2f};\n"
                 f"exact log p(x) of the true model {reference:.2f}")
    for j, (name, col) in enumerate((("u_1", 0), ("u_2", 1))):
        a = fig.add_subplot(grid[:, 1 + j])
        sc = a.scatter(mean[:, 0], mean[:, 1], c=u_test[:, col], cmap="viridis", s=6)
        a.set_title(f"mean of q(z|x), colour: true {name}")
        a.set_xlabel("z_1")
        a.set_ylabel("z_2")
        fig.colorbar(sc, ax=a, fraction=0.046)
    fig.tight_layout()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "vae.png", dpi=110)
    plt.close(fig)
    result = {"test_elbo": test_elbo, "test_iwae": test_iw, "reference_log_px": reference,
              "latent_r2_linear": r2, "latent_r2_quadratic": r2_quad,
              "train_elbo_first": vae.history_[0], "train_elbo_last": vae.history_[-1]}
    for key, value in result.items():
        print(f"{key}: {value:.3f}")
    return result


if __name__ == "__main__":
    main(fast="--quick" in sys.argv)

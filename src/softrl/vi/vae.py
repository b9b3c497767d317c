"""A small variational autoencoder (Kingma and Welling 2014; seed 004):

    encoder q_phi(z|x) = N(mu_phi(x), diag sigma_phi(x)^2),  prior p(z) = N(0, I),
    decoder p_theta(x|z) = Bernoulli(sigmoid(f_theta(z))) or N(f_theta(z), diag sigma^2),
    max_{theta, phi} 1/N sum_i E_eps[log p_theta(x_i | mu_phi(x_i) + eps sigma_phi(x_i))]
                         - KL(q_phi(z|x_i) || p(z)).

Example
-------
>>> from softrl.vi import VAE, blob_images
>>> x, _ = blob_images(2000)
>>> vae = VAE(x.shape[1], latent_dim=2).fit(x, epochs=50)   # doctest: +SKIP
>>> vae.elbo(x).mean()                                       # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from softrl.nn import mlp
from softrl.vi.functional import (
    bernoulli_log_prob,
    gaussian_entropy,
    gaussian_kl,
    gaussian_log_prob,
    reparameterize,
    score_function_surrogate,
)

__all__ = ["VAE"]

_LIKELIHOODS = ("bernoulli", "gaussian")
_ESTIMATORS = ("reparam", "score")


class VAE(nn.Module):
    """Gaussian encoder, Bernoulli or Gaussian decoder, standard normal prior.

    Parameters
    ----------
    data_dim : int
        Width D of a data point.
    latent_dim : int
        Width d of z.
    hidden_sizes : sequence of int
        Hidden widths of the encoder and (reversed) of the decoder.
    likelihood : {"bernoulli", "gaussian"}
        Decoder family. The Gaussian decoder learns one log standard deviation per dimension.

    Attributes
    ----------
    history_ : list of float
        Mean training ELBO (nats per data point) after each epoch of :meth:`fit`.
    """

    def __init__(self, data_dim: int, latent_dim: int = 2, hidden_sizes: Sequence[int] = (128, 128),
                 likelihood: str = "bernoulli") -> None:
        super().__init__()
        for name, value in (("data_dim", data_dim), ("latent_dim", latent_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
        if likelihood not in _LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {_LIKELIHOODS}; got {likelihood!r}")
        self.data_dim, self.latent_dim, self.likelihood = data_dim, latent_dim, likelihood
        self.encoder = mlp(data_dim, tuple(hidden_sizes), 2 * latent_dim)
        self.decoder = mlp(latent_dim, tuple(reversed(hidden_sizes)), data_dim)
        self.decoder_log_std = nn.Parameter(torch.zeros(data_dim),
                                            requires_grad=likelihood == "gaussian")
        self.history_: list[float] = []

    def _check_x(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor) or x.dim() != 2 or x.shape[1] != self.data_dim:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"x must be a tensor of shape (N, {self.data_dim}); got {shape}")
        return x.to(self.decoder_log_std.dtype)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """q_phi(z|x): mean and log standard deviation, each (B, d) (log std clamped to
        [-10, 4])."""
        mean, log_std = self.encoder(self._check_x(x)).chunk(2, -1)
        return mean, log_std.clamp(-10.0, 4.0)

    def decode(self, z: Tensor) -> Tensor:
        """Decoder output f_theta(z): Bernoulli logits or Gaussian means, (..., D)."""
        return self.decoder(z)

    def log_likelihood_given_z(self, x: Tensor, z: Tensor) -> Tensor:
        """log p_theta(x|z) for z of shape (M, B, d); returns (M, B)."""
        out = self.decode(z)
        if self.likelihood == "bernoulli":
            return bernoulli_log_prob(x, out)
        return gaussian_log_prob(x, out, self.decoder_log_std)

    def elbo(self, x: Tensor, n_samples: int = 1, generator: torch.Generator | None = None,
             ) -> Tensor:
        """Reparameterized ELBO with the analytic KL, per data point, (B,):

        L = 1/M sum_j log p(x | mu + eps_j sigma) - KL(q(z|x) || N(0, I)).
        """
        x = self._check_x(x)
        mean, log_std = self.encode(x)
        z = reparameterize(mean, log_std, n_samples, generator)
        return self.log_likelihood_given_z(x, z).mean(0) - gaussian_kl(mean, log_std)

    def elbo_surrogate(self, x: Tensor, estimator: str = "reparam", n_samples: int = 1,
                       generator: torch.Generator | None = None) -> Tensor:
        """A per-point objective whose gradient estimates the ELBO's gradient, (B,).

        ``"reparam"``: the ELBO of :meth:`elbo` itself. ``"score"``: the decoder gets
        grad log p(x|z) at detached z, the encoder the score-function estimate
        grad log q(z|x) (r(x, z) - b) + grad H(q) of seed 004, with r = log p(x|z) + log p(z)
        and a leave-one-out baseline b (the mean r of the other samples; needs M >= 2).
        """
        if estimator not in _ESTIMATORS:
            raise ValueError(f"estimator must be one of {_ESTIMATORS}; got {estimator!r}")
        if estimator == "reparam":
            return self.elbo(x, n_samples, generator)
        if n_samples < 2:
            raise ValueError("the score-function estimator needs n_samples >= 2 (for its "
                             f"leave-one-out baseline); got {n_samples!r}")
        x = self._check_x(x)
        mean, log_std = self.encode(x)
        with torch.no_grad():
            z = reparameterize(mean, log_std, n_samples, generator)
        log_px = self.log_likelihood_given_z(x, z)
        zeros = torch.zeros_like(mean)
        reward = log_px.detach() + gaussian_log_prob(z, zeros, zeros)
        baseline = (reward.sum(0, keepdim=True) - reward) / (n_samples - 1)
        encoder_part = score_function_surrogate(gaussian_log_prob(z, mean, log_std), reward,
                                                gaussian_entropy(log_std), baseline)
        return log_px.mean(0) + encoder_part

    @torch.no_grad()
    def log_marginal(self, x: Tensor, n_samples: int = 1000,
                     generator: torch.Generator | None = None, chunk: int = 250) -> Tensor:
        """Importance-sampled log p(x) with q as proposal (IWAE bound, tight as M grows):
        log 1/M sum_j p(x|z_j) p(z_j) / q(z_j|x), (B,)."""
        x = self._check_x(x)
        mean, log_std = self.encode(x)
        zeros = torch.zeros_like(mean)
        parts = []
        for start in range(0, n_samples, chunk):
            m = min(chunk, n_samples - start)
            z = reparameterize(mean, log_std, m, generator)
            parts.append(self.log_likelihood_given_z(x, z) + gaussian_log_prob(z, zeros, zeros)
                         - gaussian_log_prob(z, mean, log_std))
        w = torch.cat(parts, 0)
        return torch.logsumexp(w, 0) - math.log(n_samples)

    def fit(self, x: Tensor, epochs: int = 100, batch_size: int = 128, lr: float = 1e-3,
            estimator: str = "reparam", n_samples: int = 1, seed: int = 0) -> VAE:
        """Maximize the mean ELBO of ``x`` with Adam; returns ``self``.

        Parameters
        ----------
        x : Tensor, shape (N, D)
        epochs, batch_size : int
            Passes over x and minibatch size.
        lr : float
            Adam step size.
        estimator : {"reparam", "score"}
            Gradient estimator of :meth:`elbo_surrogate`.
        n_samples : int
            z samples per point per step (>= 2 for "score").
        seed : int
            Seeds the shuffling and the noise: the same seed gives the same model.
        """
        x = self._check_x(x)
        for name, value in (("epochs", epochs), ("batch_size", batch_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
        if not lr > 0:
            raise ValueError(f"lr must be > 0; got {lr!r}")
        device = self.decoder_log_std.device
        x = x.to(device)
        gen = torch.Generator(device=device)
        gen.manual_seed(seed)
        optimizer = torch.optim.Adam([p for p in self.parameters() if p.requires_grad], lr=lr)
        for _ in range(epochs):
            order = torch.randperm(x.shape[0], generator=gen, device=device)
            total = 0.0
            for start in range(0, x.shape[0], batch_size):
                batch = x[order[start:start + batch_size]]
                objective = self.elbo_surrogate(batch, estimator, n_samples, gen)
                optimizer.zero_grad(set_to_none=True)
                (-objective.mean()).backward()
                optimizer.step()
                total += float(objective.detach().sum()) if estimator == "reparam" else 0.0
            if estimator == "reparam":
                self.history_.append(total / x.shape[0])
            else:
                with torch.no_grad():
                    self.history_.append(float(self.elbo(x, 1, gen).mean()))
        return self

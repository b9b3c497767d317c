"""Amortized variational inference (seed 004): ELBO estimators as pure functions, the
linear-Gaussian closed form that checks them, a small VAE and a generated dataset with an
exact likelihood."""

from softrl.vi.datasets import blob_images, blob_log_evidence, blob_pixel_probs
from softrl.vi.functional import (
    bernoulli_log_prob,
    elbo,
    gaussian_entropy,
    gaussian_kl,
    gaussian_kl_triangular,
    gaussian_log_prob,
    reparameterize,
    score_function_surrogate,
)
from softrl.vi.linear_gaussian import (
    LinearGaussianPosterior,
    kl_diag_to_full,
    linear_gaussian_posterior,
)
from softrl.vi.vae import VAE

__all__ = [
    "VAE",
    "LinearGaussianPosterior",
    "bernoulli_log_prob",
    "blob_images",
    "blob_log_evidence",
    "blob_pixel_probs",
    "elbo",
    "gaussian_entropy",
    "gaussian_kl",
    "gaussian_kl_triangular",
    "gaussian_log_prob",
    "kl_diag_to_full",
    "linear_gaussian_posterior",
    "reparameterize",
    "score_function_surrogate",
]

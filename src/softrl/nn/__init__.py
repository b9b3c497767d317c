"""Networks of the deep agents: MLPs (one forward loop), ensembles, critics, actors and a
recurrent core."""

from softrl.nn.actors import CategoricalActor, GaussianActor, SquashedGaussianActor
from softrl.nn.critics import DiscreteQNetwork, QEnsemble, ValueNetwork
from softrl.nn.mlp import MLP, EnsembleLinear, EnsembleMLP, mlp, mlp_forward
from softrl.nn.recurrent import RecurrentCore

__all__ = [
    "MLP",
    "CategoricalActor",
    "DiscreteQNetwork",
    "EnsembleLinear",
    "EnsembleMLP",
    "GaussianActor",
    "QEnsemble",
    "RecurrentCore",
    "SquashedGaussianActor",
    "ValueNetwork",
    "mlp",
    "mlp_forward",
]

"""softrl: reinforcement learning as probabilistic inference."""

__version__ = "0.1.0"

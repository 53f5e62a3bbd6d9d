"""lingrok's application layer: the command line, where theory's predictions meet numerics' simulations."""

__version__ = "0.1.0"

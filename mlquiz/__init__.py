"""mlquiz: machine-learning interview practice whose answers are proven by code."""

__version__ = "0.1.0"

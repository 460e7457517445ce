"""Rules-as-code for Norwegian municipal startlån."""

__version__ = "0.1.0"

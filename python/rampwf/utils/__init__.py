"""Helpers of rampwf that kits and submissions use: loading a Python file
as a module (what RAMP does with every submission file)."""
from .importing import import_module_from_source

__all__ = ['import_module_from_source']

"""Workflows: each ``mfgplan`` command's work, from typed options to a typed result."""

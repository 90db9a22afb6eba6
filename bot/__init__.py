"""Uptake: AI coding tool adoption, privately for each engineer and in aggregate for managers."""

"""Transfers: the archive from Zenodo, the package to the Hub."""

"""The synthetic sample archive, in the real layout, names, dtypes and value ranges."""

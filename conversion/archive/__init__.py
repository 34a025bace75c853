"""Read and check the source archive: its files, labels, splits, conditions and one index per config."""

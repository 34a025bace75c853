"""Reading a loaded Lens2Logit dataset for training: `pixels`, map-style rows, streams and `loader`."""

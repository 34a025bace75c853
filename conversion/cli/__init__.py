"""The `lens2logit` command line."""

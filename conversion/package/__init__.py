"""Write and check the Hub package: the config registry, shards, card, figures and infos."""

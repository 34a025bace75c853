"""Turn the Lens2Logit Zenodo archive into a Hugging Face Hub dataset package."""

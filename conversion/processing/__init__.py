"""The authors' twelve raw-processing pipelines: the recipe, a numpy reference and a batched torch port."""

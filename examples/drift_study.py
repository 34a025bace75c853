"""A drift study end to end: train a small car segmenter on one pipeline's views, then measure it at every
condition the camera could have produced.

    python examples/drift_study.py [--package /tmp/l2l-package] [--out /tmp/l2l-drift]

1. Train: the drone train split's raw tiles at full intensity, processed on the fly by one pipeline
   (`pixels(..., pipeline=)`), batched by `loader`, with their car masks.
2. Evaluate: `drift.evaluate` on the test split, over the 7 intensities x 12 pipelines, and the archive's
   stored views.
3. Write `drift.csv`, `drift.json`, `heatmap-iou.png` and `iou-by-intensity.png` into --out, and print the
   summary.

On the bundled sample (`lens2logit sample` + `convert`, the README's first command) this takes under a
minute on 2 cores. The sample is synthetic (cars are flat-coloured boxes on noise fields, 5 test tiles), so
its numbers show what the study measures, not what the real dataset or the paper gives.
"""

import argparse
from pathlib import Path

import numpy as np
import torch
from datasets import load_dataset

from lens2logit import drift, loader, pixels

PIPELINE = "bilinear-sharpening_filter-gaussian_denoising"


def small_segmenter() -> torch.nn.Module:
    """(B, 3, H, W) RGB -> (B, 1, H, W) logits of "car"."""
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 5, padding=2),
        torch.nn.ReLU(),
        torch.nn.Conv2d(16, 16, 5, padding=2),
        torch.nn.ReLU(),
        torch.nn.Conv2d(16, 1, 1),
    )


def train(model: torch.nn.Module, split, epochs: int) -> None:
    full = split.filter(lambda intensity: intensity == 1.0, input_columns=["intensity"])
    batches = loader(pixels(full, "torch", pipeline=PIPELINE, columns=["mask"]), batch_size=4, shuffle=True)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for epoch in range(epochs):
        total, tiles = 0.0, 0
        for batch in batches:
            masks = torch.from_numpy(np.stack([np.asarray(mask, dtype=np.float32) for mask in batch["mask"]]))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(batch["rgb"])[:, 0], masks)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total, tiles = total + loss.item() * len(masks), tiles + len(masks)
        if (epoch + 1) % 10 == 0 or epoch + 1 == epochs:
            print(f"epoch {epoch + 1}/{epochs}: loss {total / tiles:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="/tmp/l2l-package", help="a package folder or Hub id")
    parser.add_argument("--out", type=Path, default=Path("/tmp/l2l-drift"), help="folder for the report's files")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--intensities", type=float, nargs="+", help="default: all 7")
    parser.add_argument("--pipelines", nargs="+", help="default: all 12")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    dataset = load_dataset(args.package, "drone")
    model = small_segmenter()
    train(model, dataset["train"], args.epochs)
    report = drift.evaluate(
        {PIPELINE: model},
        dataset["test"],
        intensities=args.intensities,
        pipelines=args.pipelines,
        rows="views",
        reference=(1.0, PIPELINE),
        source=args.package,
        progress=False,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    report.to_csv(args.out / "drift.csv")
    report.to_json(args.out / "drift.json")
    report.heatmap("iou").savefig(args.out / "heatmap-iou.png", dpi=100)
    report.plot_intensity("iou").savefig(args.out / "iou-by-intensity.png", dpi=100)
    print(report)
    print(f"wrote drift.csv, drift.json, heatmap-iou.png and iou-by-intensity.png to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Facts about the Lens2Logit data, defined once for the builder, the converter, the card and the
synthetic sample generator."""

HOMEPAGE = "https://aiaudit.org/lens2logit/"
ZENODO_RECORD_ID = 5235536
ZENODO_DOI = "10.5281/zenodo.5235536"
LICENSE = "cc-by-4.0"
DATE_PUBLISHED = "2021-08-27"  # the date of the data page
DATA_VERSION = "2.1.0"  # the package's data contract (docs/formats.md: "The data contract"); 2.1 added label_order
CITATION = """\
@article{oala2023data,
  title   = {Data Models for Dataset Drift Controls in Machine Learning With Optical Images},
  author  = {Oala, Luis and Aversa, Marco and Nobis, Gabriel and Willis, Kurt and
             Neuenschwander, Yoan and Buck, Mich{\\`e}le and Matek, Christian and
             Extermann, Jerome and Pomarico, Enrico and Samek, Wojciech and
             Murray-Smith, Roderick and Clausen, Christoph and Sanguinetti, Bruno},
  journal = {Transactions on Machine Learning Research},
  year    = {2023},
}
@dataset{lens2logit_zenodo,
  title     = {Lens2Logit: Raw-Microscopy and Raw-Drone datasets},
  publisher = {Zenodo},
  doi       = {10.5281/zenodo.5235536},
  url       = {https://doi.org/10.5281/zenodo.5235536},
}
"""

# What a user of any config must know (the card's "Known limitations", Croissant's rai:dataLimitations).
LIMITATIONS = (
    "The six lower intensities were generated from the full-intensity capture with JetRaw Data Suite (the "
    "authors' description), not captured again.",
    "The microscopy mosaics were made from three filtered captures (450/525/620 nm), rescaled per channel and "
    "sub-sampled into an RGGB pattern, not read off a colour-filter sensor.",
    "Raw values are as recorded: no black level subtracted, no white balance applied.",
)
# How the data is skewed, in the authors' words (Croissant's rai:dataBiases).
DATA_BIASES = (
    "Microscopy: slides of healthy humans without known hematologic pathology; candidates for rare leukocyte "
    "types were imaged preferentially, to soften class imbalance, so class frequencies are not those of blood.",
    "Drone: 12 frames from one camera (DJI Mavic 2 Pro, Hasselblad L1D-20c) at one height (250 m), so the tiles "
    "share its optics, sensor and scale; tiles cut from one frame are correlated.",
)

# The archive's two datasets, each a top-level folder (and the word naming its files on Zenodo).
DATASET_FOLDERS = ("microscopy", "drone")

TILE_SHAPE = (256, 256)
BAYER_PATTERN = "RGGB"

# Acquisition and the parameters the authors' processing pipelines use (black level per RGGB channel
# in normalised units, white balance RGB, 3x3 colour matrix row-major, normalisation after processing).
CAMERA = {
    "microscopy": {
        "sensor": "PCO edge 5.5 (2560x2160 CMOS), 16-bit; 40x/0.95 NA objective; colour from filters at "
        "450/525/620 nm, rescaled per channel and sub-sampled into an RGGB mosaic",
        "bayer_pattern": BAYER_PATTERN,
        "black_level": [9.834368023181512e-06] * 4,
        "white_balance": [-0.6567, 1.9673, 3.5304],
        "colour_matrix": [-2.0338, 0.0933, 0.4157, -0.0286, 2.6464, -0.0574, -0.5516, -0.0947, 2.9308],
        "mean": [0.91, 0.84, 0.94],
        "std": [0.08, 0.12, 0.05],
    },
    "drone": {
        "sensor": "DJI Mavic 2 Pro, Hasselblad L1D-20c (Sony IMX183, 2.4 um pixels); f/8, ISO 200; "
        "12-bit values left-justified to 16 bits; 6 cm per pixel at 250 m",
        "bayer_pattern": BAYER_PATTERN,
        "black_level": [0.0625, 0.0626, 0.0625, 0.0626],
        "white_balance": [2.86653646, 1.0, 1.73079425],
        "colour_matrix": [
            1.50768983, -0.33571374, -0.17197604, -0.23048614, 1.70698738,
            -0.47650126, -0.03119153, -0.32803956, 1.35923111,
        ],
        "mean": [0.35, 0.36, 0.35],
        "std": [0.12, 0.11, 0.12],
    },
}  # fmt: skip

# Fraction of the full exposure; folder `raw_scaleXXX` with XXX = round(100 * intensity).
INTENSITIES = (0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 1.00)
FULL_INTENSITY = 1.00

DEMOSAICING = ("bilinear", "malvar2004", "menon2007")
SHARPENING = ("sharpening_filter", "unsharp_masking")
DENOISING = ("gaussian_denoising", "median_denoising")
# Canonical view names `<demosaicing>-<sharpening>-<denoising>`, in nested (and sorted) order.
PROCESSED_VIEWS = tuple(f"{d}-{s}-{n}" for d in DEMOSAICING for s in SHARPENING for n in DENOISING)
RAW_VIEW = "raw"
VIEW_NAMES = (RAW_VIEW, *PROCESSED_VIEWS)
CONDITIONS_PER_IMAGE = len(INTENSITIES) + len(PROCESSED_VIEWS)  # rows of one image in a config with views

# The 9 leukocyte classes present in Raw-Microscopy (sorted codes = ClassLabel ids 0..8) and the
# number of images of each in the published archive.
MICROSCOPY_CLASS_COUNTS = {
    "BAS": 18, "EOS": 54, "KSC": 163, "LYA": 30, "LYT": 230,
    "MON": 191, "NGB": 8, "NGS": 216, "UNC": 30,
}  # fmt: skip
MICROSCOPY_CLASSES = tuple(sorted(MICROSCOPY_CLASS_COUNTS))
# The authors' loader keeps codes of this allow-list that have at least AUTHORS_MIN_CLASS_SIZE lines in
# the label file (their classes, sorted, are the label ids) and drops every other line and this invalid image.
AUTHORS_ALLOWED_CODES = (
    "BAS", "EBO", "EOS", "KSC", "LYA", "LYT", "MMZ", "MOB", "MON", "MYB", "MYO", "NGB", "NGS", "PMB", "PMO", "UNC",
)  # fmt: skip
AUTHORS_MIN_CLASS_SIZE = 5
AUTHORS_EXCLUDED_IMAGES = ("Ma190c_lame3_zone13_composite_Mcropped_2",)
MICROSCOPY_LABEL_FILE = "Ma190c_annotations.dat"

# Raw-Drone: 548 tiles with cars, cut from 12 full frames.
DRONE_TILES = 548
# The authors' car / no-car set: per frame, the 256-grid cells whose mask is empty (`no_car`) or more than
# CAR_THRESHOLD car (`car`), the larger class cut to the size of the smaller after random.seed(SELECTION_SEED).
DRONE_CLASSES = ("car", "no_car")
CAR_THRESHOLD = 0.01
SELECTION_SEED = 72
DRONE_CLASSIFICATION_TILES = 930

# The authors' split protocol: StratifiedShuffleSplit(train_size=0.8, random_state=1).
TRAIN_FRACTION = 0.8
SPLIT_SEED = 1
SPLITS = ("train", "test")

PREVIEW_SIZE = (128, 128)
FRAME_PREVIEW_SIZE = (512, 512)  # full frames: the Hub viewer's first page of `drone_full` shows them
ROWS_PER_ROW_GROUP = 100
MAX_ROW_GROUP_BYTES = 100 * 2**20
MAX_SHARD_BYTES = 500 * 2**20

"""Every tolerance and every error of the archive layout: each error names the file or line."""

import io
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tifffile

from _lens2logit.archive.microscopy import index_microscopy
from _lens2logit.archive.reader import Archive
from _lens2logit.errors import (
    ArchiveLayoutError,
    ArchiveNotFoundError,
    ImageFormatError,
    LabelFileError,
    UnsafeArchiveError,
)
from _lens2logit.facts import MICROSCOPY_LABEL_FILE, PROCESSED_VIEWS
from _lens2logit.package.convert import convert

IMAGES = Path("microscopy/images")
LABELS = Path("microscopy/labels") / MICROSCOPY_LABEL_FILE


@pytest.fixture
def archive(archive_dir, tmp_path):
    copy = tmp_path / "archive"
    shutil.copytree(archive_dir, copy)
    return copy


def first_image(archive: Path, folder: str = "raw_scale100") -> Path:
    return sorted((archive / IMAGES / folder).iterdir())[0]


def index(source):
    with Archive(source) as opened:
        return index_microscopy(opened)


def write_zip(path: Path, members: dict[str, bytes], link: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive_zip:
        for name, data in members.items():
            archive_zip.writestr(name, data)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = 0o120777 << 16
            archive_zip.writestr(info, "microscopy/labels")
    return path


@pytest.mark.parametrize("member", ["../evil.tiff", "/abs/microscopy/x.tiff", "lens2logit/../../x"])
def test_unsafe_member_paths_are_rejected(tmp_path, member):
    path = write_zip(tmp_path / "bad.zip", {"microscopy/labels/a.dat": b"", member: b"x"})
    with pytest.raises(UnsafeArchiveError, match=rf"bad\.zip:{member.replace('.', '[.]')}"):
        Archive(path)


def test_zip_links_are_rejected(tmp_path):
    path = write_zip(tmp_path / "bad.zip", {"microscopy/labels/a.dat": b""}, link="microscopy/link")
    with pytest.raises(UnsafeArchiveError, match=r"bad\.zip:microscopy/link: member is a link"):
        Archive(path)


def test_folder_links_are_rejected(archive):
    link = archive / IMAGES / "raw_scale100" / "link.tiff"
    link.symlink_to(first_image(archive))
    with pytest.raises(UnsafeArchiveError, match="link.tiff: links are not allowed"):
        Archive(archive)


def test_missing_archive(tmp_path):
    with pytest.raises(ArchiveNotFoundError, match="nowhere: no such file or folder"):
        Archive(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArchiveNotFoundError, match="empty: holds no microscopy/ or drone/ folder"):
        Archive(tmp_path / "empty")


def test_stray_files_are_ignored(archive, archive_dir):
    (archive / ".DS_Store").write_bytes(b"\0")
    (archive / IMAGES / "raw_scale100" / "Thumbs.db").write_bytes(b"\0")
    (archive / IMAGES / "raw_scale100" / "._x.tiff").write_bytes(b"\0")
    (archive / "__MACOSX" / "microscopy").mkdir(parents=True)
    (archive / "__MACOSX" / "microscopy" / "junk.tiff").write_bytes(b"\0")
    assert index(archive).images == index(archive_dir).images


def test_zip_without_top_folder_and_folder_of_zips(archive_dir, archive_zip_dir, tmp_path):
    members = {str(p.relative_to(archive_dir)): p.read_bytes() for p in archive_dir.rglob("*") if p.is_file()}
    flat = write_zip(tmp_path / "flat.zip", members)
    expected = index(archive_dir)
    for source in (flat, archive_zip_dir, [flat]):
        found = index(source)
        assert found.images == expected.images
        assert [c.files.keys() for c in found.conditions] == [c.files.keys() for c in expected.conditions]


def test_file_in_two_zips_is_an_error(tmp_path):
    first = write_zip(tmp_path / "a.zip", {"microscopy/labels/x.dat": b""})
    second = write_zip(tmp_path / "b.zip", {"lens2logit/microscopy/labels/x.dat": b""})
    with pytest.raises(
        ArchiveLayoutError,
        match=r"present twice, in .*a\.zip:microscopy/labels/x\.dat and .*b\.zip",
    ):
        Archive([first, second])


def test_folder_name_tolerances(archive, archive_dir):
    images = archive / IMAGES
    (images / "raw_scale075").rename(images / "raw_scale0075")
    views = images / "processed_views"
    (views / "bilinear_sharpening_filter_gaussian_denoising").rename(views / "BISGA")
    (views / "menon2007_unsharp_masking_median_denoising").rename(views / "Menon2007 Unsharp-Masking median")
    raw = first_image(archive)
    raw.rename(raw.with_suffix(".TIF"))
    found = index(archive)
    assert [c.name for c in found.conditions] == [c.name for c in index(archive_dir).conditions]
    assert {c.name: len(c.files) for c in found.conditions} == {
        c.name: len(c.files) for c in index(archive_dir).conditions
    }


def test_unknown_pipeline_folder_lists_the_names_understood(archive):
    views = archive / IMAGES / "processed_views"
    (views / "bilinear_sharpening_filter_gaussian_denoising").rename(views / "pipeline_A")
    with pytest.raises(ArchiveLayoutError, match=r"processed_views/pipeline_A/.*folder 'pipeline_A'.*'bisga'"):
        index(archive)


def test_bad_intensity_folder(archive):
    (archive / IMAGES / "raw_scale005").rename(archive / IMAGES / "raw_scale007")
    with pytest.raises(ArchiveLayoutError, match=r"raw_scale007/.*'raw_scale007' is not an intensity folder"):
        index(archive)


def test_two_folders_for_one_intensity(archive):
    shutil.copytree(archive / IMAGES / "raw_scale075", archive / IMAGES / "raw_scale0075")
    with pytest.raises(ArchiveLayoutError, match="raw_scale0075 and .*raw_scale075 both hold raw_scale075"):
        index(archive)


def test_unexpected_file(archive):
    (archive / IMAGES / "notes.tiff").write_bytes(b"x")
    with pytest.raises(ArchiveLayoutError, match=r"images/notes\.tiff: unexpected file"):
        index(archive)


def test_label_file_crlf_and_blank_lines_are_accepted(archive, archive_dir):
    labels = archive / LABELS
    labels.write_bytes(b"\r\n" + labels.read_bytes().replace(b"\n", b"\r\n") + b"\r\n\r\n")
    assert index(archive).images == index(archive_dir).images


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("Ma190c_lame1_zone1_composite_Mcropped_9 LYT extra", "expected '<image name> <CLASS>'"),
        ("Ma190c_lame1_zone1_composite_Mcropped_9 lyt", "class 'lyt' is not a class code"),
        ("Ma190c_lame1_zone1_composite_Mcropped_9 LYTX", "class 'LYTX' is not a class code"),
        ("Ma190c_lame1_zone1_composite_Mcropped_9 L1T", "class 'L1T' is not a class code"),
    ],
)
def test_bad_label_lines_name_the_line(archive, line, message):
    labels = archive / LABELS
    lines = labels.read_text().splitlines()
    labels.write_text("\n".join([*lines[:3], line, *lines[3:]]) + "\n")
    with pytest.raises(LabelFileError, match=rf"{MICROSCOPY_LABEL_FILE}:4: {message}"):
        index(archive)


def test_label_file_that_is_not_text(archive):
    (archive / LABELS).write_bytes(b"Ma190c_lame1 \xff\xfe LYT\n")
    with pytest.raises(LabelFileError, match=rf"{MICROSCOPY_LABEL_FILE}: not UTF-8 text"):
        index(archive)


def test_duplicate_label_names_both_lines(archive):
    labels = archive / LABELS
    lines = labels.read_text().splitlines()
    labels.write_text("\n".join([*lines, lines[1]]) + "\n")
    with pytest.raises(LabelFileError, match=rf":{len(lines) + 1}: image .* labelled again \(first at .*:2\)"):
        index(archive)


def test_label_without_image(archive):
    labels = archive / LABELS
    labels.write_text(labels.read_text() + "Ma190c_lame9_zone9_composite_Mcropped_9 LYT\n")
    count = len(labels.read_text().splitlines())
    with pytest.raises(LabelFileError, match=rf":{count}: no image 'Ma190c_lame9_zone9_composite_Mcropped_9'"):
        index(archive)
    with Archive(archive) as opened:
        allowed = index_microscopy(opened, allow_missing=True)
    assert len(allowed.skipped) == 1
    assert "Ma190c_lame9_zone9" in allowed.skipped[0]


def test_image_without_label(archive, archive_dir):
    labels = archive / LABELS
    lines = labels.read_text().splitlines()
    unlabelled = lines[0].split()[0]
    labels.write_text("\n".join(lines[1:]) + "\n")
    with pytest.raises(LabelFileError, match=rf"raw_scale100/{unlabelled}\.tiff: image has no label"):
        index(archive)
    with Archive(archive) as opened:
        allowed = index_microscopy(opened, allow_missing=True)
    assert unlabelled not in allowed.images
    assert len(allowed.images) == len(index(archive_dir).images) - 1
    assert all(unlabelled not in c.files for c in allowed.conditions)


def test_intensity_folder_with_fewer_images(archive):
    missing = first_image(archive, "raw_scale025")
    missing.unlink()
    with pytest.raises(
        ArchiveLayoutError,
        match=rf"raw_scale025: 1 image\(s\) of raw_scale100 missing: {missing.stem}",
    ):
        index(archive)
    with Archive(archive) as opened:
        allowed = index_microscopy(opened, allow_missing=True)
    lacking = [c.name for c in allowed.conditions if missing.stem not in c.files]
    assert lacking == ["raw_scale025"]
    assert allowed.num_rows("train") + allowed.num_rows("test") == len(allowed.images) * 19 - 1


def test_missing_view_folder(archive):
    shutil.rmtree(archive / IMAGES / "processed_views" / PROCESSED_VIEWS[-1].replace("-", "_"))
    with pytest.raises(ArchiveNotFoundError, match=f"no folder for {PROCESSED_VIEWS[-1]}"):
        index(archive)


def test_image_not_in_full_intensity_folder(archive):
    extra = archive / IMAGES / "raw_scale010" / "Ma190c_lame9_zone9_composite_Mcropped_9.tiff"
    shutil.copy(first_image(archive, "raw_scale010"), extra)
    with pytest.raises(
        ArchiveLayoutError,
        match=r"raw_scale010/Ma190c_lame9_zone9_composite_Mcropped_9\.tiff: no such image",
    ):
        index(archive)


def tiff(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            tiff(np.zeros((128, 256), np.uint16)),
            r"expected uint16/float32/float64 of shape \(256, 256\), found uint16 of shape \(128, 256\)",
        ),
        (
            tiff(np.zeros((256, 256), np.uint8)),
            r"expected uint16/float32/float64 of shape \(256, 256\), found uint8",
        ),
        (b"not a tiff at all", "cannot read as TIFF"),
    ],
)
def test_bad_raw_image_names_the_file_and_leaves_no_output(archive, tmp_path, data, message):
    bad = first_image(archive, "raw_scale001")
    bad.write_bytes(data)
    out = tmp_path / "package"
    with pytest.raises(ImageFormatError, match=rf"raw_scale001/{bad.name}: {message}"):
        convert(archive, out, progress=False)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["archive"]  # no staging folder left behind


def test_views_of_mixed_dtypes(archive):
    folder = archive / IMAGES / "processed_views" / "menon2007_unsharp_masking_median_denoising"
    bad = sorted(folder.iterdir())[0]
    bad.unlink()
    (folder / f"{bad.stem}.tiff").write_bytes(tiff(np.zeros((256, 256, 3), np.uint16)))
    with pytest.raises(ImageFormatError, match=rf"{bad.stem}\.tiff: view is uint16 but the other views are uint8"):
        convert(archive, archive.parent / "package", progress=False)

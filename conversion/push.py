"""Upload a converted package to a dataset repository on the Hub, after `check` passes."""

import logging
from pathlib import Path

from huggingface_hub import HfApi

from conversion.errors import Lens2LogitError
from conversion.package_check import check_package

logger = logging.getLogger(__name__)


class PackageCheckError(Lens2LogitError, ValueError):
    """The package fails `lens2logit check`, so it is not pushed."""


def push(package: Path, repo_id: str, token: str | None = None, private: bool = False) -> str:
    """Check `package`, create the dataset repository `repo_id` if needed and upload the package; returns its URL.

    Re-running after an interruption uploads only what is missing.
    """
    package = Path(package)
    report = check_package(package)
    if report.problems:
        shown = "\n  ".join(report.problems[:10])
        raise PackageCheckError(
            f"{package}: not pushed, `lens2logit check` found {len(report.problems)} problem(s):\n  {shown}"
        )
    api = HfApi(token=token)
    url = api.create_repo(repo_id, repo_type="dataset", exist_ok=True, private=private)
    upload_large_folder = getattr(api, "upload_large_folder", None)
    if upload_large_folder is not None:  # huggingface_hub < 2: resumable multi-commit upload
        upload_large_folder(repo_id=repo_id, folder_path=package, repo_type="dataset")
    else:  # huggingface_hub >= 2: upload_folder itself streams resumable multi-commit uploads
        api.upload_folder(
            repo_id=repo_id, folder_path=package, repo_type="dataset", commit_message="Upload the Lens2Logit package"
        )
    logger.info("pushed %s (%d shards) to %s", package, report.shards, url)
    return str(url)

"""Upload a converted package to a dataset repository on the Hub, after `check` passes."""

import logging
from pathlib import Path

from huggingface_hub import HfApi

from ..errors import PackageCheckError, PushError
from ..package.check import check_package
from ..package.files import package_configs
from ..package.hub_id import check_hub_id

logger = logging.getLogger(__name__)


def _upload(api: HfApi, package: Path, repo_id: str) -> None:
    upload_large_folder = getattr(api, "upload_large_folder", None)
    if upload_large_folder is not None:  # huggingface_hub < 2: resumable multi-commit upload
        upload_large_folder(repo_id=repo_id, folder_path=package, repo_type="dataset")
    else:  # huggingface_hub >= 2: upload_folder itself streams resumable multi-commit uploads
        api.upload_folder(
            repo_id=repo_id, folder_path=package, repo_type="dataset", commit_message="Upload the Lens2Logit package"
        )


def push(package: Path, repo_id: str, token: str | None = None, private: bool = False) -> str:
    """Check `package`, create the dataset repository `repo_id` if needed and upload the package; returns its URL.

    Re-running after an interruption uploads only what is missing.
    """
    package = Path(package)
    check_hub_id(repo_id)
    package_configs(package)  # a clear error for a missing folder or an archive
    report = check_package(package)
    if report.problems:
        shown = "\n  ".join(report.problems[:10])
        raise PackageCheckError(
            f"{package}: not pushed, `lens2logit check` found {len(report.problems)} problem(s):\n  {shown}"
        )
    api = HfApi(token=token)
    try:
        url = api.create_repo(repo_id, repo_type="dataset", exist_ok=True, private=private)
        _upload(api, package, repo_id)
    except Exception as exc:  # the client's own network and HTTP errors differ between huggingface_hub versions
        raise PushError(
            f"{package}: not pushed to {repo_id} at {api.endpoint}: {type(exc).__name__}: {exc}. "
            "Check the network, HF_ENDPOINT and the token (`hf auth login` or --token); a second run resumes"
        ) from None
    logger.info("pushed %s (%d shards) to %s", package, report.shards, url)
    return str(url)

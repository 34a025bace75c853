"""Hub repository ids: the default one the card's snippets load, and the check of a given one."""

from huggingface_hub.utils import HFValidationError, validate_repo_id

from ..errors import InvalidArgumentError

DEFAULT_HUB_ID = "lens2logit/lens2logit"


def check_hub_id(hub_id: str) -> str:
    """`hub_id` if it is a Hub repository id `ORG/NAME`; an error naming it otherwise."""
    try:
        validate_repo_id(hub_id)
    except HFValidationError as exc:
        raise InvalidArgumentError(f"{hub_id!r} is not a Hub repository id ORG/NAME: {exc}") from None
    if hub_id.count("/") != 1:
        raise InvalidArgumentError(f"{hub_id!r} is not a Hub repository id ORG/NAME: give the organisation or user too")
    return hub_id

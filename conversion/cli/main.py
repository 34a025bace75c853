"""The `lens2logit` command's entry point: errors as one line, signals as interruptions."""

import logging
import signal
import sys

from ..errors import Lens2LogitError
from .parser import build_parser

PACKAGE_LOGGER = __name__.partition(".")[0]  # this package's modules log under their module names


class Stopped(KeyboardInterrupt):
    """A termination signal, handled like Ctrl-C: staging folders are removed on the way out."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame) -> None:
    raise Stopped(signum)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger(PACKAGE_LOGGER).setLevel(logging.INFO)  # ours at INFO; libraries' request logs stay quiet
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        return args.run(args)
    except Lens2LogitError as error:
        print(f"lens2logit: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a folder that cannot be written, a full disk, a missing path
        where = f"{error.filename}: " if error.filename else ""
        print(f"lens2logit: error: {where}{error.strerror or error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:
        signum = getattr(stop, "signum", signal.SIGINT)
        print(f"lens2logit: stopped by {signal.Signals(signum).name}", file=sys.stderr)
        return 128 + signum
    finally:
        signal.signal(signal.SIGTERM, previous)

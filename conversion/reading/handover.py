"""Batches handed from torch DataLoader workers to the main process through shared-memory buffers each worker
reuses. Writing a batch into new shared memory costs more than reading it (every page is faulted in afresh),
and every shared tensor a worker sends passes a file descriptor through a socket. So a worker writes each
tensor of a batch into a free buffer of its own and sends the buffer once, then only its number; `loader`
gives the main process's tensors on the buffers themselves, and a buffer is free again once every tensor on
it is gone."""

import os
import secrets

import numpy as np

BUFFERS_PER_WORKER = 16  # a few tensors a batch, for the DataLoader's default prefetch of 2 batches a worker

_received: dict[str, dict] = {}  # in the main process: each worker's `free` flags and buffers, by pool token


class _Loan(np.ndarray):
    """A received buffer as numpy, under the tensor `Lent.take` gives: torch keeps it as long as any tensor on
    the buffer lives, and the buffer is freed when it goes."""

    def __del__(self):
        if "free" in self.__dict__:  # the loan itself, not a numpy view of it
            self.free[self.number] = 1


class Lent:
    """A tensor in a worker's shared buffer, sent in its place. Where it is received, the buffer is freed once
    the tensor `take` gives is gone (or at once, when the tensor is copied or never taken); until then the
    worker leaves the buffer alone."""

    def __init__(self, pool: "_Pool", number: int, tensor):
        self.tensor, self._pool, self._number, self._lender = tensor, pool, number, os.getpid()
        self._free = pool.free

    def take(self):
        """The tensor, on the buffer itself."""
        import torch

        loan = self.tensor.numpy().view(_Loan)
        loan.free, loan.number = self._free, self._number
        self.tensor = None  # the buffer is the loan's now
        return torch.from_numpy(loan)

    def pin_memory(self, device=None):
        """The tensor copied out into pinned memory (what a DataLoader with `pin_memory=True` asks for)."""
        tensor = self.tensor.pin_memory()
        self._give_back()
        return tensor

    def _give_back(self) -> None:
        if os.getpid() != self._lender and self.tensor is not None:
            self._free[self._number] = 1
            self.tensor = None

    def __del__(self):
        self._give_back()

    def __getstate__(self) -> dict:
        """What crosses to the main process: the buffer's number, and the buffer and flags only the first time."""
        pool, number = self._pool, self._number
        state = {"pool": pool.token, "number": number, "shape": tuple(self.tensor.shape), "dtype": self.tensor.dtype}
        if number not in pool.sent:
            pool.sent.add(number)
            state |= {"buffer": pool.buffers[number], "free": pool.free}
        return state | {"lender": self._lender}

    def __setstate__(self, state: dict) -> None:
        if state["pool"] not in _received:
            _forget_ended_workers()
            _received[state["pool"]] = {"buffers": {}}
        pool = _received[state["pool"]]
        if "buffer" in state:
            pool["buffers"][state["number"]], pool["free"] = state["buffer"], state["free"]
        self.tensor = _tensor_on(pool["buffers"][state["number"]], state["dtype"], state["shape"])
        self._pool, self._number, self._lender = state["pool"], state["number"], state["lender"]
        self._free = pool["free"]


def _tensor_on(storage, dtype, shape: tuple[int, ...]):
    """A tensor of `dtype` and `shape` on `storage`, from its start."""
    import torch

    return torch.empty(0, dtype=dtype).set_(storage, 0, shape)


def _forget_ended_workers() -> None:
    """Drop the buffers of workers that have ended (their tokens start with their process id): tensors on
    them keep them as long as they live."""
    for token in [token for token in _received if not _is_running(int(token.split("-")[0]))]:
        del _received[token]


def _is_running(process: int) -> bool:
    try:
        os.kill(process, 0)
    except ProcessLookupError:
        return False
    return True


class _Pool:
    """One worker's buffers, each made on first need, and which of them are free."""

    def __init__(self):
        import torch

        self.token = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.buffers, self.sent = [], set()
        self.free = torch.ones(BUFFERS_PER_WORKER, dtype=torch.uint8).share_memory_()

    def lend(self, shape: tuple[int, ...], dtype) -> Lent | None:
        """An empty tensor of `shape` and `dtype` in the smallest free buffer that holds it (a new one when none
        does), None when every buffer is lent."""
        import torch

        size = int(np.prod(shape)) * dtype.itemsize
        fits = [(b.nbytes(), n) for n, b in enumerate(self.buffers) if self.free[n] and b.nbytes() >= size]
        if fits:
            number = min(fits)[1]
        elif len(self.buffers) < BUFFERS_PER_WORKER:
            self.buffers.append(torch.UntypedStorage._new_shared(size))  # as torch's own collate makes its batches
            number = len(self.buffers) - 1
        else:
            return None
        self.free[number] = 0
        return Lent(self, number, _tensor_on(self.buffers[number], dtype, shape))


_pool: _Pool | None = None  # this worker's, made on its first batch


def shared_tensor(array: np.ndarray, dtype, lend: bool):
    """`array` as a torch tensor of `dtype` in shared memory, inside a DataLoader worker; with `lend`, a `Lent`
    in one of this worker's buffers when one is free (for `loader`, which takes it)."""
    import torch

    global _pool
    if lend and _pool is None:
        _pool = _Pool()
    lent = _pool.lend(array.shape, dtype) if lend else None
    if lent is None:
        tensor = _tensor_on(torch.UntypedStorage._new_shared(array.size * dtype.itemsize), dtype, array.shape)
    np.copyto((lent.tensor if lent else tensor).numpy(), array)
    return lent or tensor


def taken(batch: dict) -> dict:
    """A batch from a worker with each lent tensor taken."""
    return {name: value.take() if isinstance(value, Lent) else value for name, value in batch.items()}

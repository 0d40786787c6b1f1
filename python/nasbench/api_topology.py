"""``nats_bench.api_topology``: the topology space's API class and file names.

``NATStopology(file_path_or_dict=None, fast_mode=False, verbose=True)`` opens what
``create(file_path_or_dict, 'tss', fast_mode, verbose)`` opens (a ``.pickle.pbz2``
file, a ``-simple`` directory in fast mode, or a nasbench cache); with None, the
default under ``$TORCH_HOME`` (``ALL_BASE_NAMES[-1]``), as nats_bench.
"""
from ._core import NASBench201API

__all__ = ["ALL_BASE_NAMES", "NATStopology"]

ALL_BASE_NAMES = ["NATS-tss-v1_0-3ffb9"]


class NATStopology(NASBench201API):
    """nats_bench's API of the topology search space (tss): 15,625 cells, hps '12' and '200'."""

    def __init__(self, file_path_or_dict=None, fast_mode=False, verbose=True):
        super().__init__(file_path_or_dict, "tss", fast_mode, verbose)

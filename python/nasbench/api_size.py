"""``nats_bench.api_size``: the size space's API class and file names.

``NATSsize(file_path_or_dict=None, fast_mode=False, verbose=True)`` opens what
``create(file_path_or_dict, 'sss', fast_mode, verbose)`` opens (a ``.pickle.pbz2``
file, a ``-simple`` directory in fast mode, or a nasbench cache); with None, the
default under ``$TORCH_HOME`` (``ALL_BASE_NAMES[-1]``), as nats_bench.
"""
from ._core import NASBench201API

__all__ = ["ALL_BASE_NAMES", "NATSsize"]

ALL_BASE_NAMES = ["NATS-sss-v1_0-50262"]


class NATSsize(NASBench201API):
    """nats_bench's API of the size search space (sss): 32,768 channel configurations, hps '01', '12', '90'."""

    def __init__(self, file_path_or_dict=None, fast_mode=False, verbose=True):
        super().__init__(file_path_or_dict, "sss", fast_mode, verbose)

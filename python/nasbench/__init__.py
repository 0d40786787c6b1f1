"""nasbench: the NAS-Bench-201 / NATS-Bench Python APIs (nas_201_api, nats_bench) on nasbench's tables.

``NASBench201API(path)`` as nas_201_api, ``create(path, 'tss'|'sss', fast_mode)`` as
nats_bench.create, and ``load(path, hps=, datasets=, final_epoch_only=, float32=)`` for
nasbench's own options. The reference packages' modules are here under the same
names: ``nats_bench.api_utils`` is ``nasbench.api_utils``, ``nats_bench.genotype_utils``
is ``nasbench.genotype_utils`` (python/README.md has the whole porting table).

The engine is the compiled ``nasbench._core`` (the C++ library); this package adds
the reference packages' module layout and their pure-Python helpers.
"""
from . import _core
from ._core import (ArchResults, ArchResultsFloat, Error, LoadError, NASBench201API, NASBench201APIFloat,
                    ParseError, QueryError, ResultsCount, ResultsCountFloat, __version__, _random_transfer,
                    load, search, write_cache)

# The classes were defined in nasbench._core; they are nasbench's (reprs, help(), pickling errors).
for _cls in (ArchResults, ArchResultsFloat, NASBench201API, NASBench201APIFloat, ResultsCount, ResultsCountFloat):
    _cls.__module__ = __name__
del _cls

from . import api_size, api_topology, api_utils, genotype_utils  # noqa: E402  (they import _core's names)
from .api_size import NATSsize  # noqa: E402
from .api_topology import NATStopology  # noqa: E402
from .api_utils import pickle_load, pickle_save  # noqa: E402

# nats_bench's module-level names.
NATS_BENCH_API_VERSIONs = ["v1.0", "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8"]
NATS_BENCH_SSS_NAMEs = ("sss", "size")
NATS_BENCH_TSS_NAMEs = ("tss", "topology")


def version():
    """The nats_bench API version whose behaviour nasbench follows (nasbench's own: __version__)."""
    return NATS_BENCH_API_VERSIONs[-1]


def create(file_path_or_dict, search_space, fast_mode=False, verbose=False):
    """nats_bench.create: a NATStopology ('tss' / 'topology') or a NATSsize ('sss' / 'size') of
    file_path_or_dict (a .pickle.pbz2 file, a directory in fast mode, or a nasbench cache; None:
    nats_bench's default under $TORCH_HOME, else ~/.torch). fast_mode=True reads a directory's
    architecture files on first use. nasbench: search_space=None opens whichever space the file holds."""
    if search_space in NATS_BENCH_TSS_NAMEs:
        return NATStopology(file_path_or_dict, fast_mode, verbose)
    if search_space in NATS_BENCH_SSS_NAMEs:
        return NATSsize(file_path_or_dict, fast_mode, verbose)
    return _core.create(file_path_or_dict, search_space, fast_mode, verbose)


def search_space_info(main_tag, aux_tag):
    """nats_bench.search_space_info: the candidates of 'nats-bench' ('sss' / 'tss' and their long
    names) and 'nas-bench-201' (aux_tag None)."""
    nats_sss = dict(candidates=[8, 16, 24, 32, 40, 48, 56, 64], num_layers=5)
    nats_tss = dict(op_names=["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"], num_nodes=4)
    if main_tag == "nats-bench":
        if aux_tag in NATS_BENCH_SSS_NAMEs:
            return nats_sss
        if aux_tag in NATS_BENCH_TSS_NAMEs:
            return nats_tss
        raise ValueError("Unknown auxiliary tag: {:}".format(aux_tag))
    if main_tag == "nas-bench-201":
        if aux_tag is not None:
            raise ValueError("For NAS-Bench-201, the auxiliary tag should be None.")
        return nats_tss
    raise ValueError("Unknown main tag: {:}".format(main_tag))

"""The helpers of ``nats_bench.api_utils`` and ``nas_201_api.api_utils``:
``from nats_bench.api_utils import time_string`` ports as
``from nasbench.api_utils import time_string``.

The results classes are nasbench's (``ArchResults``, ``ResultsCount``), and
``NASBenchMetaAPI`` is the API class itself, so ``isinstance(api,
NASBenchMetaAPI)`` holds for every benchmark nasbench opens. The file-system
switch (``reset_file_system('google')``) applies to these helpers, as in
nats_bench; nasbench's own readers read local paths.
"""
import bz2
import os
import pickle
import time

from ._core import ArchResults, NASBench201API, ResultsCount, _remap_dataset_set_names

__all__ = ["PICKLE_EXT", "mean", "time_string", "reset_file_system", "get_file_system", "get_torch_home",
           "nats_is_dir", "nats_is_file", "pickle_save", "pickle_load", "remap_dataset_set_names",
           "NASBenchMetaAPI", "ArchResults", "ResultsCount"]

PICKLE_EXT = "pickle.pbz2"
_FILE_SYSTEM = "default"

NASBenchMetaAPI = NASBench201API


def mean(xlist):
    """Python's sum() / len(): nats_bench's mean (not numpy's pairwise sum)."""
    return sum(xlist) / len(xlist)


def time_string():
    """'[YYYY-MM-DD HH:MM:SS]' in UTC: the prefix of nats_bench's messages."""
    return "[{:}]".format(time.strftime("%Y-%m-%d %X", time.gmtime(time.time())))


def reset_file_system(lib="default"):
    global _FILE_SYSTEM
    _FILE_SYSTEM = lib


def get_file_system():
    return _FILE_SYSTEM


def _unknown_file_system():
    return ValueError("Unknown file system lib: {:}".format(_FILE_SYSTEM))


def get_torch_home():
    """$TORCH_HOME, else $HOME/.torch: where create(None, ...) looks for the benchmark files."""
    if "TORCH_HOME" in os.environ:
        return os.environ["TORCH_HOME"]
    if "HOME" in os.environ:
        return os.path.join(os.environ["HOME"], ".torch")
    raise ValueError("Did not find HOME in os.environ. Please at least setup the path of HOME or TORCH_HOME "
                     "in the environment.")


def nats_is_dir(file_path):
    if _FILE_SYSTEM == "default":
        return os.path.isdir(file_path)
    if _FILE_SYSTEM == "google":
        import tensorflow as tf
        return tf.io.gfile.isdir(file_path)
    raise _unknown_file_system()


def nats_is_file(file_path):
    if _FILE_SYSTEM == "default":
        return os.path.isfile(file_path)
    if _FILE_SYSTEM == "google":
        import tensorflow as tf
        return tf.io.gfile.exists(file_path) and not tf.io.gfile.isdir(file_path)
    raise _unknown_file_system()


def pickle_save(obj, file_path, ext=".pbz2", protocol=4):
    """Pickles `obj` into the bz2 file `file_path + ext`."""
    if _FILE_SYSTEM != "default":
        raise _unknown_file_system()
    with bz2.BZ2File(str(file_path) + ext, "wb") as f:
        pickle.dump(obj, f, protocol=protocol)


def pickle_load(file_path, ext=".pbz2"):
    """Unpickles the bz2 file `file_path`, or `file_path + ext` when `file_path` is no file."""
    path = str(file_path) if nats_is_file(str(file_path)) else str(file_path) + ext
    if _FILE_SYSTEM == "default":
        with bz2.BZ2File(path, "rb") as f:
            return pickle.load(f)
    if _FILE_SYSTEM == "google":
        import tensorflow as tf
        return pickle.loads(bz2.decompress(tf.io.gfile.GFile(file_path, mode="rb").read()))
    raise _unknown_file_system()


def remap_dataset_set_names(dataset, metric_on_set, verbose=False):
    """find_best's names: ('cifar10', 'valid') -> ('cifar10-valid', 'x-valid'), ('cifar10', 'test') ->
    ('cifar10', 'ori-test'); for cifar100 and ImageNet16-120 'valid' / 'test' -> 'x-valid' / 'x-test'."""
    if verbose:
        print("Call internal function _remap_dataset_set_names with dataset={:} and metric_on_set={:}".format(
            dataset, metric_on_set))
    if isinstance(dataset, str) and isinstance(metric_on_set, str):  # other values match no rule
        dataset, metric_on_set = _remap_dataset_set_names(dataset, metric_on_set)
    if verbose:
        print("  return dataset={:} and metric_on_set={:}".format(dataset, metric_on_set))
    return dataset, metric_on_set

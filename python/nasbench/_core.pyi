"""nasbench: the NAS-Bench-201 / NATS-Bench Python APIs (nas_201_api, nats_bench) on nasbench's tables.

Type stubs of the compiled module (python/src/module.cpp). Names, argument names
and defaults are those of the original APIs; nasbench additions are marked.
"""
import os

import numpy
from collections import OrderedDict
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union, overload

__version__: str

Hp = Union[str, int]  # "12", "200" (tss); "01", "12", "90" (sss); an int is str(hp)
Arch = Union[int, str, Any]  # an index, an architecture string, or an object with tostr()
PathLike = Union[str, "os.PathLike[str]"]

class Error(Exception):
    """Base class of every error nasbench raises."""

class QueryError(Error, KeyError, IndexError, ValueError, AssertionError):
    """A query the benchmark cannot answer; also each built-in the original APIs raise there."""

class LoadError(Error, OSError, ValueError, AssertionError):
    """A file that cannot be read or does not fit the schema, or a bad create() argument."""

class ParseError(Error, ValueError, AssertionError):
    """A string (architecture, argument) that does not parse."""

class ResultsCount:
    """One training run (one architecture, dataset and seed): Python's ResultsCount."""
    name: str
    seed: int
    epochs: int
    params: float
    flop: float
    eval_names: List[str]
    train_acc1es: Dict[int, float]  # epoch -> value, as the file stores them (a new dict each read)
    train_acc5es: Optional[Dict[int, float]]  # None where the file has None (or an empty dict)
    train_losses: Dict[int, float]
    train_times: Optional[Dict[int, float]]
    eval_acc1es: Dict[str, float]  # 'x-valid@0', ...: each set's epochs, set after set
    eval_losses: Dict[str, float]
    eval_times: Dict[str, float]  # {} where the file has None or {}
    latency: Optional[List[float]]
    def get_train(self, iepoch: Optional[int] = None) -> Dict[str, Any]: ...
    def get_eval(self, name: str, iepoch: Optional[int] = None) -> Dict[str, Any]: ...
    def get_times(self) -> Dict[str, Optional[float]]: ...
    def get_latency(self) -> float: ...
    def get_total_epoch(self) -> int: ...
    def get_config(self, str2structure: Optional[Callable[[str], Any]] = None) -> Dict[str, Any]: ...
    def get_net_param(self, clone: bool = False) -> Optional["OrderedDict[str, Any]"]:
        """The trained weights: an OrderedDict name -> torch.Tensor (numpy arrays without torch), or None."""

class ArchResults:
    """All runs of one architecture under one schedule: Python's ArchResults."""
    arch_index: int
    arch_str: str
    clear_net_done: bool
    def get_dataset_names(self) -> List[str]: ...
    def get_dataset_seeds(self, dataset: str) -> List[int]: ...
    def get_metrics(self, dataset: str, setname: str, iepoch: Optional[int] = None,
                    is_random: Union[bool, int] = False) -> Dict[str, Any]: ...
    def get_compute_costs(self, dataset: str) -> Dict[str, Optional[float]]: ...
    def get_latency(self, dataset: str) -> float: ...
    def get_total_epoch(self, dataset: Optional[str] = None) -> int: ...
    def arch_idx_str(self) -> str: ...
    @overload
    def query(self, dataset: str, seed: None = None) -> Dict[int, ResultsCount]: ...
    @overload
    def query(self, dataset: str, seed: int) -> ResultsCount: ...
    def get_net_param(self, dataset: str, seed: Optional[int] = None) -> Any: ...
    def reset_latency(self, dataset: str, seed: Optional[int], latency: Optional[float]) -> None: ...
    def reset_pseudo_train_times(self, dataset: str, seed: Optional[int], estimated_per_epoch_time: float) -> None: ...
    def reset_pseudo_eval_times(self, dataset: str, seed: Optional[int], eval_name: str,
                                estimated_per_epoch_time: float) -> None: ...
    def clear_params(self) -> None: ...

class ResultsCountFloat(ResultsCount):
    """ResultsCount of a float32 load (not a subclass at run time)."""

class ArchResultsFloat(ArchResults):
    """ArchResults of a float32 load (not a subclass at run time)."""

class NASBench201API:
    """The benchmark: nas_201_api's NASBench201API for a .pth, nats_bench's NATStopology /
    NATSsize for a NATS-Bench file or directory (see class_name); a nasbench cache keeps
    the semantics it was written from."""
    def __init__(self, file_path_or_cache: Optional[PathLike] = None, verbose: bool = False) -> None:
        """None: nas_201_api's default file, $TORCH_HOME/NAS-Bench-201-v1_1-096897.pth."""
    def __len__(self) -> int: ...
    def __getitem__(self, index: int) -> str: ...
    def __iter__(self) -> Iterator[str]: ...
    def arch(self, index: int) -> str: ...
    @property
    def meta_archs(self) -> List[str]: ...
    @property
    def evaluated_indexes(self) -> List[int]: ...
    def query_index_by_arch(self, arch: Arch) -> int: ...
    def query_meta_info_by_index(self, arch_index: Arch, hp: Hp = "12") -> ArchResults: ...
    @overload
    def query_by_index(self, arch_index: Arch, dataname: None = None, hp: Hp = "12") -> ArchResults: ...
    @overload
    def query_by_index(self, arch_index: Arch, dataname: str, hp: Hp = "12") -> Dict[int, ResultsCount]: ...
    def get_more_info(self, index: Arch, dataset: str, iepoch: Optional[int] = None, hp: Hp = "12",
                      is_random: Union[bool, int] = True) -> Dict[str, Any]:
        """is_random=True draws one seed from Python's random module (random.seed(k) reproduces
        the original API's answers), or from the API's own engine after seed(s)."""
    def get_cost_info(self, index: Arch, dataset: str, hp: Hp = "12") -> Dict[str, Optional[float]]: ...
    def get_latency(self, index: Arch, dataset: str, hp: Hp = "12") -> Optional[float]: ...
    def find_best(self, dataset: str, metric_on_set: str, FLOP_max: Optional[float] = None,
                  Param_max: Optional[float] = None, hp: Hp = "12", enforce_all: Optional[bool] = None, *,
                  flop_max: Optional[float] = None, param_max: Optional[float] = None
                  ) -> Tuple[int, Optional[float]]:
        """(index, accuracy) or (-1, None). nats_bench's flop_max / param_max are accepted as keywords."""
    def statistics(self, dataset: str, hp: Hp) -> Dict[int, int]: ...
    def column(self, dataset: str, metric_on_set: str, hp: Hp = "200", metric: str = "accuracy",
               iepoch: Optional[int] = None) -> "numpy.ndarray":
        """nasbench: float64 array over all architectures of the seed-mean metric (NaN: no value);
        dataset / set remapped as find_best does."""
    def costs(self, dataset: str, hp: Hp = "200") -> Dict[str, "numpy.ndarray"]:
        """nasbench: {'flops', 'params', 'latency'} float64 arrays over all architectures (NaN: none)."""
    def get_net_config(self, index: Arch, dataset: str) -> Dict[str, Any]: ...
    def get_net_param(self, index: Arch, dataset: str, seed: Optional[int], hp: Hp = "12") -> Any:
        """One run's weights (OrderedDict name -> torch.Tensor, numpy arrays without torch; None without
        weights), or a dict seed -> weights for seed=None."""
    def reload(self, archive_root: Optional[PathLike] = None, index: Optional[int] = None) -> None:
        """Results and weights of `index` (None: all) from the -full archives in archive_root (required)."""
    def simulate_train_eval(self, arch: Arch, dataset: str, iepoch: Optional[int] = None, hp: Hp = "12",
                            account_time: bool = True
                            ) -> Tuple[Optional[float], Optional[float], float, Union[int, float]]: ...
    @property
    def used_time(self) -> Union[int, float]: ...
    def reset_time(self) -> None: ...
    def random(self) -> int: ...
    def seed(self, s: Optional[int]) -> None:
        """nasbench: draw from the API's own engine seeded with s (as random.seed(s)); None: Python's random."""
    def get_unique_str(self, index: Arch) -> str: ...
    def show(self, index: int = -1) -> None: ...
    def query_info_str_by_arch(self, arch: Arch, hp: Hp = "12") -> Optional[str]: ...
    def query_by_arch(self, arch: Arch, hp: Hp) -> Optional[str]:
        """query_info_str_by_arch(arch, hp), the old name (hp required)."""
    def clear_params(self, index: Arch, hp: Optional[Hp] = None) -> None: ...
    @property
    def avaliable_hps(self) -> List[str]: ...
    @property
    def search_space_name(self) -> str: ...
    @property
    def fast_mode(self) -> bool: ...
    @property
    def archive_dir(self) -> Optional[str]: ...
    @property
    def full_train_epochs(self) -> int: ...
    @property
    def full_epochs_in_paper(self) -> int: ...
    @property
    def is_size(self) -> bool: ...
    @property
    def is_topology(self) -> bool: ...
    @property
    def class_name(self) -> str:
        """nasbench: NASBench201API, NATStopology or NATSsize (whose semantics the answers follow)."""
    @property
    def filename(self) -> str: ...
    def reset_archive_dir(self, xdir: str) -> None: ...
    def reset_fast_mode(self, fast_mode: bool) -> None: ...
    @staticmethod
    def str2lists(arch_str: str) -> List[Tuple[Tuple[str, int], ...]]: ...
    @staticmethod
    def str2matrix(arch_str: str, search_space: Optional[List[str]] = None) -> "numpy.ndarray": ...

class NASBench201APIFloat(NASBench201API):
    """The benchmark with float32 tables (load(..., float32=True)); not a subclass at run time."""
    def query_meta_info_by_index(self, arch_index: Arch, hp: Hp = "12") -> ArchResultsFloat: ...

def create(file_path_or_dict: Optional[PathLike], search_space: Optional[str], fast_mode: bool = False,
           verbose: bool = False) -> NASBench201API:
    """nats_bench.create: search_space 'tss'/'topology' or 'sss'/'size' (None: whichever the file holds).
    file_path_or_dict=None: nats_bench's default file (or -simple directory in fast mode) under $TORCH_HOME."""

def load(path: PathLike, hps: Optional[List[Hp]] = None, datasets: Optional[List[str]] = None,
         final_epoch_only: bool = False, float32: bool = False) -> Union[NASBench201API, NASBench201APIFloat]:
    """nasbench: load with options (only these hps / datasets, last epoch only, float32 tables)."""

def write_cache(api: Union[NASBench201API, NASBench201APIFloat], path: PathLike) -> None:
    """nasbench: writes api as a cache file (as `nasbench convert`); NASBench201API(path) opens it in milliseconds."""

class search:
    """nasbench: the submodule nasbench.search (a module at run time; `import nasbench.search` works).

    NAS on the benchmark's tables as AutoDL-Projects' exps/NATS-algos scripts run it, with simulated
    training (simulate_train_eval and the recorded times): the same traces as `nasbench search`, and for
    RS, REA and REINFORCE the scripts' own traces with --rand_seed. Each function returns one Trace
    (runs=None) or a list of `runs` Traces with seeds seed, seed+1, ...; the GIL is released meanwhile.
    """
    ALGORITHMS: Tuple[str, str, str, str]

    class Trace:
        """One search run: its evaluations in order and the best architecture after each."""
        algo: str
        space: str
        dataset: str
        hp: str
        seed: int
        time_budget: float
        options: Dict[str, Any]
        history: List[Tuple[int, float, float]]
        indexes: List[int]
        total_time_cost: List[float]
        current_best_index: List[int]
        best_index: int
        best_arch: Optional[str]
        total_time: float
        test_accuracy: Optional[float]
        def __len__(self) -> int: ...
        def to_dict(self) -> Dict[str, Any]:
            """The run as `nasbench search --json` prints it."""

    @staticmethod
    def random_search(api: Union[NASBench201API, NASBench201APIFloat], dataset: str = "cifar10",
                      time_budget: Optional[float] = None, hp: Hp = "12", seed: int = 0,
                      runs: Optional[int] = None, threads: int = 1) -> Any:
        """random_wo_share.py: a Trace, or a list of Traces when runs is given."""
    @staticmethod
    def regularized_evolution(api: Union[NASBench201API, NASBench201APIFloat], dataset: str = "cifar10",
                              time_budget: Optional[float] = None, hp: Hp = "12", seed: int = 0,
                              runs: Optional[int] = None, threads: int = 1, ea_population: int = 10,
                              ea_sample_size: int = 3, ea_cycles: int = 200) -> Any:
        """regularized_ea.py: a Trace, or a list of Traces when runs is given."""
    @staticmethod
    def reinforce(api: Union[NASBench201API, NASBench201APIFloat], dataset: str = "cifar10",
                  time_budget: Optional[float] = None, hp: Hp = "12", seed: int = 0,
                  runs: Optional[int] = None, threads: int = 1, learning_rate: float = 0.01,
                  EMA_momentum: float = 0.9) -> Any:
        """reinforce.py (nasbench's torch-free policy): a Trace, or a list of Traces when runs is given."""
    @staticmethod
    def bohb(api: Union[NASBench201API, NASBench201APIFloat], dataset: str = "cifar10",
             time_budget: Optional[float] = None, hp: Hp = "12", seed: int = 0, runs: Optional[int] = None,
             threads: int = 1, num_samples: int = 4, random_fraction: float = 0.0, bandwidth_factor: float = 3.0,
             min_bandwidth: float = 0.3, n_iters: int = 300) -> Any:
        """bohb.py (hpbandster's BOHB): a Trace, or a list of Traces when runs is given."""

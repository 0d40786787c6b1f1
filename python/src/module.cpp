// The Python module `nasbench`: nas_201_api / nats_bench's API on nasbench's
// tables. Every query is BasicAPI's (nasbench/api.hpp); this file only turns
// Python arguments into the C++ ones and the answers into the Python objects
// the original APIs return (dicts in Python's key order, tuples, int vs float,
// None), in the same shapes as nasbench/json/records.hpp. Torch-free.
#include <pybind11/eval.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "nasbench/api.hpp"
#include "nasbench/cache/write.hpp"
#include "nasbench/version.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace {

using nasbench::ArchRef;
using nasbench::Hp;
using nasbench::Random;
using nasbench::SeedChoice;

// ---- exceptions ---------------------------------------------------------------

// The Python classes, made once at import (they live as long as the interpreter).
PyObject* g_error = nullptr;
PyObject* g_query_error = nullptr;
PyObject* g_load_error = nullptr;
PyObject* g_parse_error = nullptr;

// Where the original APIs raise KeyError (unknown hp, dataset, seed, index in
// a dict), ValueError (bad arguments, nats_bench's create) or AssertionError
// (their `assert`s), nasbench raises one QueryError: it derives from each, so
// a script's `except KeyError:` / `except ValueError:` / `except
// AssertionError:` / `except IndexError:` keeps working. __str__ is
// Exception's, so the message is not quoted as KeyError's would be.
constexpr const char* kExceptions = R"PY(
class Error(Exception):
    """Base class of every error nasbench raises (the C++ nasbench::Error)."""
    __module__ = 'nasbench'

class QueryError(Error, KeyError, IndexError, ValueError, AssertionError):
    """A query the benchmark cannot answer (unknown dataset, hp, seed, set, index or epoch).

    Derives from the built-ins the original APIs raise at those places (KeyError,
    IndexError, ValueError, AssertionError), so existing ``except`` clauses work."""
    __module__ = 'nasbench'
    __str__ = Exception.__str__

class LoadError(Error, OSError, ValueError, AssertionError):
    """A file that cannot be read or does not fit the benchmark schema, or a bad
    argument to create() (nats_bench raises ValueError / AssertionError there)."""
    __module__ = 'nasbench'
    __str__ = Exception.__str__

class ParseError(Error, ValueError, AssertionError):
    """A string (architecture, argument) that does not parse."""
    __module__ = 'nasbench'
)PY";

void make_exceptions(py::module_& m) {
  py::dict ns;
  ns["__builtins__"] = py::module_::import("builtins");
  py::exec(kExceptions, ns);
  for (const char* name : {"Error", "QueryError", "LoadError", "ParseError"}) m.attr(name) = ns[name];
  g_error = ns["Error"].ptr();
  g_query_error = ns["QueryError"].ptr();
  g_load_error = ns["LoadError"].ptr();
  g_parse_error = ns["ParseError"].ptr();
  for (PyObject* p : {g_error, g_query_error, g_load_error, g_parse_error}) Py_INCREF(p);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const nasbench::QueryError& e) {
      PyErr_SetString(g_query_error, e.what());
    } catch (const nasbench::LoadError& e) {
      PyErr_SetString(g_load_error, e.what());
    } catch (const nasbench::ParseError& e) {
      PyErr_SetString(g_parse_error, e.what());
    } catch (const nasbench::Error& e) {
      PyErr_SetString(g_error, e.what());
    }
  });
}

[[noreturn]] void type_error(const std::string& message) { throw py::type_error(message); }

std::string type_name(py::handle h) { return py::str(py::type::handle_of(h).attr("__name__")); }

// ---- arguments ------------------------------------------------------------------

// A Python int as long long; beyond its range a QueryError naming the value
// (no such architecture / epoch / seed), never truncated.
long long to_long_long(py::handle h, const char* what) {
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(h.ptr(), &overflow);
  if (overflow != 0)
    throw nasbench::QueryError(std::string(what) + " " + std::string(py::str(h)) + " is out of range");
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  return v;
}

int to_int32(py::handle h, const char* what) {
  const long long v = to_long_long(h, what);
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    throw nasbench::QueryError(std::string(what) + " " + std::to_string(v) +
                               " is out of range (the benchmark's seeds and epochs fit in 32 bits)");
  return static_cast<int>(v);
}

// An architecture: an index, an architecture string, or an object with the
// original's `tostr()` (CellStructure).
ArchRef arch_of(py::handle h, const char* what = "index") {
  if (PyLong_Check(h.ptr())) return ArchRef(to_long_long(h, what));
  if (PyUnicode_Check(h.ptr())) return ArchRef(h.cast<std::string>());
  if (py::hasattr(h, "tostr")) return ArchRef(h.attr("tostr")().cast<std::string>());
  type_error(std::string(what) + " must be an int or an architecture string, got " + type_name(h));
}

// A schedule: "12" or 12 (Python's str(hp)).
Hp hp_of(py::handle h) {
  if (PyUnicode_Check(h.ptr())) return Hp(h.cast<std::string>());
  if (PyLong_Check(h.ptr()) && !PyBool_Check(h.ptr())) return Hp(std::string(py::str(h)));
  type_error("hp must be a str or an int, got " + type_name(h));
}

std::optional<int> opt_int_of(py::handle h, const char* what) {
  if (h.is_none()) return std::nullopt;
  if (!PyLong_Check(h.ptr()) || PyBool_Check(h.ptr()))
    type_error(std::string(what) + " must be an int or None, got " + type_name(h));
  return to_int32(h, what);
}

// `is_random`: a bool (the bool test first, as in Python) or an int seed.
SeedChoice choice_of(py::handle h) {
  if (PyBool_Check(h.ptr())) return SeedChoice::from_bool(h.ptr() == Py_True);
  if (PyLong_Check(h.ptr())) return SeedChoice::seed(to_int32(h, "is_random"));
  type_error("is_random must be a bool or an int seed, got " + type_name(h));
}

std::optional<double> opt_number_of(py::handle h, const char* what) {
  if (h.is_none()) return std::nullopt;
  if (!PyFloat_Check(h.ptr()) && !PyLong_Check(h.ptr()) && !py::hasattr(h, "__float__"))
    type_error(std::string(what) + " must be a number or None, got " + type_name(h));
  return h.cast<double>();
}

// ---- randomness -------------------------------------------------------------------

// Python's `random` module state as a nasbench engine for the length of one
// call: the engine starts from `random.getstate()` and its state goes back
// with `random.setstate()` afterwards (also when the query raises), so that
// `random.seed(k)` then `is_random=True` queries make the draws the original
// API makes with the module's own functions (nasbench::Random is CPython's
// Mersenne Twister, bit for bit).
//
// Two ways to move the state, both exact:
// - CPython's `_random.Random` object (the module's `random._inst`) holds
//   `int index; uint32_t state[624]` right after its object header; when a
//   check against `getstate()` at first use confirms that layout, the state
//   is copied in and out directly (about 1 us);
// - otherwise `random.getstate()` / `random.setstate()` (about 20 us).
// api.seed(s) draws from the API's own engine instead.
struct CPythonRandomObject {  // Modules/_randommodule.c, RandomObject (3.x)
  PyObject_HEAD int index;
  std::uint32_t state[624];
};

struct PythonRandomAccess {
  PyObject* getstate = nullptr;  // random.getstate / random.setstate (never freed)
  PyObject* setstate = nullptr;
  PyObject* inst = nullptr;  // random._inst when its layout was verified, else nullptr

  static PythonRandomAccess& get() {
    static PythonRandomAccess access = make();
    return access;
  }

 private:
  static PythonRandomAccess make() {
    PythonRandomAccess a;
    py::module_ random = py::module_::import("random");
    a.getstate = py::object(random.attr("getstate")).release().ptr();
    a.setstate = py::object(random.attr("setstate")).release().ptr();
    try {
      py::object inst = random.attr("_inst");
      py::object base = py::module_::import("_random").attr("Random");
      if (!PyObject_IsInstance(inst.ptr(), base.ptr())) return a;
      if (!py::hasattr(random, "getrandbits") ||
          !py::object(random.attr("getrandbits").attr("__self__")).is(inst))
        return a;
      const auto* obj = reinterpret_cast<const CPythonRandomObject*>(inst.ptr());
      const py::tuple words = py::tuple(random.attr("getstate")())[1];
      if (words.size() != Random::kStateWords) return a;
      for (std::size_t i = 0; i < 624; ++i)
        if (words[i].cast<std::uint32_t>() != obj->state[i]) return a;
      if (words[624].cast<int>() != obj->index) return a;
      a.inst = inst.release().ptr();
    } catch (const py::error_already_set&) {
      PyErr_Clear();
    }
    return a;
  }
};

bool g_force_getstate = false;  // nasbench._random_transfer("getstate"): the tests run both ways

class PythonRandomScope {
 public:
  PythonRandomScope()
      : access_(PythonRandomAccess::get()),
        rng_(engine()),
        direct_(access_.inst != nullptr && !g_force_getstate) {
    std::array<std::uint32_t, Random::kStateWords> w{};
    if (direct_) {
      const auto* obj = reinterpret_cast<const CPythonRandomObject*>(access_.inst);
      std::copy(obj->state, obj->state + 624, w.begin());
      w[624] = static_cast<std::uint32_t>(obj->index);
    } else {
      state_ = py::reinterpret_steal<py::object>(PyObject_CallNoArgs(access_.getstate));
      if (!state_) throw py::error_already_set();
      PyObject* st = state_.ptr();
      if (!PyTuple_Check(st) || PyTuple_GET_SIZE(st) != 3)
        type_error("random.getstate(): unknown state layout");
      PyObject* words = PyTuple_GET_ITEM(st, 1);
      if (!PyTuple_Check(words) || PyTuple_GET_SIZE(words) != static_cast<Py_ssize_t>(Random::kStateWords))
        type_error("random.getstate(): unexpected state size");
      for (std::size_t i = 0; i < w.size(); ++i) {
        const unsigned long v = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(words, static_cast<Py_ssize_t>(i)));
        if (PyErr_Occurred()) throw py::error_already_set();
        w[i] = static_cast<std::uint32_t>(v);
      }
    }
    if (!rng_.set_state(w)) type_error("random.getstate(): bad state index");
  }
  PythonRandomScope(const PythonRandomScope&) = delete;
  PythonRandomScope& operator=(const PythonRandomScope&) = delete;
  ~PythonRandomScope() {
    const auto w = rng_.get_state();
    if (direct_) {
      auto* obj = reinterpret_cast<CPythonRandomObject*>(access_.inst);
      std::copy(w.begin(), w.begin() + 624, obj->state);
      obj->index = static_cast<int>(w[624]);
      return;
    }
    // Runs while an exception may be propagating: keep any Python error aside.
    py::error_scope keep;
    PyObject* words = PyTuple_New(static_cast<Py_ssize_t>(w.size()));
    if (!words) {
      PyErr_Clear();
      return;
    }
    for (std::size_t i = 0; i < w.size(); ++i)
      PyTuple_SET_ITEM(words, static_cast<Py_ssize_t>(i), PyLong_FromUnsignedLong(w[i]));
    PyObject* st = state_.ptr();
    PyObject* state = PyTuple_Pack(3, PyTuple_GET_ITEM(st, 0), words, PyTuple_GET_ITEM(st, 2));
    Py_DECREF(words);
    PyObject* r = state ? PyObject_CallOneArg(access_.setstate, state) : nullptr;
    Py_XDECREF(state);
    Py_XDECREF(r);
    if (!r) PyErr_Clear();
  }
  Random& rng() noexcept { return rng_; }

 private:
  // One engine reused under the GIL (constructing one seeds 624 words).
  static Random& engine() {
    static Random r(0);
    return r;
  }
  PythonRandomAccess& access_;
  Random& rng_;
  bool direct_;
  py::object state_;
};

// ---- answers: Python objects in Python's key order (as json/records.hpp) ------------

py::object opt(const std::optional<double>& v) {
  return v ? py::object(py::float_(*v)) : py::object(py::none());
}

py::dict to_py(const nasbench::NetConfig& c) {
  py::dict d;
  d["name"] = c.name;
  if (c.name == "infer.shape.tiny") {
    d["channels"] = c.channels;
    d["genotype"] = c.genotype;
  } else {
    d["C"] = c.C;
    d["N"] = c.N;
    d["arch_str"] = c.arch_str;
  }
  d["num_classes"] = c.num_classes;
  return d;
}

py::dict to_py(const nasbench::EpochInfo& e) {
  py::dict d;
  d["iepoch"] = e.iepoch;
  d["loss"] = e.loss;
  d["accuracy"] = e.accuracy;
  d["cur_time"] = opt(e.cur_time);
  d["all_time"] = opt(e.all_time);
  return d;
}

py::dict to_py(const nasbench::TimeInfo& t) {
  py::dict d;
  for (const auto& item : t.items) d[py::str(item.key)] = opt(item.value);
  return d;
}

py::dict to_py(const nasbench::Metrics& m) {
  py::dict d;
  d["iepoch"] =
      m.iepoch_is_int && m.iepoch ? py::object(py::int_(static_cast<long long>(*m.iepoch))) : opt(m.iepoch);
  d["loss"] = opt(m.loss);
  d["accuracy"] = opt(m.accuracy);
  d["cur_time"] = opt(m.cur_time);
  d["all_time"] = opt(m.all_time);
  return d;
}

py::dict to_py(const nasbench::CostInfo& c) {
  py::dict d;
  d["flops"] = c.flops;
  d["params"] = c.params;
  d["latency"] = opt(c.latency);
  for (const auto& t : c.times.items) d[py::str(t.key)] = opt(t.value);
  return d;
}

py::dict to_py(const nasbench::MoreInfo& info) {
  py::dict d;
  const auto put = [&](const std::string& p, const nasbench::SetSummary& s) {
    d[py::str(p + "-loss")] = opt(s.loss);
    d[py::str(p + "-accuracy")] = opt(s.accuracy);
    d[py::str(p + "-per-time")] = opt(s.per_time);
    d[py::str(p + "-all-time")] = opt(s.all_time);
  };
  put("train", info.train);
  if (info.comment) d["comment"] = *info.comment;
  if (info.valid) put("valid", *info.valid);
  if (info.test) put("test", *info.test);
  if (info.valtest) put("valtest", *info.valtest);
  return d;
}

py::tuple to_py(const nasbench::BestArch& b) { return py::make_tuple(b.index, opt(b.accuracy)); }

// ---- the API ----------------------------------------------------------------------

// A BasicAPI and what the Python object adds: where `is_random=True` draws
// from (Python's `random` module, or the API's own engine after seed()), and
// whether `used_time` is still Python's int 0.
template <typename Real>
struct PyAPI : std::enable_shared_from_this<PyAPI<Real>> {
  nasbench::BasicAPI<Real> api;
  bool own_engine = false;
  bool used_time_is_int = true;  ///< nats_bench / nas_201_api start (and reset) `_used_time` at the int 0
  /// create(None, ..., fast_mode=True): nats_bench opens its default directory with no file name
  /// (`filename` is None, the repr says file=None).
  bool filename_is_none = false;
  /// Calls that run without the GIL (find_best, statistics, show) hold it
  /// shared; calls that change the tables (reload, clear_params,
  /// reset_archive_dir, reset_fast_mode) hold the GIL and it exclusively, so
  /// no query runs while they do (the GIL keeps out the others).
  mutable std::shared_mutex mutex;

  explicit PyAPI(nasbench::BasicAPI<Real> a) : api(std::move(a)) {}

  py::object used_time() const {
    return used_time_is_int ? py::object(py::int_(0)) : py::object(py::float_(api.used_time()));
  }
  // Runs fn(Random&) on Python's random state or the API's own engine.
  template <typename Fn>
  auto with_rng(Fn&& fn) const {
    if (own_engine) return fn(static_cast<Random*>(nullptr));
    PythonRandomScope scope;
    return fn(&scope.rng());
  }
};

nasbench::LoadOptions load_options(const py::object& hps, const py::object& datasets, bool final_epoch_only) {
  nasbench::LoadOptions options;
  const auto names = [](const py::object& o, const char* what) {
    std::vector<std::string> out;
    if (o.is_none()) return out;
    if (PyUnicode_Check(o.ptr())) type_error(std::string(what) + " must be a list of names, not a str");
    for (py::handle item : o) {
      if (PyUnicode_Check(item.ptr()))
        out.push_back(item.cast<std::string>());
      else if (PyLong_Check(item.ptr()) && !PyBool_Check(item.ptr()))
        out.push_back(py::str(item));
      else
        type_error(std::string(what) + " must hold str (or int hps), got " + type_name(item));
    }
    return out;
  };
  options.hps = names(hps, "hps");
  options.datasets = names(datasets, "datasets");
  options.final_epoch_only = final_epoch_only;
  return options;
}

std::string path_of(py::handle h) {
  if (!PyUnicode_Check(h.ptr()) && !py::hasattr(h, "__fspath__"))
    type_error("file_path_or_cache must be a str or an os.PathLike, got " + type_name(h));
  return py::module_::import("os").attr("fsdecode")(h).cast<std::string>();
}

// ---- the reference APIs' default files (file_path_or_dict=None) ---------------------

/// nasbench.api_utils.time_string() and get_torch_home() (the package's Python, written once):
/// nats_bench's message prefix and where its default files are looked for.
std::string api_utils(const char* name) {
  return py::module_::import("nasbench.api_utils").attr(name)().cast<std::string>();
}

/// NASBench201API(None): nas_201_api's $TORCH_HOME/NAS-Bench-201-v1_1-096897.pth (a KeyError
/// without TORCH_HOME, as os.environ['TORCH_HOME'] raises), announced as nas_201_api does.
std::string nb201_default_path() {
  const py::object os = py::module_::import("os");
  const py::object home = os.attr("environ")["TORCH_HOME"];  // KeyError: 'TORCH_HOME'
  const std::string path = os.attr("path").attr("join")(home, "NAS-Bench-201-v1_1-096897.pth").cast<std::string>();
  py::print("Try to use the default NAS-Bench-201 path from " + path + ".");
  return path;
}

/// create(None, space, fast_mode): nats_bench's default benchmark of `space` under
/// get_torch_home(), the `-simple` directory in fast mode and the .pickle.pbz2 file otherwise,
/// announced as nats_bench announces it (path=None in fast mode, as its message prints it).
std::string nats_default_path(const py::object& space, bool fast_mode) {
  std::optional<nasbench::SearchSpace> wanted;
  if (PyUnicode_Check(space.ptr())) {
    try {
      wanted = nasbench::parse_search_space(space.cast<std::string>());
    } catch (const nasbench::QueryError&) {
    }
  }
  if (!wanted) throw py::value_error("invalid search space : " + py::str(space).cast<std::string>());
  const bool tss = *wanted == nasbench::SearchSpace::kTopology;
  const std::string base = tss ? "NATS-tss-v1_0-3ffb9" : "NATS-sss-v1_0-50262";
  const py::object join = py::module_::import("os").attr("path").attr("join");
  const std::string path =
      join(api_utils("get_torch_home"), fast_mode ? base + "-simple" : base + ".pickle.pbz2").cast<std::string>();
  py::print(api_utils("time_string") + " Try to use the default NATS-Bench (" + (tss ? "topology" : "size") +
            ") path from fast_mode=" + (fast_mode ? "True" : "False") + " and path=" + (fast_mode ? "None" : path) +
            ".");
  return path;
}

void say_loaded(bool verbose, const std::string& what, const std::string& repr) {
  if (verbose) py::print("nasbench:", what, "->", repr);
}

template <typename Real>
std::shared_ptr<PyAPI<Real>> load_py(const std::string& path, const nasbench::LoadOptions& options) {
  py::gil_scoped_release release;
  return std::make_shared<PyAPI<Real>>(nasbench::BasicAPI<Real>::load(path, options));
}

template <typename Real>
std::shared_ptr<PyAPI<Real>> create_py(const std::string& path, const py::object& space, bool fast_mode) {
  std::optional<nasbench::SearchSpace> wanted;
  if (!space.is_none()) {
    if (!PyUnicode_Check(space.ptr()))
      type_error("search_space must be 'tss', 'topology', 'sss' or 'size', got " + type_name(space));
    try {
      wanted = nasbench::parse_search_space(space.cast<std::string>());
    } catch (const nasbench::QueryError& e) {
      throw nasbench::LoadError(e.message());  // as create(): nats_bench raises ValueError
    }
  }
  py::gil_scoped_release release;
  return std::make_shared<PyAPI<Real>>(nasbench::open_nats<Real>(path, wanted, fast_mode));
}

/// create() and NATStopology / NATSsize: file_path_or_dict=None opens nats_bench's default.
std::shared_ptr<PyAPI<double>> create_or_default(py::handle path, py::object search_space, bool fast_mode,
                                                 bool verbose) {
  const bool by_default = path.is_none();
  const std::string p = by_default ? nats_default_path(search_space, fast_mode) : path_of(path);
  auto api = create_py<double>(p, search_space, fast_mode);
  api->filename_is_none = by_default && fast_mode;
  say_loaded(verbose, p, api->api.repr());
  return api;
}

// ---- ArchResults / ResultsCount objects ----------------------------------------------
//
// A Python ArchResults or ResultsCount names its results (architecture, hp,
// dataset, seed) and holds the API; each call looks them up again. So it
// stays valid after `del api`, and after `reload()` replaced the results it
// reads the new ones (or raises a QueryError when they are gone) instead of
// reading freed memory.

template <typename Real>
struct ArchHandle {
  std::shared_ptr<PyAPI<Real>> owner;
  int index = -1;
  std::string hp;
  [[nodiscard]] const nasbench::ArchResults<Real>& get() const {
    return owner->api.query_meta_info_by_index(ArchRef(static_cast<long long>(index)), Hp(hp));
  }
  /// For Python's ArchResults mutators (the API's find_best columns are dropped).
  [[nodiscard]] nasbench::ArchResults<Real>& mutable_get() const {
    return owner->api.mutable_meta_info_by_index(ArchRef(static_cast<long long>(index)), Hp(hp));
  }
};

template <typename Real>
struct RunHandle {
  ArchHandle<Real> arch;
  std::string dataset;
  int seed = 0;
  [[nodiscard]] const nasbench::ResultsCount<Real>& get() const { return arch.get().query(dataset, seed); }
};

template <typename Real>
ArchHandle<Real> arch_handle(const PyAPI<Real>& p, const ArchRef& a, const Hp& hp) {
  const auto& ar = p.api.query_meta_info_by_index(a, hp);  // raises Python's errors for a bad index or hp
  (void)ar;
  auto owner = std::const_pointer_cast<PyAPI<Real>>(p.shared_from_this());
  return ArchHandle<Real>{std::move(owner), p.api.query_index_by_arch(a), hp.str()};
}

template <typename Real>
py::dict runs_of(const ArchHandle<Real>& h, const std::string& dataset) {
  py::dict out;
  for (const auto& item : h.get().query(dataset))
    out[py::int_(item.first)] = RunHandle<Real>{h, dataset, item.first};
  return out;
}

// numpy's dtype name of a storage element type (bfloat16: none; its bits as uint16).
const char* numpy_dtype(nasbench::pickle::ScalarType t) {
  using T = nasbench::pickle::ScalarType;
  switch (t) {
    case T::kFloat64: return "float64";
    case T::kFloat32: return "float32";
    case T::kFloat16: return "float16";
    case T::kBFloat16: return "uint16";
    case T::kInt64: return "int64";
    case T::kInt32: return "int32";
    case T::kInt16: return "int16";
    case T::kInt8: return "int8";
    case T::kUInt8: return "uint8";
    case T::kUInt16: return "uint16";
    case T::kUInt32: return "uint32";
    case T::kUInt64: return "uint64";
    case T::kBool: return "bool";
  }
  return "uint8";
}

// Python's `net_state_dict`: an OrderedDict name -> torch.Tensor when torch can
// be imported, else name -> numpy array; views of one storage share it, as in
// the file. None for no weights.
py::object state_dict_to_py(const nasbench::NetState* w) {
  if (!w) return py::none();
  namespace pk = nasbench::pickle;
  py::module_ np = py::module_::import("numpy");
  py::object as_strided = np.attr("lib").attr("stride_tricks").attr("as_strided");
  py::object torch = py::none();
  try {
    torch = py::module_::import("torch");
  } catch (const py::error_already_set&) {
    PyErr_Clear();
  }
  if (!w->state_dict.is_dict())
    throw nasbench::LoadError("trained weights: expected a state dict, got " +
                              std::string(w->state_dict.type_name()));
  std::map<std::string, py::object> storages;
  py::object out = py::module_::import("collections").attr("OrderedDict")();
  for (const auto& [k, v] : w->state_dict.dict_items()) {
    if (!k.is_str()) throw nasbench::LoadError("state dict key " + k.repr() + " is not a str");
    if (!v.is_tensor())
      throw nasbench::LoadError("state dict entry " + k.repr() + " is " + std::string(v.type_name()) +
                                ", not a tensor");
    const pk::TensorInfo& t = v.as_tensor();
    const pk::StorageInfo& si = t.storage_info();
    auto it = storages.find(si.key);
    if (it == storages.end()) {
      const pk::StorageRecord* rec = w->storages ? w->storages->find(si.key) : nullptr;
      if (!rec) throw nasbench::LoadError("no data for tensor storage \"" + si.key + "\"");
      // Through numpy's Python API and the buffer protocol (no numpy C-API headers).
      py::object base = np.attr("empty")(py::int_(rec->numel), "dtype"_a = numpy_dtype(rec->dtype));
      py::buffer_info info = py::buffer(base).request(/*writable=*/true);
      if (static_cast<std::uint64_t>(info.size * info.itemsize) != rec->nbytes)
        throw nasbench::LoadError("storage \"" + si.key + "\": " + std::to_string(rec->nbytes) +
                                  " bytes for " + std::to_string(rec->numel) + " elements");
      pk::read_storage_into(*rec, info.ptr);
      it = storages.emplace(si.key, std::move(base)).first;
    }
    const py::object base = it->second;
    const auto n = static_cast<std::int64_t>(py::len(base));
    if (t.sizes.size() != t.strides.size())
      throw nasbench::LoadError("tensor " + k.repr() + " has " + std::to_string(t.sizes.size()) +
                                " sizes but " + std::to_string(t.strides.size()) + " strides");
    std::int64_t last = t.storage_offset;
    bool empty = false;
    for (std::size_t i = 0; i < t.sizes.size(); ++i) {
      if (t.sizes[i] < 0 || t.strides[i] < 0)
        throw nasbench::LoadError("tensor " + k.repr() + " has a negative size or stride");
      if (t.sizes[i] == 0)
        empty = true;
      else
        last += (t.sizes[i] - 1) * t.strides[i];
    }
    if (t.storage_offset < 0 || (!empty && last >= n) || t.storage_offset > n)
      throw nasbench::LoadError("tensor " + k.repr() + " reaches element " + std::to_string(last) +
                                " of a storage of " + std::to_string(n));
    const auto item = base.attr("itemsize").cast<std::int64_t>();
    py::tuple shape(t.sizes.size()), strides(t.strides.size());
    for (std::size_t i = 0; i < t.sizes.size(); ++i) {
      shape[i] = py::int_(t.sizes[i]);
      strides[i] = py::int_(t.strides[i] * item);
    }
    py::object tail =
        base[py::slice(static_cast<py::ssize_t>(t.storage_offset), static_cast<py::ssize_t>(n), 1)];
    py::object view = as_strided(tail, "shape"_a = shape, "strides"_a = strides);
    py::object value = view;
    if (!torch.is_none()) {
      value = torch.attr("from_numpy")(view);
      if (si.dtype == pk::ScalarType::kBFloat16) value = value.attr("view")(torch.attr("bfloat16"));
    } else if (si.dtype == pk::ScalarType::kBFloat16) {
      throw nasbench::QueryError("tensor " + k.repr() +
                                 " is bfloat16, which numpy has no type for (import torch)");
    }
    out[py::str(std::string(k.as_str()))] = value;
  }
  return out;
}

/// A series as Python's ResultsCount holds it: {epoch: value} for the epochs that have one.
template <typename Real>
py::dict series_dict(const nasbench::Series<Real>& s) {
  py::dict d;
  for (std::size_t e = 0, n = s.extent(); e < n; ++e)
    if (const std::optional<double> v = s.get(e)) d[py::int_(e)] = py::float_(*v);
  return d;
}

/// One field of every eval set as {'set@epoch': value}, set after set.
template <typename Real>
py::dict eval_dict(const nasbench::ResultsCount<Real>& r, nasbench::Series<Real> nasbench::EvalSeries<Real>::*field) {
  py::dict d;
  for (const auto& [name, es] : r.evals) {
    const nasbench::Series<Real>& s = es.*field;
    for (std::size_t e = 0, n = s.extent(); e < n; ++e)
      if (const std::optional<double> v = s.get(e)) d[py::str(name + "@" + std::to_string(e))] = py::float_(*v);
  }
  return d;
}

template <typename Real>
void bind_results(py::module_& m, const char* run_name, const char* arch_name) {
  using RH = RunHandle<Real>;
  using AH = ArchHandle<Real>;
  py::class_<RH>(m, run_name, "One training run (one architecture, dataset and seed): Python's ResultsCount.")
      .def_property_readonly(
          "name", [](const RH& r) { return r.get().name; }, "The dataset.")
      .def_property_readonly("seed", [](const RH& r) { return r.get().seed; })
      .def_property_readonly("epochs", [](const RH& r) { return r.get().epochs; })
      .def_property_readonly(
          "params", [](const RH& r) { return r.get().params; }, "Parameters, millions.")
      .def_property_readonly(
          "flop", [](const RH& r) { return r.get().flop; }, "FLOPs, millions.")
      .def_property_readonly("eval_names", [](const RH& r) { return r.get().eval_names; })
      // The raw series scripts read directly (nats_bench issue #2: train_acc1es[199]): new dicts
      // of what the file holds, epoch -> value; the eval ones keyed 'set@epoch', set after set
      // (the order of the benchmark files).
      .def_property_readonly("train_acc1es", [](const RH& r) { return series_dict(r.get().train_acc1es); })
      // train_acc5es: None where the run holds none (the files' None; an empty dict, which no trained
      // run has, reads as None too). eval_times: {} for both (NAS-Bench-201 v1.0 files have None
      // and {} there; the tables do not keep the difference).
      .def_property_readonly("train_acc5es",
                             [](const RH& r) -> py::object {
                               const auto& s = r.get().train_acc5es;
                               return s.count() ? py::object(series_dict(s)) : py::object(py::none());
                             })
      .def_property_readonly("train_losses", [](const RH& r) { return series_dict(r.get().train_losses); })
      .def_property_readonly("train_times",
                             [](const RH& r) -> py::object {
                               const auto& t = r.get().train_times;
                               return t ? py::object(series_dict(*t)) : py::object(py::none());
                             })
      .def_property_readonly(
          "eval_acc1es", [](const RH& r) { return eval_dict(r.get(), &nasbench::EvalSeries<Real>::acc1es); })
      .def_property_readonly(
          "eval_losses", [](const RH& r) { return eval_dict(r.get(), &nasbench::EvalSeries<Real>::losses); })
      .def_property_readonly(
          "eval_times", [](const RH& r) { return eval_dict(r.get(), &nasbench::EvalSeries<Real>::times); })
      .def_property_readonly("latency",
                             [](const RH& r) -> py::object {
                               const auto& l = r.get().latency;
                               return l ? py::object(py::cast(*l)) : py::object(py::none());
                             })
      .def(
          "get_train",
          [](const RH& r, py::object iepoch) {
            return to_py(r.get().get_train(opt_int_of(iepoch, "iepoch")));
          },
          "iepoch"_a = py::none(), "Loss, accuracy and times of one training epoch (None: the last).")
      .def(
          "get_eval",
          [](const RH& r, const std::string& name, py::object iepoch) {
            return to_py(r.get().get_eval(name, opt_int_of(iepoch, "iepoch")));
          },
          "name"_a, "iepoch"_a = py::none(),
          "Loss, accuracy and times of eval set `name` ('valid' = 'x-valid').")
      .def(
          "get_times", [](const RH& r) { return to_py(r.get().get_times()); },
          "T-train@epoch, T-train@total, T-<set>@...")
      .def(
          "get_latency", [](const RH& r) { return r.get().get_latency(); },
          "The mean latency, or -1.0 when absent.")
      .def("get_total_epoch", [](const RH& r) { return r.get().get_total_epoch(); })
      .def(
          "get_net_param",
          [](const RH& r, bool clone) {
            (void)clone;
            return state_dict_to_py(r.get().get_net_param());
          },
          "clone"_a = false,
          "The trained weights (OrderedDict of torch.Tensor, numpy arrays without torch) or None.")
      .def(
          "get_config",
          [](const RH& r, py::object str2structure) {
            py::dict d = to_py(r.get().get_config());
            if (!str2structure.is_none() && d.contains("arch_str")) {
              d["genotype"] = str2structure(d["arch_str"]);
              PyDict_DelItemString(d.ptr(), "arch_str");
              // keep Python's key order: name, C, N, genotype, num_classes
              py::object nc = d["num_classes"];
              PyDict_DelItemString(d.ptr(), "num_classes");
              d["num_classes"] = nc;
            }
            return d;
          },
          "str2structure"_a = py::none(), "The network builder's arguments (dict).")
      .def("__repr__", [](const RH& h) {
        const auto& r = h.get();
        std::string sets;
        for (const auto& n : r.eval_names) sets += (sets.empty() ? "" : ", ") + n;
        char buf[128];
        std::snprintf(buf, sizeof buf, "FLOP=%.2fM, Param=%.3fMB, seed=%d", r.flop, r.params, r.seed);
        return std::string("ResultsCount(") + r.name + ", arch=" + r.arch_config.arch_str + ", " + buf +
               ", " + std::to_string(r.eval_names.size()) + " eval-sets: [" + sets + "])";
      });

  py::class_<AH>(m, arch_name, "All runs of one architecture under one schedule: Python's ArchResults.")
      .def_property_readonly("arch_index", [](const AH& a) { return a.get().arch_index; })
      .def_property_readonly("arch_str", [](const AH& a) { return a.get().arch_str; })
      .def_property_readonly("clear_net_done", [](const AH& a) { return a.get().clear_net_done; })
      .def("get_dataset_names", [](const AH& a) { return a.get().get_dataset_names(); })
      .def(
          "get_dataset_seeds", [](const AH& a, const std::string& d) { return a.get().get_dataset_seeds(d); },
          "dataset"_a)
      .def(
          "get_metrics",
          [](const AH& h, const std::string& dataset, const std::string& setname, py::object iepoch,
             py::object is_random) {
            const auto& a = h.get();
            const SeedChoice c = choice_of(is_random);
            const auto e = opt_int_of(iepoch, "iepoch");
            if (c.kind() != SeedChoice::Kind::kRandom) return to_py(a.get_metrics(dataset, setname, e, c));
            PythonRandomScope scope;  // ArchResults draws from Python's random (as the original)
            return to_py(a.get_metrics(dataset, setname, e, c, &scope.rng()));
          },
          "dataset"_a, "setname"_a, "iepoch"_a = py::none(), "is_random"_a = false,
          "Seed mean (is_random=False), one random seed (True) or one given seed (an int) of a set's "
          "metrics.")
      .def(
          "get_compute_costs",
          [](const AH& a, const std::string& d) { return to_py(a.get().get_compute_costs(d)); }, "dataset"_a)
      .def(
          "get_latency", [](const AH& a, const std::string& d) { return a.get().get_latency(d); },
          "dataset"_a)
      .def(
          "get_total_epoch",
          [](const AH& a, py::object dataset) {
            if (dataset.is_none()) return a.get().get_total_epoch();
            const std::string d = dataset.cast<std::string>();
            return a.get().get_total_epoch(std::string_view(d));
          },
          "dataset"_a = py::none())
      .def("arch_idx_str", [](const AH& a) { return a.get().arch_idx_str(); })
      .def(
          "query",
          [](const AH& h, const std::string& dataset, py::object seed) -> py::object {
            if (seed.is_none()) return runs_of(h, dataset);
            const int s = to_int32(seed, "seed");
            (void)h.get().query(dataset, s);  // raises for an unknown dataset or seed
            return py::cast(RH{h, dataset, s});
          },
          "dataset"_a, "seed"_a = py::none(), "The ResultsCount of one seed, or a dict seed -> ResultsCount.")
      .def(
          "get_net_param",
          [](const AH& h, const std::string& dataset, py::object seed) -> py::object {
            if (!seed.is_none())
              return state_dict_to_py(h.get().get_net_param(dataset, to_int32(seed, "seed")));
            py::dict out;
            for (const auto& [s, w] : h.get().get_net_param(dataset)) out[py::int_(s)] = state_dict_to_py(w);
            return out;
          },
          "dataset"_a, "seed"_a = py::none(), "The trained weights of one seed, or a dict seed -> weights.")
      .def(
          "reset_latency",
          [](const AH& h, const std::string& dataset, py::handle seed, py::handle latency) {
            const std::optional<int> s = opt_int_of(seed, "seed");
            const std::optional<double> l = opt_number_of(latency, "latency");
            std::unique_lock<std::shared_mutex> lock(h.owner->mutex);
            h.mutable_get().reset_latency(dataset, s, l);
          },
          "dataset"_a, "seed"_a, "latency"_a, "Sets the latency of one seed's run (seed None: every seed's).")
      .def(
          "reset_pseudo_train_times",
          [](const AH& h, const std::string& dataset, py::handle seed, double per_epoch) {
            const std::optional<int> s = opt_int_of(seed, "seed");
            std::unique_lock<std::shared_mutex> lock(h.owner->mutex);
            h.mutable_get().reset_pseudo_train_times(dataset, s, per_epoch);
          },
          "dataset"_a, "seed"_a, "estimated_per_epoch_time"_a,
          "Sets every train epoch's time of one seed's run (seed None: every seed's).")
      .def(
          "reset_pseudo_eval_times",
          [](const AH& h, const std::string& dataset, py::handle seed, const std::string& eval_name,
             double per_epoch) {
            const std::optional<int> s = opt_int_of(seed, "seed");
            std::unique_lock<std::shared_mutex> lock(h.owner->mutex);
            h.mutable_get().reset_pseudo_eval_times(dataset, s, eval_name, per_epoch);
          },
          "dataset"_a, "seed"_a, "eval_name"_a, "estimated_per_epoch_time"_a,
          "Sets every epoch's time of one eval set of one seed's run (seed None: every seed's).")
      .def(
          "clear_params",
          [](const AH& h) {
            std::unique_lock<std::shared_mutex> lock(h.owner->mutex);
            h.mutable_get().clear_params();
          },
          "Forgets the trained weights of every run.")
      .def("__repr__", [](const AH& h) {
        const auto& a = h.get();
        return "ArchResults(arch-index=" + std::to_string(a.arch_index) + ", arch=" + a.arch_str + ", " +
               std::to_string(a.results().size()) + " runs, clear=" + (a.clear_net_done ? "True" : "False") +
               ")";
      });
}

// ---- vectorised access -------------------------------------------------------------

// A numpy float64 array holding `values` (one copy, through numpy's Python API).
py::object to_numpy(const std::vector<double>& values) {
  py::object arr = py::module_::import("numpy").attr("empty")(py::int_(values.size()), "dtype"_a = "float64");
  py::buffer_info info = py::buffer(arr).request(/*writable=*/true);
  if (!values.empty()) std::memcpy(info.ptr, values.data(), values.size() * sizeof(double));
  return arr;
}

// column() / costs() of an hp no architecture has is a typo, not a column of NaN
// (in fast mode the hps are those loaded so far, so anything goes). Checked
// only when every value is NaN: avaliable_hps() reads every architecture of a cache.
template <typename Real>
void check_hp_loaded(const nasbench::BasicAPI<Real>& api, const Hp& hp) {
  if (api.fast_mode()) return;
  const auto hps = api.avaliable_hps();
  if (std::find(hps.begin(), hps.end(), hp.str()) == hps.end())
    throw nasbench::unavailable_value("hp", hp.str(), "", hps);
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// api.column(): per architecture, get_metrics(dataset, set, iepoch)[metric]
// (seed mean), NaN where the architecture, hp or dataset has no results or the
// value is None / absent at that epoch.
template <typename Real>
std::vector<double> metric_column(const nasbench::BasicAPI<Real>& api, const std::string& dataset,
                                  const std::string& set, const Hp& hp, const std::string& metric,
                                  std::optional<int> iepoch) {
  std::vector<double> out(api.size(), kNaN);
  const auto value = [&](int index) {
    if (!api.has_results(index)) return;
    const auto hps = api.hps(index);
    if (std::find(hps.begin(), hps.end(), hp.str()) == hps.end()) return;
    const auto& ar = api.query_meta_info_by_index(index, hp);
    if (!ar.has_dataset(dataset)) return;
    const auto m = ar.try_get_metrics(dataset, set, iepoch, SeedChoice::mean());
    if (!m) return;
    const std::optional<double>& v = metric == "loss"       ? m->loss
                                     : metric == "accuracy" ? m->accuracy
                                     : metric == "cur_time" ? m->cur_time
                                                            : m->all_time;
    if (v) out[static_cast<std::size_t>(index)] = *v;
  };
  if (metric == "accuracy" && !iepoch) {
    // find_best's column: the seed-mean accuracy at the last epoch, stored in a
    // cache. A row whose costs raise (nats_bench's legacy patch without seed
    // 888) holds no accuracy: that one is computed here.
    const auto col = api.best_column(hp.str(), dataset, set);
    for (std::size_t row = 0; row < col->index.size(); ++row) {
      if (nasbench::BestColumn::error_at(col->metric_errors, row)) continue;
      if (nasbench::BestColumn::error_at(col->cost_errors, row))
        value(col->index[row]);
      else
        out[static_cast<std::size_t>(col->index[row])] = col->accuracy[row];
    }
    return out;
  }
  for (int index : api.evaluated_indexes()) value(index);
  return out;
}

template <typename Real>
py::class_<PyAPI<Real>, std::shared_ptr<PyAPI<Real>>> bind_api(py::module_& m, const char* name,
                                                               const char* doc) {
  using P = PyAPI<Real>;
  using nasbench::BasicAPI;
  auto cls = py::class_<P, std::shared_ptr<P>>(m, name, doc);
  cls.def("__len__", [](const P& p) { return p.api.size(); })
      .def(
          "__getitem__",
          [](const P& p, py::handle index) {
            if (!PyLong_Check(index.ptr())) type_error("indices must be integers, not " + type_name(index));
            long long i = to_long_long(index, "index");
            const long long n = static_cast<long long>(p.api.size());
            if (i < 0) i += n;  // as Python's list
            if (i < 0 || i >= n) throw py::index_error("architecture index out of range");
            return p.api.arch(i);
          },
          "index"_a, "The architecture string of `index` (negative: from the end, as a list).")
      .def(
          "__iter__",
          [](const P& p) { return py::make_iterator(p.api.meta_archs().begin(), p.api.meta_archs().end()); },
          py::keep_alive<0, 1>())
      .def("__repr__",
           [](const P& p) {
             std::string r = p.api.repr();  // ..., file=NAME)
             if (p.filename_is_none) r = r.substr(0, r.size() - p.api.filename().size() - 1) + "None)";
             return r;
           })
      .def(
          "arch", [](const P& p, py::handle index) { return p.api.arch(to_long_long(index, "index")); },
          "index"_a, "The architecture string of `index`.")
      .def_property_readonly("meta_archs", [](const P& p) { return p.api.meta_archs(); })
      .def_property_readonly("evaluated_indexes", [](const P& p) { return p.api.evaluated_indexes(); })
      .def(
          "query_index_by_arch",
          [](const P& p, py::handle arch) { return p.api.query_index_by_arch(arch_of(arch, "arch")); },
          "arch"_a, "An index in range as is; an architecture string -> its index, or -1 when unknown.")
      .def(
          "query_meta_info_by_index",
          [](const P& p, py::handle arch_index, py::handle hp) {
            return arch_handle(p, arch_of(arch_index, "arch_index"), hp_of(hp));
          },
          "arch_index"_a, "hp"_a = "12", "The ArchResults of an architecture under schedule `hp`.")
      .def(
          "query_by_index",
          [](const P& p, py::handle arch_index, py::handle dataname, py::handle hp) -> py::object {
            const ArchHandle<Real> h = arch_handle(p, arch_of(arch_index, "arch_index"), hp_of(hp));
            if (dataname.is_none()) return py::cast(h);
            return runs_of(h, dataname.cast<std::string>());
          },
          "arch_index"_a, "dataname"_a = py::none(), "hp"_a = "12",
          "The ArchResults (dataname None), or a dict seed -> ResultsCount of one dataset.")
      .def(
          "get_net_param",
          [](const P& p, py::handle index, const std::string& dataset, py::handle seed,
             py::handle hp) -> py::object {
            const ArchRef a = arch_of(index);
            if (!seed.is_none())
              return state_dict_to_py(p.api.get_net_param(a, dataset, to_int32(seed, "seed"), hp_of(hp)));
            py::dict out;
            for (const auto& [s, w] : p.api.get_net_param(a, dataset, hp_of(hp)))
              out[py::int_(s)] = state_dict_to_py(w);
            return out;
          },
          "index"_a, "dataset"_a, "seed"_a, "hp"_a = "12",
          "The trained weights of one run (OrderedDict name -> torch.Tensor, numpy arrays when torch cannot "
          "be "
          "imported; None without weights), or a dict seed -> weights for seed=None.")
      .def(
          "reload",
          [](P& p, py::handle archive_root, py::handle index) {
            if (archive_root.is_none())
              type_error(
                  "reload: give archive_root (the directory of the -full archives); nasbench has no default");
            const std::string root = path_of(archive_root);
            std::optional<int> i;
            if (!index.is_none()) i = to_int32(index, "index");
            std::unique_lock<std::shared_mutex> lock(p.mutex);  // the GIL stays held
            p.api.reload(root, i);
          },
          "archive_root"_a = py::none(), "index"_a = py::none(),
          "Replaces the results of `index` (every one: None) with those of the archive files in archive_root "
          "(NNNNNN-FULL.pth, or NATS-Bench's NNNNNN.pickle.pbz2), trained weights included.")
      .def(
          "get_more_info",
          [](const P& p, py::handle index, const std::string& dataset, py::handle iepoch, py::handle hp,
             py::handle is_random) {
            const ArchRef a = arch_of(index);
            const auto e = opt_int_of(iepoch, "iepoch");
            const Hp h = hp_of(hp);
            const SeedChoice c = choice_of(is_random);
            if (c.kind() != SeedChoice::Kind::kRandom) return to_py(p.api.get_more_info(a, dataset, e, h, c));
            return p.with_rng([&](Random* rng) {
              return to_py(rng ? p.api.get_more_info(a, dataset, e, h, c, *rng)
                               : p.api.get_more_info(a, dataset, e, h, c));
            });
          },
          "index"_a, "dataset"_a, "iepoch"_a = py::none(), "hp"_a = "12", "is_random"_a = true,
          "train-/valid-/test-/valtest- loss, accuracy, per-time and all-time (is_random=True: one random "
          "seed, "
          "drawn from Python's random module).")
      .def(
          "get_cost_info",
          [](const P& p, py::handle index, const std::string& dataset, py::handle hp) {
            return to_py(p.api.get_cost_info(arch_of(index), dataset, hp_of(hp)));
          },
          "index"_a, "dataset"_a, "hp"_a = "12", "flops, params, latency and the mean times (dict).")
      .def(
          "get_latency",
          [](const P& p, py::handle index, const std::string& dataset, py::handle hp) {
            return opt(p.api.get_latency(arch_of(index), dataset, hp_of(hp)));
          },
          "index"_a, "dataset"_a, "hp"_a = "12", "The mean latency (seconds), or None.")
      .def(
          "find_best",
          [](const P& p, const std::string& dataset, const std::string& metric_on_set, py::handle flop_max,
             py::handle param_max, py::handle hp, py::handle enforce_all, py::handle flop_max_nats,
             py::handle param_max_nats) {
            if (!flop_max.is_none() && !flop_max_nats.is_none())
              type_error("find_best: give FLOP_max or flop_max, not both");
            if (!param_max.is_none() && !param_max_nats.is_none())
              type_error("find_best: give Param_max or param_max, not both");
            const auto fm = opt_number_of(flop_max.is_none() ? flop_max_nats : flop_max, "flop_max");
            const auto pm = opt_number_of(param_max.is_none() ? param_max_nats : param_max, "param_max");
            std::optional<bool> ea;
            if (!enforce_all.is_none()) {
              if (!PyBool_Check(enforce_all.ptr()))
                type_error("enforce_all must be a bool, got " + type_name(enforce_all));
              ea = enforce_all.ptr() == Py_True;
            }
            const Hp h = hp_of(hp);
            nasbench::BestArch best;
            {
              py::gil_scoped_release release;
              std::shared_lock<std::shared_mutex> lock(p.mutex);
              best = p.api.find_best(dataset, metric_on_set, fm, pm, h, ea);
            }
            return to_py(best);
          },
          "dataset"_a, "metric_on_set"_a, "FLOP_max"_a = py::none(), "Param_max"_a = py::none(),
          "hp"_a = "12", "enforce_all"_a = py::none(), py::kw_only(), "flop_max"_a = py::none(),
          "param_max"_a = py::none(),
          "(index, accuracy) of the best architecture within the budgets, or (-1, None). nats_bench's "
          "flop_max / param_max keywords are accepted too; enforce_all defaults to fast_mode.")
      .def(
          "statistics",
          [](const P& p, const std::string& dataset, py::handle hp) {
            const Hp h = hp_of(hp);
            std::map<int, int> s;
            {
              py::gil_scoped_release release;
              std::shared_lock<std::shared_mutex> lock(p.mutex);
              s = p.api.statistics(dataset, h);
            }
            // Python builds the dict while walking the indexes in order: its keys
            // come in the order of first appearance, which the std::map lost.
            std::vector<int> order;
            for (int index : p.api.evaluated_indexes()) {
              if (order.size() == s.size()) break;
              const auto& ar = p.api.query_meta_info_by_index(index, h);
              const int k =
                  ar.has_dataset(dataset) ? static_cast<int>(ar.get_dataset_seeds(dataset).size()) : 0;
              if (std::find(order.begin(), order.end(), k) == order.end()) order.push_back(k);
            }
            for (const auto& item : s)
              if (std::find(order.begin(), order.end(), item.first) == order.end())
                order.push_back(item.first);
            py::dict d;
            for (int k : order) d[py::int_(k)] = s.at(k);
            return d;
          },
          "dataset"_a, "hp"_a, "number of seeds -> number of architectures.")
      .def(
          "get_net_config",
          [](const P& p, py::handle index, const std::string& dataset) {
            return to_py(p.api.get_net_config(arch_of(index), dataset));
          },
          "index"_a, "dataset"_a)
      .def(
          "column",
          [](const P& p, const std::string& dataset, const std::string& metric_on_set, py::handle hp,
             const std::string& metric, py::handle iepoch) {
            const auto& names = nasbench::benchmark_datasets();
            if (std::find(names.begin(), names.end(), dataset) == names.end())
              throw nasbench::unknown_value("dataset", dataset, names);
            static const std::initializer_list<std::string_view> kMetrics = {"accuracy", "loss", "cur_time",
                                                                             "all_time"};
            if (std::find(kMetrics.begin(), kMetrics.end(), metric) == kMetrics.end())
              throw nasbench::unknown_value("metric", metric, kMetrics);
            const Hp h = hp_of(hp);
            const auto e = opt_int_of(iepoch, "iepoch");
            const auto [ds, set] = nasbench::BasicAPI<Real>::remap_dataset_set_names(dataset, metric_on_set);
            std::vector<double> values;
            {
              py::gil_scoped_release release;
              std::shared_lock<std::shared_mutex> lock(p.mutex);
              values = metric_column(p.api, ds, set, h, metric, e);
            }
            if (std::all_of(values.begin(), values.end(), [](double v) { return std::isnan(v); }))
              check_hp_loaded(p.api, h);
            return to_numpy(values);
          },
          "dataset"_a, "metric_on_set"_a, "hp"_a = "200", "metric"_a = "accuracy", "iepoch"_a = py::none(),
          "nasbench: a numpy float64 array over all architectures of the seed-mean `metric` (accuracy, loss, "
          "cur_time, all_time) of `metric_on_set` at `iepoch` (None: the last epoch); NaN where there is no "
          "value. dataset and set are remapped as find_best does (cifar10 + valid -> cifar10-valid x-valid). "
          "Runs without the GIL; the last-epoch accuracy comes from find_best's column (a cache stores it).")
      .def(
          "costs",
          [](const P& p, const std::string& dataset, py::handle hp) {
            const auto& names = nasbench::benchmark_datasets();
            if (std::find(names.begin(), names.end(), dataset) == names.end())
              throw nasbench::unknown_value("dataset", dataset, names);
            const Hp h = hp_of(hp);
            std::vector<double> flops(p.api.size(), kNaN), params(p.api.size(), kNaN),
                latency(p.api.size(), kNaN);
            {
              py::gil_scoped_release release;
              std::shared_lock<std::shared_mutex> lock(p.mutex);
              for (int index : p.api.evaluated_indexes()) {
                if (!p.api.has_results(index)) continue;
                const auto i = static_cast<std::size_t>(index);
                try {  // get_cost_info's answer (a cache stores it: no architecture is read)
                  const auto c = p.api.get_cost_info(index, dataset, h);
                  flops[i] = c.flops;
                  params[i] = c.params;
                  if (c.latency) latency[i] = *c.latency;
                  continue;
                } catch (const nasbench::QueryError&) {
                  // no such hp or dataset, or costs Python cannot give: as below, where flops and params may remain
                }
                const auto hps = p.api.hps(index);
                if (std::find(hps.begin(), hps.end(), h.str()) == hps.end()) continue;
                const auto& ar = p.api.query_meta_info_by_index(index, h);
                if (!ar.has_dataset(dataset)) continue;
                try {
                  const auto [f, q] = ar.flops_and_params(dataset);
                  flops[i] = f;
                  params[i] = q;
                  const auto c = ar.get_compute_costs(dataset);
                  if (c.latency) latency[i] = *c.latency;
                } catch (const nasbench::QueryError&) {
                  // nats_bench's legacy patch without seed 888: Python raises here; NaN in a column
                }
              }
            }
            if (std::all_of(flops.begin(), flops.end(), [](double v) { return std::isnan(v); }))
              check_hp_loaded(p.api, h);
            py::dict out;
            out["flops"] = to_numpy(flops);
            out["params"] = to_numpy(params);
            out["latency"] = to_numpy(latency);
            return out;
          },
          "dataset"_a, "hp"_a = "200",
          "nasbench: {'flops', 'params', 'latency'} as numpy float64 arrays over all architectures "
          "(get_cost_info's values; NaN where there are none). Runs without the GIL.")
      .def(
          "simulate_train_eval",
          [](P& p, py::handle arch, const std::string& dataset, py::handle iepoch, py::handle hp,
             bool account_time) {
            const ArchRef a = arch_of(arch, "arch");
            const auto e = opt_int_of(iepoch, "iepoch");
            const Hp h = hp_of(hp);
            const nasbench::SimulatedTrial t = p.with_rng([&](Random* rng) {
              return rng ? p.api.simulate_train_eval(a, dataset, e, h, account_time, *rng)
                         : p.api.simulate_train_eval(a, dataset, e, h, account_time);
            });
            if (account_time) p.used_time_is_int = false;
            return py::make_tuple(opt(t.valid_accuracy), opt(t.latency), t.time_cost, p.used_time());
          },
          "arch"_a, "dataset"_a, "iepoch"_a = py::none(), "hp"_a = "12", "account_time"_a = true,
          "(valid accuracy, latency, time cost, used time) of a simulated trial of one random seed.")
      .def_property_readonly("used_time", [](const P& p) { return p.used_time(); })
      .def("reset_time",
           [](P& p) {
             p.api.reset_time();
             p.used_time_is_int = true;
           })
      .def(
          "random",
          [](const P& p) {
            return p.with_rng([&](Random* rng) { return rng ? p.api.random(*rng) : p.api.random(); });
          },
          "A uniformly random architecture index (random.randint(0, len-1)).")
      .def(
          "seed",
          [](P& p, py::handle s) {
            if (s.is_none()) {
              p.own_engine = false;
              return;
            }
            const long long v = to_long_long(s, "seed");
            if (v < 0) throw py::value_error("seed must be non-negative");
            p.api.seed(static_cast<std::uint64_t>(v));
            p.own_engine = true;
          },
          "s"_a,
          "nasbench: draw is_random choices from the API's own engine seeded with `s` (as random.seed(s)) "
          "instead of Python's random module; seed(None) goes back to the random module.")
      .def(
          "get_unique_str", [](const P& p, py::handle index) { return p.api.get_unique_str(arch_of(index)); },
          "index"_a)
      .def(
          "show",
          [](const P& p, py::handle index) {
            const long long i = to_long_long(index, "index");
            std::string text;
            {
              py::gil_scoped_release release;
              std::shared_lock<std::shared_mutex> lock(p.mutex);
              text = p.api.show(i);
            }
            py::module_::import("sys").attr("stdout").attr("write")(text);
          },
          "index"_a = -1, "Prints the text report of one architecture (-1: every evaluated one).")
      .def(
          "query_info_str_by_arch",
          [](const P& p, py::handle arch, py::handle hp) -> py::object {
            const auto s = p.api.query_info_str_by_arch(arch_of(arch, "arch"), hp_of(hp));
            return s ? py::object(py::str(*s)) : py::object(py::none());
          },
          "arch"_a, "hp"_a = "12")
      .def(
          "query_by_arch",
          [](const P& p, py::handle arch, py::handle hp) -> py::object {
            const auto s = p.api.query_info_str_by_arch(arch_of(arch, "arch"), hp_of(hp));
            return s ? py::object(py::str(*s)) : py::object(py::none());
          },
          "arch"_a, "hp"_a,
          "query_info_str_by_arch(arch, hp): the reference APIs' name from NAS-Bench-201 v1.0 (hp required).")
      .def(
          "clear_params",
          [](P& p, py::handle index, py::handle hp) {
            std::optional<Hp> h;
            if (!hp.is_none()) h = hp_of(hp);
            const ArchRef a = arch_of(index);
            std::unique_lock<std::shared_mutex> lock(p.mutex);
            p.api.clear_params(a, h);
          },
          "index"_a, "hp"_a = py::none())
      .def_property_readonly(
          "avaliable_hps", [](const P& p) { return p.api.avaliable_hps(); },
          "The schedules of the results loaded so far (sorted).")
      .def_property_readonly("search_space_name",
                             [](const P& p) { return std::string(p.api.search_space_name()); })
      .def_property_readonly("fast_mode", [](const P& p) { return p.api.fast_mode(); })
      .def_property_readonly("archive_dir", [](const P& p) { return p.api.archive_dir(); })
      .def_property_readonly("full_train_epochs", [](const P& p) { return p.api.full_train_epochs(); })
      .def_property_readonly("full_epochs_in_paper", [](const P& p) { return p.api.full_epochs_in_paper(); })
      .def_property_readonly("is_size", [](const P& p) { return p.api.is_size(); })
      .def_property_readonly("is_topology", [](const P& p) { return p.api.is_topology(); })
      .def_property_readonly(
          "class_name", [](const P& p) { return p.api.class_name(); },
          "NASBench201API, NATStopology or NATSsize: whose semantics the answers follow.")
      .def_property_readonly("filename",
                             [](const P& p) -> py::object {
                               if (p.filename_is_none) return py::none();
                               return py::str(p.api.filename());
                             })
      .def(
          "reset_archive_dir",
          [](P& p, const std::string& d) {
            std::unique_lock<std::shared_mutex> lock(p.mutex);
            p.api.reset_archive_dir(d);
          },
          "xdir"_a)
      .def(
          "reset_fast_mode",
          [](P& p, bool f) {
            std::unique_lock<std::shared_mutex> lock(p.mutex);
            p.api.reset_fast_mode(f);
          },
          "fast_mode"_a)
      .def_static(
          "str2matrix",
          [](const std::string& arch, py::object search_space) -> py::object {
            // nas_201_api: np.zeros((nodes, nodes)), matrix[node][input] = index of the op in search_space.
            std::vector<std::string> ops;
            if (search_space.is_none()) {
              for (auto op : nasbench::kOpNames) ops.emplace_back(op);
            } else {
              ops = search_space.cast<std::vector<std::string>>();
            }
            const auto nodes = BasicAPI<Real>::str2lists(arch);
            const std::size_t n = nodes.size() + 1;
            py::object matrix = py::module_::import("numpy").attr("zeros")(py::make_tuple(n, n));
            for (std::size_t i = 0; i < nodes.size(); ++i)
              for (const auto& e : nodes[i]) {
                const std::string op(nasbench::to_string(e.op));
                const auto it = std::find(ops.begin(), ops.end(), op);
                if (it == ops.end()) throw py::value_error("this op (" + op + ") is not in the search space");
                matrix.attr("__setitem__")(py::make_tuple(i + 1, e.input), py::int_(it - ops.begin()));
              }
            return matrix;
          },
          "arch_str"_a, "search_space"_a = py::none(),
          "nas_201_api's str2matrix: a numpy (nodes x nodes) float64 matrix, matrix[node][input] = the op's "
          "index in "
          "search_space (default: none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3).")
      .def_static(
          "str2lists",
          [](const std::string& arch) {
            py::list nodes;
            for (const auto& edges : BasicAPI<Real>::str2lists(arch)) {
              py::list node;
              for (const auto& e : edges)
                node.append(py::make_tuple(std::string(nasbench::to_string(e.op)), e.input));
              nodes.append(py::tuple(node));
            }
            return nodes;
          },
          "arch_str"_a, "Per node, a tuple of (op, input index).");
  return cls;
}

}  // namespace

#include "search_bindings.hpp"  // nasbench.search (uses PyAPI and the argument helpers above)

PYBIND11_MODULE(_core, m) {
  m.doc() =
      "nasbench: the NAS-Bench-201 / NATS-Bench Python APIs (nas_201_api, nats_bench) on nasbench's compact "
      "tables.\n"
      "NASBench201API(path) as nas_201_api, create(path, 'tss'|'sss', fast_mode) as nats_bench.create, and\n"
      "load(path, hps=, datasets=, final_epoch_only=, float32=) for nasbench's own options.";
  m.attr("__version__") = std::to_string(NASBENCH_VERSION_MAJOR) + "." +
                          std::to_string(NASBENCH_VERSION_MINOR) + "." +
                          std::to_string(NASBENCH_VERSION_PATCH);
  make_exceptions(m);
  m.def(
      "_remap_dataset_set_names",
      [](const std::string& dataset, const std::string& set) { return nasbench::remap_dataset_set_names(dataset, set); },
      "dataset"_a, "metric_on_set"_a,
      "Internal (nasbench.api_utils.remap_dataset_set_names): the (dataset, set) find_best reads.");
  m.def(
      "_random_transfer",
      [](py::object mode) {
        if (!mode.is_none()) {
          const auto v = mode.cast<std::string>();
          if (v != "direct" && v != "getstate") throw py::value_error("mode must be 'direct' or 'getstate'");
          g_force_getstate = v == "getstate";
        }
        return std::string(PythonRandomAccess::get().inst && !g_force_getstate ? "direct" : "getstate");
      },
      "mode"_a = py::none(),
      "Internal: how is_random=True reads and writes Python's random state ('direct': the verified CPython "
      "layout; 'getstate': random.getstate/setstate); a mode forces 'getstate' or allows 'direct' again.");

  bind_results<double>(m, "ResultsCount", "ArchResults");
  bind_results<float>(m, "ResultsCountFloat", "ArchResultsFloat");
  auto cls = bind_api<double>(
      m, "NASBench201API",
      "The benchmark (nas_201_api's NASBench201API, nats_bench's NATStopology / NATSsize: see class_name).");
  bind_api<float>(m, "NASBench201APIFloat",
                  "The benchmark with float32 tables (nasbench.load(..., float32=True)).");

  cls.def(py::init([](py::handle path, bool verbose) {
            const std::string p = path.is_none() ? nb201_default_path() : path_of(path);
            auto api = load_py<double>(p, {});
            say_loaded(verbose, p, api->api.repr());
            return api;
          }),
          "file_path_or_cache"_a = py::none(), "verbose"_a = false,
          "Loads a NAS-Bench-201 .pth, a NATS-Bench file or directory, or a nasbench cache (the GIL is "
          "released). None: nas_201_api's default, $TORCH_HOME/NAS-Bench-201-v1_1-096897.pth.");

  // nats_bench's NATStopology(file_path_or_dict, fast_mode, verbose) and NATSsize(...) are Python
  // subclasses (nasbench/api_topology.py, api_size.py) that construct through this.
  cls.def(py::init(&create_or_default),
          "file_path_or_dict"_a, "search_space"_a, "fast_mode"_a, "verbose"_a,
          "What create(file_path_or_dict, search_space, fast_mode, verbose) opens (nats_bench's NATStopology "
          "and NATSsize construct through it).");
  m.def(
      "create",
      &create_or_default, "file_path_or_dict"_a, "search_space"_a, "fast_mode"_a = false, "verbose"_a = false,
      "nats_bench.create: the API of search_space ('tss'/'topology', 'sss'/'size'; None: whichever the file "
      "holds). fast_mode=True reads a directory's architecture files on first use. file_path_or_dict=None: "
      "nats_bench's default under $TORCH_HOME (else ~/.torch): NATS-tss-v1_0-3ffb9.pickle.pbz2, or the "
      "NATS-tss-v1_0-3ffb9-simple directory in fast mode (sss: NATS-sss-v1_0-50262).");
  const auto write_cache = [](const auto& p, py::handle path) {
    const std::string out = path_of(path);
    py::gil_scoped_release release;
    std::shared_lock<std::shared_mutex> lock(p.mutex);
    nasbench::write_cache(p.api, out);
  };
  m.def(
      "write_cache", [write_cache](const PyAPI<double>& api, py::handle path) { write_cache(api, path); },
      "api"_a, "path"_a,
      "nasbench: writes `api` as a cache file (what `nasbench convert` writes), which NASBench201API(path) "
      "opens "
      "in milliseconds with the same answers. Error when a run holds trained weights.");
  m.def(
      "write_cache", [write_cache](const PyAPI<float>& api, py::handle path) { write_cache(api, path); },
      "api"_a, "path"_a);
  m.def(
      "load",
      [](py::handle path, py::object hps, py::object datasets, bool final_epoch_only,
         bool float32) -> py::object {
        const std::string p = path_of(path);
        const nasbench::LoadOptions options = load_options(hps, datasets, final_epoch_only);
        if (float32) return py::cast(load_py<float>(p, options));
        return py::cast(load_py<double>(p, options));
      },
      "path"_a, "hps"_a = py::none(), "datasets"_a = py::none(), "final_epoch_only"_a = false,
      "float32"_a = false,
      "Loads any benchmark file or cache with nasbench's options: only these hps / datasets, only the last "
      "epoch "
      "of each series, float32 tables (a NASBench201APIFloat).");
  bind_search(m);
}

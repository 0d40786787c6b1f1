// The `nasbench` command-line program. Torch-free: it starts in milliseconds.
// Exit status: 0 success, 1 bad value (unparsable architecture, index out of
// range, unreadable or malformed file, unanswerable query), 2 usage error.

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <unistd.h>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "guarded_main.hpp"
#include "search_command.hpp"
#include "nasbench/nasbench.hpp"
#include "nasbench/platform/process.hpp"

#if defined(NASBENCH_WITH_MIMALLOC)
#include <mimalloc.h>
#endif

namespace {

using nlohmann::json;

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// --space: "tss"/"topology" or "sss"/"size" (CLI11 check).
std::string check_space(const std::string& text) {
  try {
    (void)nasbench::parse_search_space(text);
  } catch (const nasbench::QueryError& e) {
    return e.message();
  }
  return {};
}

// A size-space configuration: an official index 0..32767 or a channels string.
nasbench::Channels resolve_channels(const std::string& arg) {
  if (all_digits(arg)) {
    if (arg.size() > 9 || std::stoul(arg) >= nasbench::kSizeSpaceSize)
      throw nasbench::QueryError("size-space index " + arg + " out of range (0.." +
                                 std::to_string(nasbench::kSizeSpaceSize - 1) + ")");
    return nasbench::Channels::from_index(std::stoul(arg));
  }
  return nasbench::Channels::parse(arg);
}

json channels_json(const nasbench::Channels& c) {
  return {{"index", c.index()}, {"arch", c.str()}, {"channels", c.values},
          {"genotype", std::string(nasbench::kSizeSpaceGenotype)}};
}

void print_channels_text(const nasbench::Channels& c) {
  std::cout << "index:          " << c.index() << " (size space)\n"
            << "channels:       " << c.str() << '\n'
            << "layers:         stem+cell " << c.values[0] << ", reduction " << c.values[1] << ", cell "
            << c.values[2] << ", reduction " << c.values[3] << ", cell " << c.values[4] << '\n'
            << "cell genotype:  " << nasbench::kSizeSpaceGenotype << '\n';
}

// An INDEX (decimal) or an architecture STRING.
nasbench::Structure resolve_arch(const std::string& arg) {
  if (all_digits(arg)) {
    if (arg.size() > 9)
      throw nasbench::QueryError("architecture index " + arg + " out of range (0.." +
                                 std::to_string(nasbench::kTopologySpaceSize - 1) + ")");  // beyond long long
    return nasbench::official_arch(std::stoul(arg));
  }
  return nasbench::Structure::parse(arg);
}

json edges_json(const nasbench::NodeEdges& edges) {
  json out = json::array();
  for (const auto& e : edges) out.push_back({std::string(nasbench::to_string(e.op)), e.input});
  return out;
}

json arch_json(const nasbench::Structure& cell) {
  const auto index = nasbench::official_index(cell);
  json lists = json::array();
  for (const auto& node : cell.nodes()) lists.push_back(edges_json(node));
  return {{"index", index ? json(*index) : json(nullptr)},
          {"arch", cell.to_string()},
          {"valid", cell.check_valid()},
          {"unique_str",
           {{"none", cell.to_unique_str(std::nullopt)},
            {"false", cell.to_unique_str(false)},
            {"true", cell.to_unique_str(true)}}},
          {"matrix", cell.to_matrix()},
          {"lists", lists}};
}

void print_arch_text(const nasbench::Structure& cell) {
  const auto index = nasbench::official_index(cell);
  std::cout << "index:          " << (index ? std::to_string(*index) : "-1 (not in the topology space)") << '\n'
            << "arch:           " << cell.to_string() << '\n'
            << "valid:          " << (cell.check_valid() ? "true" : "false") << '\n'
            << "unique (None):  " << cell.to_unique_str(std::nullopt) << '\n'
            << "unique (False): " << cell.to_unique_str(false) << '\n'
            << "unique (True):  " << cell.to_unique_str(true) << '\n'
            << "matrix (op index; rows: node, columns: input):\n";
  for (const auto& row : cell.to_matrix()) {
    std::cout << "   ";
    for (int v : row) std::cout << ' ' << v;
    std::cout << '\n';
  }
  std::cout << "nodes:\n";
  for (std::size_t j = 1; j < cell.size(); ++j) {
    std::cout << "  node " << j << " <-";
    const auto& edges = cell.node(j);
    for (std::size_t k = 0; k < edges.size(); ++k)
      std::cout << (k ? ", " : " ") << '(' << nasbench::to_string(edges[k].op) << ", " << edges[k].input << ')';
    std::cout << '\n';
  }
}

// FILE argument, else $NASBENCH_FILE.
std::string benchmark_path(const std::string& arg) {
  if (!arg.empty()) return arg;
  if (const char* env = std::getenv("NASBENCH_FILE"); env && *env) return env;
  throw CLI::RequiredError("FILE (or the NASBENCH_FILE environment variable)");
}

template <typename Real>
int run_info(const nasbench::BasicAPI<Real>& api, bool as_json) {
  json out = {{"repr", api.repr()},
              {"architectures", api.size()},
              {"evaluated", api.evaluated_indexes().size()}};
  const std::vector<std::string> hps = api.evaluated_hps();
  json per_hp = json::object();
  for (const auto& hp : hps) {
    json datasets = json::object();
    for (const auto& ds : nasbench::benchmark_datasets()) {
      json counts = json::object();
      try {
        for (const auto& [seeds, n] : api.statistics(ds, hp)) counts[std::to_string(seeds)] = n;
      } catch (const nasbench::QueryError&) {
        continue;  // some architecture lacks this hp
      }
      datasets[ds] = counts;
    }
    per_hp[hp] = datasets;
  }
  out["hps"] = per_hp;
  if (as_json) {
    std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
    return 0;
  }
  std::cout << api.repr() << '\n'
            << "architectures: " << api.size() << " (" << api.evaluated_indexes().size() << " evaluated)\n";
  for (const auto& hp : hps) {
    std::cout << "hp " << hp << " (architectures by number of seeds):\n";
    for (const auto& ds : nasbench::benchmark_datasets()) {
      if (!per_hp[hp].contains(ds)) continue;
      std::cout << "  " << ds << ":";
      for (const auto& [seeds, n] : per_hp[hp][ds].items())
        std::cout << ' ' << seeds << " seed(s): " << n.template get<int>() << ';';
      std::cout << '\n';
    }
  }
  return 0;
}

struct BestArgs {
  std::string dataset, metric_on_set, hp = "12";
  std::optional<double> flop_max, param_max;
  std::optional<bool> enforce_all;
  bool json = false;
};

template <typename Real>
int run_best(const nasbench::BasicAPI<Real>& api, const BestArgs& a) {
  const auto best = api.find_best(a.dataset, a.metric_on_set, a.flop_max, a.param_max, a.hp, a.enforce_all);
  if (a.json) {
    json out = {{"index", best.index},
                {"accuracy", best.accuracy ? json(*best.accuracy) : json(nullptr)},
                {"arch", best.index >= 0 ? json(api.arch(best.index)) : json(nullptr)}};
    std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
  } else if (best.index < 0) {
    std::cout << "no architecture satisfies the constraints\n";
  } else {
    std::printf("best on %s/%s (hp %s): index %d, accuracy %.4f%%\n%s\n", a.dataset.c_str(),
                a.metric_on_set.c_str(), a.hp.c_str(), best.index, *best.accuracy, api.arch(best.index).c_str());
  }
  return 0;
}

template <typename Real>
int run_query(nasbench::BasicAPI<Real>& api, std::uint64_t seed) {
  nasbench::Random rng(seed);
  nasbench::serve_requests(api, std::cin, stdout, rng);
  return 0;
}

// A limit such as --flop-max: a finite decimal number. CLI11 alone would take
// "nan", "inf" and "0x10", and a NaN limit silently admits nothing.
std::string check_limit(const std::string& text) {
  const bool decimal = !text.empty() && text.find_first_not_of("0123456789.eE+-") == std::string::npos &&
                       text.find_first_of("0123456789") != std::string::npos;
  char* end = nullptr;
  errno = 0;
  const double v = decimal ? std::strtod(text.c_str(), &end) : 0.0;
  if (!decimal || end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v))
    return "expected a finite decimal number, got \"" + text + "\"";
  return {};
}


template <typename Real>
int run_search(const nasbench::BasicAPI<Real>& api, const nasbench_tools::SearchArgs& a, const char* program) {
  return nasbench_tools::run_search<Real>(api, a, program, nasbench_tools::torch_free_run<Real>);
}

}  // namespace

// `nasbench net ...` runs the LibTorch program `nasbench-net` beside this one
// (git-style), so the query commands never pay for loading LibTorch.
int exec_net(int argc, char** argv) {
  const std::string net = nasbench::platform::executable_dir(argv[0]) + "nasbench-net";
  std::vector<char*> args{const_cast<char*>(net.c_str())};
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  ::execv(net.c_str(), args.data());
  std::cerr << "nasbench: cannot run " << net << " (" << std::strerror(errno)
            << "); `nasbench net` needs nasbench built with LibTorch (NASBENCH_WITH_TORCH)\n";
  return 1;
}

int run_main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "net") == 0) return exec_net(argc, argv);
  CLI::App app{"nasbench: NAS-Bench-201 cells and benchmark queries, without Python"};
  app.footer("Also: nasbench net --help   (build a network in LibTorch; see nasbench-net)");
  std::string version = std::string("nasbench ") + nasbench::kVersion;
#if defined(NASBENCH_WITH_MIMALLOC)
  const int mi = mi_version();  // also keeps the library linked: it replaces malloc
  version += " (allocator: mimalloc " + std::to_string(mi / 100) + "." + std::to_string(mi / 10 % 10) + "." +
             std::to_string(mi % 10) + ")";
#endif
  app.set_version_flag("--version", version);
  app.require_subcommand(1);
  app.fallthrough();  // the global options (--space, --fast-mode, --float, ...) also after the subcommand

  std::string space_name;
  app.add_option("--space", space_name,
                 "search space: tss (topology, the default for indexes) or sss (size); with a benchmark, "
                 "nats_bench's create(): the file must hold that space")
      ->check(check_space, "SPACE");
  bool fast_mode = false;
  app.add_flag("--fast-mode", fast_mode,
               "nats_bench's fast mode: read a NATS-Bench directory's meta now and each architecture's file on "
               "first use");

  std::vector<std::string> arch_args;
  bool arch_json_out = false;
  auto* arch = app.add_subcommand("arch", "Describe architectures given as strings or official indexes");
  arch->add_option("ARCH", arch_args,
                   "an architecture string |op~i|+|...|, a size-space channels string 8:16:24:32:40, or an "
                   "official index (0..15624; with --space sss 0..32767)")
      ->required();
  arch->add_flag("--json", arch_json_out, "print one JSON object per architecture");
  arch->footer("Example:\n  nasbench arch 0 '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|'\n"
               "  nasbench arch 8:8:8:16:32\n  nasbench --space sss arch 11");

  bool list_canonical = false;
  auto* list = app.add_subcommand("list", "Print the 15,625 topology-space architectures (--space sss: the 32,768 "
                                          "size-space channels strings), one per line, in official index order");
  list->add_flag("--canonical", list_canonical, "use the canonical enumeration order instead (topology space)");

  bool use_float = false;
  app.add_flag("--float", use_float, "hold results in single precision (half the memory; values rounded)");

  nasbench::LoadOptions load_options;
  app.add_option("--load-hp", load_options.hps,
                 "load only this schedule (repeatable; e.g. 200): less memory, other hps are QueryErrors");
  app.add_option("--load-dataset", load_options.datasets,
                 "load only this dataset (repeatable; e.g. cifar10): less memory, others are QueryErrors");
  app.add_flag("--final-epoch-only", load_options.final_epoch_only,
               "keep only the last epoch of each series (headline numbers in a fraction of the memory; "
               "other epochs are QueryErrors)");

  std::string verify_file;
  bool verify_json = false;
  auto* verify = app.add_subcommand(
      "verify", "Check every block of a cache file now (opening checks the header, list and index; the rest is "
                "checked when first used): exit 0 when intact, 1 with the first problem and its byte offset");
  verify->add_option("CACHE", verify_file, "the cache file (written by nasbench convert)")->required();
  verify->add_flag("--json", verify_json, "print one JSON object");

  std::string file;
  bool info_json = false;
  auto* info = app.add_subcommand("info", "Summarise a benchmark file: architectures, schedules, seeds per dataset");
  info->add_option("FILE", file, "benchmark file, NATS-Bench directory or cache (default: $NASBENCH_FILE)");
  info->add_flag("--json", info_json, "print one JSON object");

  long long show_index = -1;
  auto* show = app.add_subcommand("show", "Print the Python API's text report of one architecture (or all: -1)");
  show->add_option("FILE", file, "benchmark file, NATS-Bench directory or cache (default: $NASBENCH_FILE)");
  show->add_option("INDEX", show_index, "architecture index (default -1: every evaluated architecture)");

  BestArgs best_args;
  auto* best = app.add_subcommand("best", "find_best: the most accurate architecture under FLOP/param limits");
  best->add_option("FILE", file, "benchmark file, NATS-Bench directory or cache (default: $NASBENCH_FILE)");
  best->add_option("--dataset", best_args.dataset, "cifar10-valid, cifar10, cifar100 or ImageNet16-120")->required();
  best->add_option("--metric-on-set", best_args.metric_on_set, "train, valid, test, x-valid, x-test or ori-test")
      ->required();
  best->add_option("--hp", best_args.hp, "training schedule: 12 or 200 (size space: 01, 12, 90)")->capture_default_str();
  best->add_option("--flop-max", best_args.flop_max, "largest FLOPs (millions) allowed")->check(check_limit, "NUMBER");
  best->add_option("--param-max", best_args.param_max, "largest parameter count (millions) allowed")
      ->check(check_limit, "NUMBER");
  best->add_flag("--enforce-all,!--no-enforce-all", best_args.enforce_all,
                 "nats_bench's enforce_all: first read every architecture file (default: with --fast-mode)");
  best->add_flag("--json", best_args.json, "print one JSON object");

  std::uint64_t query_seed = 0;
  auto* query = app.add_subcommand("query", "Answer JSON requests read from stdin, one JSON reply per line (see README)");
  query->add_option("FILE", file, "benchmark file, NATS-Bench directory or cache (default: $NASBENCH_FILE)");
  query->add_option("--seed", query_seed, "seed of the random choices (is_random=true)")->capture_default_str();

  nasbench_tools::SearchArgs search_args;
  auto* search = app.add_subcommand(
      "search", "NAS on the benchmark: random search (rs), regularized evolution (rea), REINFORCE (reinforce) and "
                "BOHB (bohb) as the NATS-Bench reference scripts run them (rs, rea, reinforce: their --rand_seed runs "
                "exactly)");
  search->add_option("FILE", file, "NATS-Bench file, directory or cache (default: $NASBENCH_FILE)");
  nasbench_tools::add_search_options(search, search_args);
  search->footer("Examples:\n  nasbench search NATS-tss-v1_0-3ffb9-simple --fast-mode --algo rea --dataset cifar10 "
                 "--runs 500 --threads 0\n  nasbench search tss.cache --compare rs,rea,reinforce,bohb --dataset cifar10 "
                 "--runs 100 --plot search.png");

  std::string convert_out;
  auto* convert = app.add_subcommand(
      "convert", "Write a benchmark as a nasbench cache file, which later opens in milliseconds (memory-mapped)");
  convert->add_option("FILE", file, "benchmark file or NATS-Bench directory")->required();
  convert->add_option("OUT", convert_out, "the cache file to write (replaced atomically)")->required();
  convert->footer(
      "With --float the tables are single precision, and the cache stores their answers (for --float readers).\n"
      "Example:\n  nasbench convert NAS-Bench-201-v1_1-096897.pth nb201.cache && nasbench info nb201.cache");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  if (*search) {
    if (const std::string error = search_args.usage_error(); !error.empty()) {
      std::fprintf(stderr, "nasbench search: %s\nRun with --help for more information.\n", error.c_str());
      return 2;
    }
  }
  try {
    if (*info || *show || *best || *query || *search) {
      const std::string path = benchmark_path(file);
      nasbench::LoadOptions options = load_options;
      options.progress = nasbench::stderr_progress();
      auto run = [&](auto&& api) -> int {
        if (options.progress) std::fputc('\n', stderr);
        if (*info) return run_info(api, info_json);
        if (*show) {
          std::cout << api.show(show_index);
          return 0;
        }
        if (*best) return run_best(api, best_args);
        if (*search) return run_search(api, search_args, argv[0]);
        return run_query(api, query_seed);
      };
      const std::optional<nasbench::SearchSpace> space =
          space_name.empty() ? std::nullopt : std::optional(nasbench::parse_search_space(space_name));
      if (use_float) return run(nasbench::open_nats<float>(path, space, fast_mode, options));
      return run(nasbench::open_nats<double>(path, space, fast_mode, options));
    }
    if (*verify) {
      const auto start = std::chrono::steady_clock::now();
      const nasbench::CacheCheck c = nasbench::verify_cache(verify_file);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (verify_json)
        std::cout << json{{"file", verify_file},
                          {"ok", true},
                          {"bytes", c.bytes},
                          {"architectures", c.architectures},
                          {"with_results", c.with_results},
                          {"columns", c.columns},
                          {"summaries", c.summaries}}
                         .dump()
                  << '\n';
      else
        std::printf(
            "%s: intact (%llu bytes; %zu architectures, %zu with results; %zu find_best columns, %zu summary tables) "
            "in %.2f s\n",
            verify_file.c_str(), static_cast<unsigned long long>(c.bytes), c.architectures, c.with_results, c.columns,
            c.summaries, seconds);
      return 0;
    }
    if (*convert) {
      if (load_options.final_epoch_only) {
        std::fprintf(stderr, "nasbench convert: --final-epoch-only does not apply (a cache holds every epoch)\n");
        return 2;
      }
      const auto start = std::chrono::steady_clock::now();
      nasbench::LoadOptions options = load_options;
      options.progress = nasbench::stderr_progress();
      if (fast_mode) {
        std::fprintf(stderr, "nasbench convert: --fast-mode does not apply (a cache holds every architecture)\n");
        return 2;
      }
      const auto space = space_name.empty() ? std::nullopt : std::optional(nasbench::parse_search_space(space_name));
      // --float: single-precision tables, whose answers (summary rows, columns) the cache then stores.
      auto write = [&](const auto& api) {
        if (options.progress) std::fputc('\n', stderr);
        nasbench::write_cache(api, convert_out);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::error_code ec;
        const auto bytes = std::filesystem::file_size(convert_out, ec);
        std::printf("wrote %s: %zu architectures (%zu evaluated), %.1f MB, in %.1f s\n", convert_out.c_str(),
                    api.size(), api.evaluated_indexes().size(), static_cast<double>(bytes) / 1e6, seconds);
        return 0;
      };
      if (use_float) return write(nasbench::open_nats<float>(file, space, false, options));
      return write(nasbench::open_nats<double>(file, space, false, options));
    }
    const bool size_space = !space_name.empty() && nasbench::parse_search_space(space_name) == nasbench::SearchSpace::kSize;
    if (*arch) {
      bool first = true;
      for (const auto& a : arch_args) {
        if (!first && !arch_json_out) std::cout << '\n';
        first = false;
        if (size_space || nasbench::looks_like_channels(a) && !all_digits(a)) {
          const auto c = resolve_channels(a);
          if (arch_json_out) std::cout << channels_json(c).dump() << '\n';
          else print_channels_text(c);
          continue;
        }
        const auto cell = resolve_arch(a);
        if (arch_json_out) std::cout << arch_json(cell).dump() << '\n';
        else print_arch_text(cell);
      }
    } else if (*list) {
      std::string out;
      if (size_space) {
        if (list_canonical) {
          std::fprintf(stderr, "nasbench list: --canonical is the topology space's order (the size space has one)\n");
          return 2;
        }
        for (const auto& c : nasbench::enumerate_size_space()) out += c + '\n';
      } else {
        for (std::size_t i = 0; i < nasbench::kTopologySpaceSize; ++i) {
          out += (list_canonical ? nasbench::canonical_arch(i) : nasbench::official_arch(i)).to_string();
          out += '\n';
        }
      }
      std::fwrite(out.data(), 1, out.size(), stdout);
    }
  } catch (const CLI::ParseError& e) {
    std::cerr << e.what() << '\n' << "Run with --help for more information.\n";
    return 2;
  } catch (const nasbench::Error& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) { return guarded_main("nasbench", run_main, argc, argv); }

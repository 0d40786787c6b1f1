// Every input the fuzz harnesses (fuzz/) have found, replayed through the
// harness's own check: tests/data/fuzz-regressions/HARNESS-WHAT.EXT, where
// HARNESS (pickle, api, cache, cells, protocol) picks fuzz/check_HARNESS.hpp.
// The leaks among them (fuzz/findings/README.md) fail the sanitizer suite,
// where LeakSanitizer sees them; test_limits.cpp checks that fix directly.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "../fuzz/check_api.hpp"
#include "../fuzz/check_cache.hpp"
#include "../fuzz/check_cells.hpp"
#include "../fuzz/check_pickle.hpp"
#include "../fuzz/check_protocol.hpp"
#include "nasbench/io.hpp"
#include "nasbench/io/nats.hpp"
#include "support.hpp"


#ifndef NASBENCH_FUZZ_REGRESSIONS_DEFAULT
#define NASBENCH_FUZZ_REGRESSIONS_DEFAULT ""
#endif

namespace {

std::string regressions_dir() {
  return nasbench_test::env_or("NASBENCH_FUZZ_REGRESSIONS", NASBENCH_FUZZ_REGRESSIONS_DEFAULT);
}

std::vector<std::filesystem::path> findings() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(regressions_dir()))
    if (e.is_regular_file())
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// fuzz_protocol's benchmarks (check_protocol.hpp: kProtocolTargetFiles), under
// the directory that holds the tests' bench/ and nats/ fixtures; mutable, as
// in the harness. Null when the fixture is missing.
std::string protocol_fixture(int target) {
  return nasbench_test::bench_fixtures() + "/../" + nasbench_fuzz::kProtocolTargetFiles[target].path;
}
nasbench::BasicAPI<double>* protocol_api(int target) {
  static std::unique_ptr<nasbench::BasicAPI<double>> apis[nasbench_fuzz::kProtocolTargets];
  if (!apis[target]) {
    const nasbench_fuzz::ProtocolTarget& t = nasbench_fuzz::kProtocolTargetFiles[target];
    const std::string path = protocol_fixture(target);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return nullptr;
    apis[target] = std::make_unique<nasbench::BasicAPI<double>>(
        t.space ? nasbench::create<double>(path, t.space, t.fast) : nasbench::load_api<double>(path));
  }
  return apis[target].get();
}

// Runs the check that the file's name prefix names; false when it cannot run (no fixture).
bool replay(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string name = file.filename().string();
  const std::string harness = name.substr(0, name.find('-'));
  const std::uint8_t* data = bytes.data();
  const std::size_t size = bytes.size();
  if (harness == "pickle") {
    nasbench_fuzz::check_pickle(data, size);
  } else if (harness == "api") {
    nasbench_fuzz::check_api(data, size);
  } else if (harness == "cache") {
    nasbench_fuzz::check_cache(data, size);
  } else if (harness == "cells") {
    nasbench_fuzz::check_cells(data, size);
  } else if (harness == "weights") {
    return true;  // needs LibTorch: replayed by test_nn.cpp
  } else if (harness == "protocol") {  // the first byte may pick the benchmark, as in fuzz/fuzz_protocol.cpp
    const int target = nasbench_fuzz::protocol_target(data, size);
    if (!nasbench_test::require_fixture(protocol_fixture(target))) return false;
    const std::size_t skip = target == 0 ? 0 : 1;
    nasbench_fuzz::check_protocol(*protocol_api(target), data + skip, size - skip);
  } else {
    FAIL("unknown harness prefix \"" << harness << "\" in " << name);
  }
  return true;
}

}  // namespace

TEST_CASE("fuzz findings replay through their harness's check", "[fuzz]") {
  if (!nasbench_test::require_fixture(regressions_dir())) return;
  const auto files = findings();
  CHECK(files.size() >= 2);
  for (const auto& file : files) {
    CAPTURE(file.filename().string());
    CHECK_NOTHROW(replay(file));
  }
}

// Finding 6 (fuzz_weights): a root that holds a cycle, dropped with its
// Document without a dismantle, as nn::load_state_dict_file drops a file whose
// root is no state dict. The input is a plain pickle: MARK, a str, DUPs,
// EMPTY_LIST, DUPs, POP, DUPs, APPEND (the list into itself), DUPs, STOP: the
// root is a list that contains itself. LeakSanitizer (the sanitizer suite)
// sees it unless Document's destructor frees it; the check of fuzz_weights
// (test_nn.cpp, LibTorch) replays the file as well.
namespace {

std::shared_ptr<const std::string> bytes_of(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

// True when `v` is a list whose only item is `v` itself.
bool list_holds_itself(const nasbench::pickle::Value& v) {
  return v.is_list() && v.size() == 1 && &v.items()[0].items() == &v.items();
}

}  // namespace

TEST_CASE("finding 6: a cyclic root is freed with its Document (the weights reader's path)", "[fuzz]") {
  namespace pickle = nasbench::pickle;
  const std::string file =
      regressions_dir() + "/weights-leak-cycle-in-a-root-that-is-not-a-state-dict.pickle";
  if (!nasbench_test::require_fixture(file)) return;
  // What nn::load_state_dict_file does before LibTorch is involved: open_torch_file, then a look at the root.
  pickle::Document doc = pickle::open(file);
  CHECK(doc.format == pickle::Format::kPickle);
  CHECK(doc.cycles_possible);
  CHECK(list_holds_itself(doc.root));
  CHECK_FALSE(doc.root.is_dict());  // load_state_dict_file's LoadError: "holds a list, not a state dict"
}  // doc dropped here, its root not dismantled

TEST_CASE("finding 6: hand-written pickles whose root contains itself", "[fuzz]") {
  namespace pickle = nasbench::pickle;
  // EMPTY_LIST DUP APPEND STOP, and EMPTY_LIST MEMOIZE BINGET 0 APPEND STOP: l = []; l.append(l).
  const std::string dup = "]2a.";
  const std::string memo = std::string("]\x94h\x00" "a.", 6);
  // EMPTY_DICT MEMOIZE MARK SHORT_BINUNICODE 'k' BINGET 0 SETITEMS STOP: d = {}; d['k'] = d.
  const std::string dict = std::string("}\x94(\x8c\x01kh\x00u.", 10);
  for (const std::string& p : {dup, memo, dict}) {
    CAPTURE(p);
    pickle::Document doc = pickle::open_memory(bytes_of(p));
    CHECK(doc.cycles_possible);
    CHECK(doc.root.size() == 1);
  }
  SECTION("a copy of the Document keeps the tree whole; the last one frees it") {
    pickle::Document a = pickle::open_memory(bytes_of(dup));
    { const pickle::Document b = a; }  // NOLINT(performance-unnecessary-copy-initialization)
    CHECK(list_holds_itself(a.root));
    pickle::Document c;
    c = a;  // copy assignment
    a = pickle::Document();  // move assignment over a cyclic root: a's reference goes, c holds the list
    CHECK(list_holds_itself(c.root));
  }
  SECTION("a value of the tree kept past the Document stays whole (the caller dismantles it)") {
    pickle::Value kept;
    {
      const pickle::Document doc = pickle::open_memory(bytes_of(dup));
      kept = doc.root;
    }
    CHECK(list_holds_itself(kept));
    pickle::dismantle(std::move(kept));
  }
  SECTION("an assignment that replaces a cyclic root frees it") {
    pickle::Document doc = pickle::open_memory(bytes_of(dup));
    doc = pickle::open_memory(bytes_of(memo));
    CHECK(list_holds_itself(doc.root));
  }
  SECTION("a pickle that pushes no container twice cannot make a cycle: nothing to look for") {
    const pickle::Document doc = pickle::open_memory(bytes_of("](K\x01K\x02" "e."));
    CHECK_FALSE(doc.cycles_possible);
    CHECK(doc.root.size() == 2);
  }
}

// Finding 7 (fuzz_weights): a container that an opcode takes off the stack or
// the memo (POP, POP_MARK, a memo id defined twice, BUILD's state, REDUCE's
// arguments) and that contains itself was dropped by its refcount alone and
// leaked. The input is a legacy torch.save file whose protocol-version pickle
// builds a self-containing dict (SETITEM, BUILD with it as its own state),
// redefines its memo id, and fails on a BUILD whose state is that dict. The
// reader now keeps what it drops while cycles are possible (Reader::release)
// and frees or breaks their cycles with the rest. LeakSanitizer (the sanitizer
// suite) sees every case below; the error cases are also visible here: the
// dict, kept by an on_complete hook, is emptied when the pickle fails.
TEST_CASE("finding 7: containers an opcode drops are freed with the stack and the memo", "[fuzz]") {
  namespace pickle = nasbench::pickle;
  const std::string file = regressions_dir() + "/weights-leak-cycle-dropped-in-a-legacy-header-pickle.pth";
  if (nasbench_test::require_fixture(file)) {
    // What nn::load_state_dict_file does before LibTorch is involved (test_nn.cpp replays the harness).
    try {
      (void)pickle::open(file);
      FAIL("the file opened");
    } catch (const nasbench::LoadError& e) {
      CHECK(std::string(e.what()).find("BUILD with state") != std::string::npos);
    }
  }
  // d = {}; d[d] = d (EMPTY_DICT DUP DUP SETITEM), then each way of dropping it.
  const std::string self_dict = "}22s";
  SECTION("dropped, and the pickle goes on to STOP (LeakSanitizer)") {
    const std::string cases[] = {
        self_dict + "0N.",                                          // POP
        "(" + self_dict + "1N.",                                    // POP_MARK
        std::string("}q\x00" "22s0}q\x00" "0N.", 13),              // BINPUT 0 twice, after a POP
        std::string("}\x94" "22s0}\x94", 7) + "0N.",               // MEMOIZE (ids 0, 1): nothing redefined
    };
    for (const std::string& p : cases) {
      CAPTURE(p);
      const pickle::Document doc = pickle::open_memory(bytes_of(p));
      CHECK(doc.root.is_none());
      CHECK(doc.cycles_possible);
    }
  }
  SECTION("many drops: the reader frees their cycles as it goes, and never what is still held") {
    // 5,000 self-containing dicts, each dropped by POP (LeakSanitizer: every one is freed).
    std::string many;
    for (int i = 0; i < 5000; ++i) many += self_dict + "0";
    const pickle::Document doc = pickle::open_memory(bytes_of(many + "N."));
    CHECK(doc.root.is_none());
    // l = [1] in memo 0, then BINGET 0 POP 5,000 times: each POP releases l, which the memo
    // and the stack still hold; the collections in between must leave it whole.
    std::string held = std::string("]q\x00K\x01" "a", 6);
    for (int i = 0; i < 5000; ++i) held += std::string("h\x00" "0", 3);
    held += std::string("0h\x00.", 4);
    const pickle::Document kept = pickle::open_memory(bytes_of(held));
    REQUIRE(kept.root.is_list());
    REQUIRE(kept.root.size() == 1);
    CHECK(kept.root.items()[0].as_int() == 1);
  }
  SECTION("dropped by an opcode that then fails: the cycle is broken") {
    const std::string cases[] = {
        "K\x01" + self_dict + "b.",                    // BUILD with it as the state of an int
        "c__builtin__\nset\n" + self_dict + "\x85R.",  // REDUCE: a tuple holding it, refused by set()
        "c__builtin__\nset\n" + self_dict + "R.",      // REDUCE with it as the arguments
    };
    for (const std::string& p : cases) {
      CAPTURE(p);
      pickle::Value kept;
      pickle::ReaderOptions options;
      options.on_complete = [&kept](pickle::Value& v) {
        if (v.is_dict() && kept.is_none()) kept = v;
      };
      CHECK_THROWS_AS(pickle::open_memory(bytes_of(p), "<memory>", options), nasbench::LoadError);
      REQUIRE(kept.is_dict());
      CHECK(kept.size() == 0);  // emptied: nothing holds the dict but `kept`
    }
  }
}

// Finding 8 (fuzz_weights, "slow units"): a 158-byte legacy torch.save file
// whose sys_info pickle shares lists inside lists (DUP, MEMOIZE, APPEND) and
// then fails on a SETITEM whose target is such a list. The message quotes 60
// bytes of it, but repr() printed up to its 16 MiB cap first (60 ms; 10-23 s
// under the fuzzer's sanitizers on a loaded machine). Value::repr(max_bytes)
// stops at max_bytes; every error message quotes values through it.
TEST_CASE("finding 8: an error message quotes a bounded repr", "[fuzz]") {
  namespace pickle = nasbench::pickle;
  const std::string file = regressions_dir() + "/weights-slow-message-quoting-a-self-sharing-list.pth";
  if (nasbench_test::require_fixture(file)) {
    try {
      (void)pickle::open(file);
      FAIL("the file opened");
    } catch (const nasbench::LoadError& e) {
      const std::string what = e.what();
      CHECK(what.find("SETITEM expects a dict below its items, got list ['pbotocol_persion'") != std::string::npos);
      CHECK(what.size() < 400);
    }
  }
  // x = []; then 40 times x = [x, x] (MARK, BINGET 0 twice, LIST, BINPUT 0): the full repr
  // would be 2^40 lists long (cut at 16 MiB).
  std::string p("]q\x00", 3);
  for (int i = 0; i < 40; ++i) p += std::string("(h\x00h\x00lq\x00", 8);
  p += ".";
  const pickle::Document doc = pickle::open_memory(bytes_of(p));
  REQUIRE(doc.root.is_list());
  for (const std::size_t n : {std::size_t{0}, std::size_t{3}, std::size_t{10}, std::size_t{60}, std::size_t{1000}}) {
    CAPTURE(n);
    const std::string r = doc.root.repr(n);
    CHECK(r.size() <= std::max<std::size_t>(n, 3));
    CHECK(r.size() >= 3);
    CHECK(r.substr(r.size() - 3) == "...");
    CHECK(doc.root.repr(n) == r);
  }
  CHECK(doc.root.repr(1000).rfind("[[[[", 0) == 0);
  // A short value is whole; a long str is cut at a character boundary.
  CHECK(pickle::Value::from_int(42).repr(2) == "42");
  CHECK(pickle::Value::from_str("ab").repr(4) == "'ab'");
  const std::string accents = pickle::Value::from_str("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9").repr(8);
  CHECK(accents == "'\xc3\xa9\xc3\xa9...");  // 5 bytes kept, not 5 and half a character
}

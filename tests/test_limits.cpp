// Hostile input that is small but costly: a container shared many times over
// through the memo ("billion laughs"), decompression bombs, huge declared
// sizes, deep nesting. Each is a LoadError (or a bounded answer) in bounded
// time and memory, never a hang or a crash. tests/test_cli_benchmark.py
// checks the peak RSS of the same files through the CLI.
#include <catch2/catch.hpp>

#include <bzlib.h>

#include <chrono>
#include <memory>
#include <cstdint>
#include <string>
#include <vector>

#include "nasbench/pickle.hpp"

namespace pk = nasbench::pickle;
using nasbench::LoadError;

namespace {

// PROTO 2, (None,) in memo 0, then `levels` times: memo 0 = (memo 0, memo 0);
// leaves only the last tuple on the stack.
std::string laughs_prefix(int levels) {
  const std::string get0("h\0", 2), put0_pop("q\0" "0", 3);
  std::string s = "\x80\x02N\x85" + put0_pop;
  for (int i = 0; i < levels; ++i) s += get0 + get0 + "\x86" + put0_pop;
  return s + get0;
}
std::string binunicode(const std::string& text) {
  std::string s = "X";
  const auto n = static_cast<std::uint32_t>(text.size());
  for (int i = 0; i < 4; ++i) s += static_cast<char>((n >> (8 * i)) & 0xff);
  return s + text;
}
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("limits: a tuple shared 2^40 times over is read, printed and hashed in bounded work", "[limits][pickle]") {
  const pk::Value v = pk::loads(laughs_prefix(40) + ".");
  REQUIRE(v.is_tuple());
  const std::string r = v.repr();  // 2^40 nodes: printing stops at 16 MiB
  CHECK(r.size() <= pk::detail::kMaxReprBytes + 1024);  // closing parentheses after the cap
  CHECK(r.substr(r.size() - 3) == "...");
  CHECK(r.substr(0, 4) == "((((");
  CHECK_THROWS_WITH(v.hash(), Catch::Contains("too large to compare or hash"));
  // The same object twice compares by identity, at once.
  CHECK(v == v);
  // Two equal but distinct copies would take 2^40 steps: refused instead.
  const pk::Value two = pk::loads(laughs_prefix(40) + laughs_prefix(40).substr(2) + "\x86.");
  REQUIRE(two.is_tuple());
  CHECK_THROWS_WITH(two.items()[0] == two.items()[1], Catch::Contains("too large to compare or hash"));
}

TEST_CASE("limits: the bomb as a key of an indexed dict is a LoadError, not a hang", "[limits][pickle]") {
  // EMPTY_DICT, MARK, 9 str keys (a dict past 8 keys gets a hash index) and the bomb as a 10th key, SETITEMS.
  std::string s = laughs_prefix(40) + "0}(";  // the bomb stays in memo 0
  for (int i = 0; i < 9; ++i) s += binunicode("k" + std::to_string(i)) + "N";
  s += "h";
  s += '\0';
  s += "Nu";
  // a lookup builds the index: every key is hashed
  const pk::Value d = pk::loads(s + ".");
  REQUIRE(d.is_dict());
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(d.find("k3"), Catch::Contains("too large to compare or hash"));
  CHECK(seconds_since(t0) < 60);  // a safety net against a hang, not a timing assertion
}

TEST_CASE("limits: a bz2 stream that expands more than 1000x is a decompression bomb", "[limits][pickle]") {
  // A list of 16 million None: 16 MB of pickle from a few hundred bytes of bz2.
  std::string pickle = "\x80\x02](";
  pickle += std::string(std::size_t{16} << 20, 'N');
  pickle += "e.";
  std::string bz(1 << 16, '\0');
  unsigned int bz_len = static_cast<unsigned int>(bz.size());
  REQUIRE(BZ2_bzBuffToBuffCompress(bz.data(), &bz_len, pickle.data(), static_cast<unsigned int>(pickle.size()), 9, 0,
                                   0) == BZ_OK);
  bz.resize(bz_len);
  CHECK(bz.size() < 2000);
  auto src = std::make_unique<pk::MemorySource>(bz, "bomb.pbz2");
  pk::Bz2Source bomb(std::move(src));
  try {
    pk::Reader(bomb).load();
    FAIL("the bomb was read");
  } catch (const LoadError& e) {
    CHECK_THAT(e.message(), Catch::Contains("bz2 stream bomb.pbz2 expands more than 1000x") &&
                                Catch::Contains("decompression bomb"));
    CHECK(e.offset() <= (std::uint64_t{2} << 20));  // stopped within the first MiBs
  }
  // A stream that expands 40x (as the real meta files do) reads through.
  std::string text = "\x80\x02X";
  const std::uint32_t n = 4 << 20;
  for (int i = 0; i < 4; ++i) text += static_cast<char>((n >> (8 * i)) & 0xff);
  std::string body(n, '\0');
  std::uint32_t x = 1;
  for (auto& c : body) {  // letters that compress about 40x: a few bits of noise per byte
    x = x * 1103515245u + 12345u;
    c = static_cast<char>('a' + ((x >> 16) % 4 == 0 ? (x >> 20) % 26 : 0));
  }
  text += body + ".";
  std::string bz2(text.size(), '\0');
  unsigned int len2 = static_cast<unsigned int>(bz2.size());
  REQUIRE(BZ2_bzBuffToBuffCompress(bz2.data(), &len2, text.data(), static_cast<unsigned int>(text.size()), 9, 0, 0) ==
          BZ_OK);
  bz2.resize(len2);
  INFO("expansion " << static_cast<double>(text.size()) / len2 << "x");
  CHECK(static_cast<double>(text.size()) / len2 < 1000);
  pk::Bz2Source fine(std::make_unique<pk::MemorySource>(bz2, "fine.pbz2"));
  CHECK(pk::Reader(fine).load().as_str().size() == n);
}

TEST_CASE("limits: declared sizes beyond the input and deep nesting are LoadErrors", "[limits][pickle]") {
  // BINUNICODE8 and BINBYTES8 declaring 30 GiB in a 14-byte file.
  for (const char op : {'\x8d', '\x8e'}) {
    std::string s = "\x80\x04";
    s += op;
    const std::uint64_t n = std::uint64_t{30} << 30;
    for (int i = 0; i < 8; ++i) s += static_cast<char>((n >> (8 * i)) & 0xff);
    s += "abc";
    CHECK_THROWS_WITH(pk::loads(s), Catch::Contains("exceeds the remaining input"));
  }
  // A million nested lists: read, printed to depth 100, hashed to depth 1000 at most, released without recursion.
  const int depth = 1000000;
  std::string s = "\x80\x02";
  s += std::string(depth, ']');
  s += std::string(depth - 1, 'a');
  s += ".";
  const pk::Value v = pk::loads(s);
  CHECK(v.repr().find("...") != std::string::npos);
  CHECK_THROWS_WITH(v.hash(), Catch::Contains("nested deeper than"));
}

TEST_CASE("limits: a self-referencing container that the result does not reach is freed", "[limits][pickle]") {
  // d = {}; d[''] = d; d['inner'] = {'marker': None}; d is popped (only the memo
  // holds it), and the pickle returns ''. The inner dict becomes a handle whose
  // payload shows whether d was freed (a fuzz finding: it leaked).
  std::weak_ptr<void> payload;
  pk::ReaderOptions options;
  options.on_complete = [&](pk::Value& v) {
    if (v.is_dict() && v.find("marker") != nullptr) {
      auto p = std::make_shared<int>(1);
      payload = p;
      v.become_handle(7, p);
    }
  };
  const std::string get0("h\0", 2), put0("q\0", 2);
  const std::string s = "\x80\x02}" + put0 + "(" + binunicode("") + get0 + binunicode("inner") + "}(" +
                        binunicode("marker") + "Nuu0" + binunicode("") + ".";
  for (const bool pop : {true, false}) {  // popped: only the memo holds d; else the stack still does
    const std::string pickle = pop ? s : s.substr(0, s.size() - 7) + binunicode("") + ".";
    pk::MemorySource src(pickle);
    const pk::Value v = pk::Reader(src, options).load();
    CHECK(v.as_str().empty());
    CHECK(payload.expired());
  }
}

TEST_CASE("limits: freeing cycles leaves alone what an on_complete hook kept", "[limits][pickle]") {
  // {'run': {'payload': inner, 'again': inner}} with inner = {'x': 1} read back
  // through the memo (a container pushed twice, so the reader looks for
  // cycles). The hook keeps `inner` (as the loader keeps a state dict) and
  // turns the run into a handle: inner is then reachable from outside the
  // result only, and must stay whole.
  std::vector<pk::Value> held;
  pk::ReaderOptions options;
  options.on_complete = [&](pk::Value& v) {
    if (v.is_dict() && v.find("payload") != nullptr) {
      held.push_back(*v.find("payload"));
      v.become_handle(9);
    }
  };
  const std::string get1("h\x01", 2), put1("q\x01", 2);
  const std::string s = "\x80\x02}(" + binunicode("run") + "}(" + binunicode("payload") + "}" + put1 + "(" +
                        binunicode("x") + "K\x01u" + binunicode("again") + get1 + "uu.";
  pk::MemorySource src(s);
  const pk::Value v = pk::Reader(src, options).load();
  REQUIRE(v.find("run") != nullptr);
  CHECK(v.find("run")->is_handle());
  REQUIRE(held.size() == 1);
  REQUIRE(held[0].is_dict());
  REQUIRE(held[0].find("x") != nullptr);
  CHECK(held[0].find("x")->as_int() == 1);
}

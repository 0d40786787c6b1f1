// Tests of include/nasbench/genotype.hpp and detail/python_random.hpp.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "nasbench/detail/python_random.hpp"
#include "nasbench/genotype.hpp"

using nasbench::Edge;
using nasbench::Op;
using nasbench::Structure;

namespace {
const std::string kArch1 =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|";
}

TEST_CASE("Python's random module is reproduced bit for bit", "[genotype][random]") {
  // Reference values printed by CPython 3.11.
  nasbench::detail::PythonRandom r88(88);
  CHECK(r88.getrandbits(32) == 1707201716u);
  CHECK(r88.getrandbits(32) == 4182107318u);
  CHECK(r88.getrandbits(32) == 813946014u);
  CHECK(r88.getrandbits(5) == 10u);
  CHECK(r88.random() == 0.9024393199755313);

  nasbench::detail::PythonRandom big((std::uint64_t{1} << 40) + 5);  // a two-word seed key
  CHECK(big.getrandbits(32) == 2166296868u);
  CHECK(big.getrandbits(32) == 2220160828u);
  CHECK(big.getrandbits(64) == 12244916861145399977ull);

  nasbench::detail::PythonRandom r0(0);
  CHECK(r0.random() == 0.8444218515250481);
  std::vector<int> x{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  r0.shuffle(x);
  CHECK(x == std::vector<int>{8, 9, 1, 2, 5, 3, 7, 4, 0, 6});
}

TEST_CASE("parse and print back byte-identically", "[genotype]") {
  const auto cell = Structure::parse(kArch1);
  CHECK(cell.to_string() == kArch1);
  CHECK(cell.size() == 4);
  CHECK(cell.node_num() == 4);
  CHECK(cell.node(1) == nasbench::NodeEdges{{Op::kConv3x3, 0}});
  CHECK(cell.node(2) == nasbench::NodeEdges{{Op::kConv3x3, 0}, {Op::kAvgPool3x3, 1}});
  CHECK(cell[2] == nasbench::NodeEdges{{Op::kSkipConnect, 0}, {Op::kConv3x3, 1}, {Op::kSkipConnect, 2}});

  // Cells outside the 4-node space are still cells, as in Python's Structure.
  for (std::string s : {"|none~0|", "|skip_connect~0|+|nor_conv_1x1~1|nor_conv_1x1~0|",
                        "|avg_pool_3x3~0|+|none~1|+|none~2|+|nor_conv_3x3~3|nor_conv_3x3~0|"}) {
    CAPTURE(s);
    CHECK(Structure::parse(s).to_string() == s);
    CHECK_FALSE(nasbench::official_index(s).has_value());
  }
}

TEST_CASE("str2lists and str2matrix", "[genotype]") {
  const auto lists = nasbench::str2lists(kArch1);
  REQUIRE(lists.size() == 3);
  CHECK(lists[2] == nasbench::NodeEdges{{Op::kSkipConnect, 0}, {Op::kConv3x3, 1}, {Op::kSkipConnect, 2}});
  const std::vector<std::vector<int>> expected{{0, 0, 0, 0}, {3, 0, 0, 0}, {3, 4, 0, 0}, {1, 3, 1, 0}};
  CHECK(nasbench::str2matrix(kArch1) == expected);
}

TEST_CASE("tolist sorts by (input, op name) and removes an op", "[genotype]") {
  const auto cell = Structure::parse("|nor_conv_1x1~0|+|skip_connect~1|avg_pool_3x3~0|+|none~2|none~0|skip_connect~0|");
  const auto all = cell.tolist(std::nullopt);
  REQUIRE(all);
  CHECK((*all)[1] == nasbench::NodeEdges{{Op::kAvgPool3x3, 0}, {Op::kSkipConnect, 1}});
  // Same input: 'none' < 'skip_connect' by name.
  CHECK((*all)[2] == nasbench::NodeEdges{{Op::kNone, 0}, {Op::kSkipConnect, 0}, {Op::kNone, 2}});
  const auto no_none = cell.tolist(Op::kNone);
  REQUIRE(no_none);
  CHECK((*no_none)[2] == nasbench::NodeEdges{{Op::kSkipConnect, 0}});
  CHECK_FALSE(Structure::parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|").tolist(Op::kNone));
}

TEST_CASE("check_valid and to_unique_str on single cells", "[genotype]") {
  const auto cell = Structure::parse(kArch1);
  CHECK(cell.check_valid());
  CHECK(cell.to_unique_str(std::nullopt) ==
        "(((0)@nor_conv_3x3)@avg_pool_3x3+(0)@nor_conv_3x3)@skip_connect+((0)@nor_conv_3x3)@nor_conv_3x3+(0)@skip_connect");
  CHECK(cell.to_unique_str(false) ==
        "((0)@nor_conv_3x3)@avg_pool_3x3+(0)@nor_conv_3x3+((0)@nor_conv_3x3)@nor_conv_3x3+0");
  CHECK(cell.to_unique_str(true) == cell.to_unique_str(false));
  const auto dead = Structure::parse("|none~0|+|nor_conv_1x1~1|none~0|+|skip_connect~2|none~0|skip_connect~1|");
  CHECK_FALSE(dead.check_valid());
  CHECK(dead.to_unique_str(true) == "#+#+#+#");  // node 3 = skip(#+#) + # + #
}

TEST_CASE("the whole topology space: counts from the benchmark paper", "[genotype][space]") {
  const auto all = nasbench::enumerate_topology_space();
  REQUIRE(all.size() == 15625);
  std::size_t valid = 0;
  std::set<std::string> u_none, u_false, u_true, strings;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& c = all[i];
    valid += c.check_valid();
    u_none.insert(c.to_unique_str(std::nullopt));
    u_false.insert(c.to_unique_str(false));
    u_true.insert(c.to_unique_str(true));
    const std::string s = c.to_string();
    strings.insert(s);
    REQUIRE(Structure::parse(s) == c);
    REQUIRE(nasbench::canonical_index(c) == i);
    REQUIRE(nasbench::official_arch(*nasbench::official_index(c)) == c);
  }
  CHECK(strings.size() == 15625);
  CHECK(valid == 15284);
  CHECK(u_none.size() == 15625);
  CHECK(u_false.size() == 12751);
  CHECK(u_true.size() == 6466);
  // Canonical order: node 1's op outermost, later edges fastest.
  CHECK(all.front().to_string() == "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|");
  CHECK(all[1].to_string() == "|none~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|");
  CHECK(all.back().to_string() ==
        "|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|avg_pool_3x3~2|");
}

TEST_CASE("official benchmark index order", "[genotype][space]") {
  CHECK(nasbench::official_arch(0).to_string() ==
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|");
  CHECK(nasbench::official_arch(9).to_string() ==
        "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|");
  CHECK(nasbench::official_arch(123).to_string() ==
        "|avg_pool_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|");
  CHECK(nasbench::official_index(
            "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|") == std::size_t{9});
  CHECK_THROWS_MATCHES(nasbench::official_arch(15625), nasbench::QueryError,
                       Catch::Message("nasbench: architecture index 15625 out of range (0..15624)"));
  CHECK_THROWS_MATCHES(nasbench::canonical_arch(99999), nasbench::QueryError,
                       Catch::Message("nasbench: canonical index 99999 out of range (0..15624)"));
}

TEST_CASE("node access out of range is a QueryError", "[genotype][errors]") {
  const auto cell = Structure::parse(kArch1);
  CHECK_THROWS_MATCHES(cell.node(0), nasbench::QueryError,
                       Catch::Message("nasbench: node 0 out of range (a 4-node cell has nodes 1..3 with inputs)"));
  CHECK_THROWS_AS(cell.node(4), nasbench::QueryError);
  CHECK_THROWS_AS(cell[3], nasbench::QueryError);
}

TEST_CASE("ops by name", "[genotype]") {
  for (Op op : nasbench::kAllOps) CHECK(nasbench::parse_op(nasbench::to_string(op)) == op);
  CHECK_THROWS_MATCHES(nasbench::parse_op("conv"), nasbench::ParseError,
                       Catch::Message("nasbench: unknown op \"conv\" (expected one of none, skip_connect, "
                                      "nor_conv_1x1, nor_conv_3x3, avg_pool_3x3) at position 0 in \"conv\""));
}

TEST_CASE("malformed strings throw ParseError with position", "[genotype][errors]") {
  struct Case {
    std::string input;
    std::size_t position;
    std::string what;
  };
  const std::vector<Case> cases{
      {"", 0, "empty architecture string"},
      {"nor_conv_3x3~0|", 0, "expected '|' to open node 1"},
      {"|", 1, "expected an op name"},
      {"||", 1, "expected an op name"},
      {"|nor_conv_3x3~0", 15, "expected '|' after edge \"nor_conv_3x3~0\""},
      {"|nor_conv_3x3|", 13, "expected '~' after op \"nor_conv_3x3\""},
      {"|nor_conv_3x3~|", 14, "expected a decimal input node index"},
      {"|nor_conv_3x3~x|", 14, "expected a decimal input node index"},
      {"|nor_conv_3x3~-1|", 14, "expected a decimal input node index"},
      {"|nor_conv_3x3~1|", 14, "input node 1 of an edge into node 1 must be < 1"},
      {"|nor_conv_3x3~00|", 14, "input node index \"00\" has a leading zero"},
      {"|nor_conv_3x3~99999999999999999999|", 14,
       "input node 99999999999999999999 of an edge into node 1 must be < 1"},
      {"|conv_3x3~0|", 1,
       "unknown op \"conv_3x3\" (expected one of none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)"},
      {"|NONE~0|", 1,
       "unknown op \"NONE\" (expected one of none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)"},
      {"|none~0|+", 9, "expected a node after '+'"},
      {"|none~0|++|none~0|", 9, "expected '|' to open node 2"},
      {"|none~0|+|none~0|none~2|", 22, "input node 2 of an edge into node 2 must be < 2"},
      {"|none~0| ", 8, "unknown op \" \" (expected one of none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)"},
      {"|none~0|x", 8, "unknown op \"x\" (expected one of none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)"},
      {"|none~0~1|", 7, "expected '|' after edge \"none~0\""},
      {"|none~0||", 8, "expected an op name"},
      {"|none~0|+|none~0|+", 18, "expected a node after '+'"},
      {"|none~0|\n", 8, "unknown op \"\n\" (expected one of none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3)"},
      {"+|none~0|", 0, "expected '|' to open node 1"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    try {
      (void)Structure::parse(c.input);
      FAIL("accepted");
    } catch (const nasbench::ParseError& e) {
      CHECK(e.position() == c.position);
      CHECK(e.input() == c.input);
      CHECK(std::string(e.what()) ==
            "nasbench: " + c.what + " at position " + std::to_string(c.position) + " in \"" + c.input + "\"");
    }
  }
}

TEST_CASE("every prefix and every one-byte corruption of a valid string parses or fails cleanly",
          "[genotype][errors]") {
  // No input may crash or be accepted unless it prints back byte-identically.
  const std::string alphabet = "|~+0123 _xnoe";
  for (std::size_t n = 0; n <= kArch1.size(); ++n) {
    const std::string prefix = kArch1.substr(0, n);
    std::optional<std::string> printed;
    try {
      printed = Structure::parse(prefix).to_string();
    } catch (const nasbench::ParseError& e) {
      CHECK(e.position() <= prefix.size());
    }
    if (printed) CHECK(*printed == prefix);
    for (char ch : alphabet) {
      if (n == kArch1.size()) break;
      std::string mutated = kArch1;
      mutated[n] = ch;
      printed.reset();
      try {
        printed = Structure::parse(mutated).to_string();
      } catch (const nasbench::ParseError& e) {
        CHECK(e.position() <= mutated.size());
      }
      if (printed) CHECK(*printed == mutated);
    }
  }
}

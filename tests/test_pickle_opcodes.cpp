// Tests of nasbench/pickle/opcodes.hpp: the opcode table every pass of the
// reader reads (tags [pickle][opcodes]). Checked in full against Python's
// pickletools.opcodes when the table was written; here: its consistency and
// a sample of names and sizes as pickletools gives them.

#include <catch2/catch.hpp>

#include <nasbench/pickle/opcodes.hpp>
#include <nasbench/pickle/reader.hpp>

#include <cstring>
#include <set>
#include <string>

namespace pk = nasbench::pickle;

TEST_CASE("pickle opcodes: one entry per byte, indexed by it", "[pickle][opcodes]") {
  std::set<int> listed;
  for (const pk::OpcodeInfo& o : pk::detail::kOpcodeList) {
    CHECK(listed.insert(o.code).second);  // every opcode byte appears once
    CHECK(o.known());
  }
  CHECK(listed.size() == 68);  // len(pickletools.opcodes), protocols 0 to 5
  std::set<std::string> names;
  int known = 0;
  for (std::size_t b = 0; b < pk::kOpcodes.size(); ++b) {
    const pk::OpcodeInfo& o = pk::kOpcodes[b];
    CHECK(o.code == b);
    CHECK(o.known() == (listed.count(static_cast<int>(b)) == 1));
    if (!o.known()) {
      CHECK(pk::detail::opcode_name(static_cast<int>(b)) == nullptr);
      CHECK(o.arg == pk::ArgKind::kNone);
      continue;
    }
    ++known;
    CHECK(names.insert(o.name).second);  // names are unique too
    CHECK(o.proto <= 5);
    CHECK(std::strcmp(pk::detail::opcode_name(static_cast<int>(b)), o.name) == 0);
    switch (o.arg) {
      case pk::ArgKind::kFixed: CHECK((o.size == 1 || o.size == 2 || o.size == 4 || o.size == 8)); break;
      case pk::ArgKind::kCounted: CHECK((o.size == 1 || o.size == 4 || o.size == 8)); break;
      case pk::ArgKind::kSignedCounted: CHECK(o.size == 4); break;
      default: CHECK(o.size == 0);
    }
  }
  CHECK(known == 68);
  CHECK(pk::detail::opcode_name(-1) == nullptr);
  CHECK(pk::detail::opcode_name(256) == nullptr);
}

TEST_CASE("pickle opcodes: pickletools' names and argument layouts", "[pickle][opcodes]") {
  struct Want {
    int code;
    const char* name;
    pk::ArgKind arg;
    int size;
    int proto;
  };
  using A = pk::ArgKind;
  const Want want[] = {
      {'(', "MARK", A::kNone, 0, 0},           {'.', "STOP", A::kNone, 0, 0},
      {'K', "BININT1", A::kFixed, 1, 1},       {'M', "BININT2", A::kFixed, 2, 1},
      {'J', "BININT", A::kFixed, 4, 1},        {'G', "BINFLOAT", A::kFixed, 8, 1},
      {'h', "BINGET", A::kFixed, 1, 1},        {'j', "LONG_BINGET", A::kFixed, 4, 1},
      {'q', "BINPUT", A::kFixed, 1, 1},        {'r', "LONG_BINPUT", A::kFixed, 4, 1},
      {0x80, "PROTO", A::kFixed, 1, 2},        {0x95, "FRAME", A::kFixed, 8, 4},
      {0x82, "EXT1", A::kFixed, 1, 2},         {0x83, "EXT2", A::kFixed, 2, 2},
      {0x84, "EXT4", A::kFixed, 4, 2},         {'X', "BINUNICODE", A::kCounted, 4, 1},
      {0x8c, "SHORT_BINUNICODE", A::kCounted, 1, 4}, {0x8d, "BINUNICODE8", A::kCounted, 8, 4},
      {'C', "SHORT_BINBYTES", A::kCounted, 1, 3}, {0x96, "BYTEARRAY8", A::kCounted, 8, 5},
      {'T', "BINSTRING", A::kSignedCounted, 4, 1}, {0x8b, "LONG4", A::kSignedCounted, 4, 2},
      {0x8a, "LONG1", A::kCounted, 1, 2},      {'c', "GLOBAL", A::kTwoLines, 0, 0},
      {'i', "INST", A::kTwoLines, 0, 0},       {'g', "GET", A::kLine, 0, 0},
      {'F', "FLOAT", A::kLine, 0, 0},          {0x93, "STACK_GLOBAL", A::kNone, 0, 4},
      {0x94, "MEMOIZE", A::kNone, 0, 4},       {0x98, "READONLY_BUFFER", A::kNone, 0, 5},
  };
  for (const Want& w : want) {
    INFO("opcode " << w.name);
    const pk::OpcodeInfo& o = pk::opcode_info(static_cast<std::uint8_t>(w.code));
    REQUIRE(o.known());
    CHECK(std::string(o.name) == w.name);
    CHECK(o.arg == w.arg);
    CHECK(int{o.size} == w.size);
    CHECK(int{o.proto} == w.proto);
  }
  // Bytes the fast paths step over: opcode + fixed argument.
  static_assert(pk::fixed_opcode_bytes('G') == 9);
  static_assert(pk::fixed_opcode_bytes('q') == 2 && pk::fixed_opcode_bytes('r') == 5);
  static_assert(pk::fixed_opcode_bytes('N') == 1);
  CHECK_FALSE(pk::opcode_info(0xff).known());
  CHECK_FALSE(pk::opcode_info('A').known());
}

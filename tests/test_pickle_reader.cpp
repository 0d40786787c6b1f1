// Tests of nasbench/pickle/reader.hpp: decoding, the memo and its prescan, the fast paths and errors (tags [pickle][reader]).

#include "pickle_support.hpp"

TEST_CASE("pickle: every fixture decodes to what Python wrote", "[pickle][reader]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  REQUIRE(manifest().size() >= 17);
  for (const auto& e : manifest()) {
    const std::string name = e["name"];
    INFO("fixture " << name);
    for (const bool prescan : {false, true}) {
      INFO("prescan_memo " << prescan);
      pk::ReaderOptions opt;
      opt.prescan_memo = prescan;
      const pk::Document doc = pk::open((*dir / e["file"].get<std::string>()).string(), opt);
      CHECK(std::string(pk::to_string(doc.format)) == e["format"].get<std::string>());
      CHECK(pk::detect_format((*dir / name).string()) == doc.format);
      CHECK(compare_with_fixture(doc, *dir / e["expect"].get<std::string>()) == "");
      if (e.contains("reprs")) {
        for (const auto& [key, expected] : e["reprs"].items()) {
          INFO("repr of " << key);
          CHECK(doc.root.at(key).repr() == expected.get<std::string>());
        }
      }
    }
  }
}

TEST_CASE("pickle: shared references stay shared; OrderedDict, tuple keys and sets", "[pickle][reader]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  for (int proto = 0; proto <= 5; ++proto) {
    INFO("protocol " << proto);
    const Value root = pk::open((*dir / ("basic_p" + std::to_string(proto) + ".pkl")).string()).root;
    CHECK(root.at("shared_list").identity() == root.at("shared_list2").identity());
    CHECK(root.at("shared_str").identity() == root.at("shared_str2").identity());
    CHECK(root.at("od").is_ordered_dict());
    CHECK_FALSE(root.at("keys").is_ordered_dict());
    CHECK(root.at("empty_od").is_ordered_dict());
    const Value& keys = root.at("keys");
    CHECK(keys.at(Value::make_tuple({Value::from_str("cifar10"), Value::from_int(777)})).as_str() == "tuple");
    CHECK(keys.at(Value::make_tuple(
                      {Value::from_str("a"), Value::make_tuple({Value::from_int(1), Value::from_int(2)})}))
              .as_str() == "nested tuple");
    CHECK(keys.at(std::int64_t{1}).as_str() == "int");
    CHECK(keys.at(std::int64_t{-5}).as_str() == "neg");
    CHECK(keys.at(std::int64_t{0}).as_str() == "bool");  // False == 0, as in Python
    CHECK(keys.at(Value::from_float(1.0)).as_str() == "int");
    CHECK(keys.at(Value::from_float(2.5)).as_str() == "float");
    CHECK(keys.at(Value()).as_str() == "none");
    CHECK(keys.at(Value::from_bytes("bk")).as_str() == "bytes key");
    CHECK(keys.at("str").as_str() == "str");
    CHECK(keys.find("nope") == nullptr);
    CHECK(keys.find(std::int64_t{2}) == nullptr);
    CHECK(root.at("set").kind() == Kind::kSet);
    CHECK(root.at("set") == Value::make_set({Value::from_int(3), Value::from_int(2), Value::from_int(1)}));
    CHECK(root.at("fset").kind() == Kind::kFrozenSet);
    CHECK(root.at("empty_set").size() == 0);
    const auto& np = root.at("np").items();
    CHECK(np[0].as_float() == 0.1);
    CHECK(np[1].as_float() == -1e-300);
    CHECK(np[2].as_float() == 0.129306);
    CHECK(np[3].as_float() == 1.5);
    CHECK(np[4].as_float() == 0.3330078125);  // float16(0.333), as Python reads it
    CHECK(np[5].as_int() == -3);
    CHECK(np[8].as_int() == 200);
    CHECK(np[10].as_bool());
    const auto& ints = root.at("ints").items();
    CHECK(ints[12].as_int() == (std::int64_t{1} << 40) + 7);   // 6-byte LONG1
    CHECK(ints[13].as_int() == -(std::int64_t{1} << 47) + 3);  // 6-byte LONG1, negative
    CHECK(ints[14].as_int() == (std::int64_t{1} << 55) - 1);   // 7-byte LONG1
    CHECK(ints[17].as_int() == std::numeric_limits<std::int64_t>::min());
    CHECK(std::isnan(root.at("nan").as_float()));
  }
}

TEST_CASE("pickle: LONG1/LONG4 of 0 to 8 bytes, and longer ones refused", "[pickle][reader]") {
  CHECK(pk::loads(B({0x80, 2, 0x8a, 0, '.'})).as_int() == 0);
  CHECK(pk::loads(B({0x80, 2, 0x8a, 5, 1, 2, 3, 4, 5, '.'})).as_int() == 0x0504030201LL);
  CHECK(pk::loads(B({0x80, 2, 0x8a, 5, 0, 0, 0, 0, 0x80, '.'})).as_int() == -(std::int64_t{1} << 39));
  CHECK(pk::loads(B({0x80, 2, 0x8a, 6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '.'})).as_int() == -1);
  CHECK(pk::loads(B({0x80, 2, 0x8a, 7, 0, 0, 0, 0, 0, 0, 0x40, '.'})).as_int() == (std::int64_t{1} << 54));
  CHECK(pk::loads(B({0x80, 2, 0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0x80, '.'})).as_int() ==
        std::numeric_limits<std::int64_t>::min());
  CHECK(pk::loads(B({0x80, 2, 0x8b, 5, 0, 0, 0, 1, 2, 3, 4, 5, '.'})).as_int() == 0x0504030201LL);
  CHECK(expect_load_error(
            [] {
              (void)pk::loads(B({0x80, 2, 0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, '.'}));
            },
            {"integer too large for int64 (9-byte LONG1)", "byte offset 2"}) == "");
  CHECK(expect_load_error(
            [] {
              (void)pk::loads(B({0x80, 2, 0x8b, 0xff, 0xff, 0xff, 0x7f, '.'}));
            },
            {"integer too large", "LONG4"}) == "");
  CHECK(expect_load_error([] { (void)pk::loads("I99999999999999999999\n."); }, {"does not fit in int64"}) ==
        "");
  // Text opcodes of protocol 0.
  CHECK(pk::loads("I01\n.").as_bool());
  CHECK(pk::loads("L-12345678901L\n.").as_int() == -12345678901LL);
  CHECK(pk::loads("F-1e-05\n.").as_float() == -1e-05);
  CHECK(pk::loads("S'a\\'b\\n\\x41'\np0\n.").as_str() == "a'b\nA");
  CHECK(pk::loads("Vx\\u00e9\\U0001f642\n.").as_str() == "x\xc3\xa9\xf0\x9f\x99\x82");
}

TEST_CASE("pickle: protocol 4/5 FRAMEs and a big NATS-like layout", "[pickle][reader]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  for (const auto& e : manifest()) {
    if (e["name"] == "big_p4.pkl" || e["name"] == "big_p5.pkl") CHECK(e["frames"].get<int>() >= 2);
  }
  const Value p4 = pk::open((*dir / "big_p4.pkl").string()).root;
  const Value p2 = pk::open((*dir / "big_p2.pkl").string()).root;
  const Value bz = pk::open((*dir / "big_multistream.pbz2").string()).root;
  const Value legacy = pk::open((*dir / "big_legacy.pth").string()).root;
  CHECK(p4 == p2);
  CHECK(p4 == bz);
  CHECK(p4 == legacy);
  CHECK(p4.size() == 40);
  CHECK(p4.at("000039")
            .at("all_results")
            .at(Value::make_tuple({Value::from_str("cifar10-valid"), Value::from_int(888)}))
            .at("train_acc1es")
            .at(std::int64_t{49})
            .as_float() == 10.0 + 49.0 / 7 + 39);
  // A FRAME that claims more than the input holds fails at once.
  CHECK(expect_load_error(
            [] {
              (void)pk::loads(B({0x80, 4, 0x95, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 'N', '.'}));
            },
            {"truncated pickle: FRAME length 65535 exceeds the remaining input (2 bytes)",
             "byte offset 2"}) == "");
}

TEST_CASE("pickle: on_complete sees every container once, children before parents", "[pickle][reader]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  for (const auto& e : manifest()) {
    INFO(e["name"].get<std::string>());
    std::unordered_map<const void*, std::size_t> order;
    bool twice = false;
    pk::ReaderOptions opt;
    opt.on_complete = [&](Value& v) {
      CHECK(v.is_container());
      if (!order.emplace(v.identity(), order.size()).second) twice = true;
    };
    const pk::Document doc = pk::open((*dir / e["file"].get<std::string>()).string(), opt);
    CHECK_FALSE(twice);
    std::unordered_set<const void*> seen;
    std::size_t missing = 0, misordered = 0;
    walk(
        doc.root,
        [&](const Value& c) {
          auto it = order.find(c.identity());
          if (it == order.end()) {
            ++missing;
            return;
          }
          const auto check_child = [&](const Value& child) {
            if (!child.is_container()) return;
            auto ct = order.find(child.identity());
            if (ct == order.end() || ct->second > it->second) ++misordered;
          };
          if (c.is_dict()) {
            for (const auto& kv : c.dict_items()) {
              check_child(kv.first);
              check_child(kv.second);
            }
          } else {
            for (const auto& x : c.items()) check_child(x);
          }
        },
        seen);
    CHECK(missing == 0);
    CHECK(misordered == 0);
    CHECK(order.count(doc.root.identity()) == (doc.root.is_container() ? 1u : 0u));
  }
}

TEST_CASE("pickle: become_handle replaces a container everywhere, the memo included", "[pickle][reader]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  for (const char* name : {"shared_dict_p2.pkl", "shared_dict_p4.pkl"}) {
    INFO(name);
    Value child;
    std::uint32_t child_refs_before = 0, child_refs_after = 0;
    int converted = 0;
    pk::ReaderOptions opt;
    opt.on_complete = [&](Value& v) {
      if (v.is_dict() && v.find("train_acc1es") != nullptr) {
        child = v.at("train_acc1es");
        child_refs_before = child.use_count();
        v.become_handle(7, std::make_shared<double>(v.at("train_acc1es").at(std::int64_t{0}).as_float()));
        child_refs_after = child.use_count();
        ++converted;
      }
    };
    const Value root = pk::open((*dir / name).string(), opt).root;
    CHECK(converted == 1);
    const Value& first = root[0][0];
    const Value& second = root[1];  // read back through the memo after the conversion
    CHECK(first.is_handle());
    CHECK(second.is_handle());
    CHECK(first.identity() == second.identity());
    CHECK(first.handle_id() == 7);
    CHECK(*std::static_pointer_cast<double>(second.handle_payload()) == 1.5);
    CHECK(child_refs_after == child_refs_before - 1);  // the handle let go of its children
    CHECK(root.repr() == "[[<handle 7>], <handle 7>]");
  }
  // A dict stored into itself, turned into a handle by the hook mid-SETITEMS: refused, no crash.
  pk::ReaderOptions all;
  all.on_complete = [](Value& v) {
    if (v.is_dict()) v.become_handle(1);
  };
  CHECK(expect_load_error(
            [&] {
              (void)pk::loads(B({0x80, 2, '}', 'q', 0, '(', 'K', 1, 'h', 0, 'u', '.'}), all);
            },
            {"SETITEMS expects a dict below its items, got handle <handle 1>", "byte offset 10"}) == "");
  CHECK(expect_load_error(
            [&] {
              (void)pk::loads(B({0x80, 2, '}', 'q', 0, 'K', 1, 'h', 0, 's', '.'}), all);
            },
            {"SETITEM expects a dict", "got handle"}) == "");
  // Not a container: refused.
  Value s = Value::from_str("x");
  CHECK(expect_load_error([&] { s.become_handle(1); }, {"expected container", "got str"}) == "");
}

TEST_CASE("pickle: prescan_memo keeps only memo entries that are read back", "[pickle][reader]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  for (const char* name : {"big_p2.pkl", "big_p4.pkl"}) {
    INFO(name);
    pk::FileSource f1((*dir / name).string(), 4096);
    pk::Reader full(f1);
    const Value a = full.load();
    pk::FileSource f2((*dir / name).string(), 4096);  // smaller than the file: seeking back refills
    pk::ReaderOptions opt;
    opt.prescan_memo = true;
    pk::Reader pre(f2, opt);
    const Value b = pre.load();
    CHECK(a == b);
    CHECK(full.stats().memo_entries == pre.stats().memo_entries);
    CHECK(full.stats().memo_kept == full.stats().memo_entries);
    CHECK(pre.stats().memo_kept * 10 < pre.stats().memo_entries);
    CHECK(pre.stats().end_offset == fs::file_size(*dir / name));
    // Memory-mapped windows much smaller than the file (as for files over
    // 64 MB) give the same values, with and without seeking back.
    pk::FileSource f3((*dir / name).string(), 4096, 4096);
    pk::Reader mapped(f3, opt);
    CHECK(mapped.load() == a);
    CHECK(mapped.stats().end_offset == fs::file_size(*dir / name));
    pk::FileSource f4((*dir / name).string(), 4096, 8192);
    pk::Reader mapped_full(f4);
    CHECK(mapped_full.load() == a);
    std::uint8_t byte = 0;
    CHECK(f4.read(&byte, 1) == 0);
  }
  // A memory source seeks back too.
  const std::string data = read_file(*dir / "basic_p3.pkl");
  pk::ReaderOptions opt;
  opt.prescan_memo = true;
  const Value v = pk::loads(data, opt);
  CHECK(v.at("shared_list").identity() == v.at("shared_list2").identity());
}

namespace {

/// A source over `data` that waits for `*go` before its first bytes and sets
/// `*served_all` once it has handed out its last one (a test's way of
/// ordering the two passes of a background prescan); at most `max_fill`
/// bytes per fill (so that opcodes straddle the refills of its buffer).
class GatedSource final : public pk::Source {
 public:
  GatedSource(std::string data, const std::atomic<bool>* go, std::atomic<bool>* served_all,
              std::size_t max_fill = std::size_t(-1))
      : Source("<gated>", 4096), data_(std::move(data)), go_(go), served_all_(served_all), max_fill_(max_fill) {}
  [[nodiscard]] std::optional<std::uint64_t> size() const override { return data_.size(); }

 protected:
  std::size_t fill(std::uint8_t* dst, std::size_t cap) override {
    for (int i = 0; go_ != nullptr && !go_->load() && i < 10000; ++i)  // at most 10 s
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const std::size_t n = std::min({cap, data_.size() - pos_, max_fill_});
    std::memcpy(dst, data_.data() + pos_, n);
    pos_ += n;
    if (pos_ == data_.size() && served_all_ != nullptr) served_all_->store(true);
    return n;
  }
  bool rewind_to(std::uint64_t target) override {
    if (target > data_.size()) return false;
    pos_ = static_cast<std::size_t>(target);
    return true;
  }

 private:
  std::string data_;
  std::size_t pos_ = 0;
  const std::atomic<bool>* go_;
  std::atomic<bool>* served_all_;
  std::size_t max_fill_;
};

}  // namespace

TEST_CASE("pickle: a prescan on another thread gives the same values, whichever pass ends first", "[pickle][reader][threads]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  for (const char* name : {"big_p2.pkl", "big_p4.pkl"}) {
    INFO(name);
    const std::string data = read_file(*dir / name);
    pk::MemorySource plain(data);
    pk::Reader reference(plain);
    const Value expected = reference.load();
    const std::uint64_t all_kept = reference.stats().memo_kept;
    pk::ReaderOptions opt;
    opt.prescan_memo = true;
    {  // The prescan ends first: the main pass drops what it need not keep, mid-pickle.
      std::atomic<bool> prescan_done{false};
      opt.prescan_source = [&] { return std::make_unique<GatedSource>(data, nullptr, &prescan_done); };
      GatedSource main(data, &prescan_done, nullptr);
      pk::Reader r(main, opt);
      CHECK(r.load() == expected);
      CHECK(r.stats().memo_entries == reference.stats().memo_entries);
      CHECK(r.stats().memo_kept * 10 < all_kept);
    }
    {  // The main pass ends first: the prescan is stopped and nothing changes.
      // The prescan's source opens when the root is completed at STOP, after
      // the last memo entry (when the main source had handed out its last
      // bytes instead, the prescan could still finish first, now and then).
      std::atomic<bool> main_done{false};
      opt.prescan_source = [&] { return std::make_unique<GatedSource>(data, &main_done, nullptr); };
      opt.on_complete = [&](Value& v) {
        if (!main_done && v.kind() == expected.kind() && v.size() == expected.size() && v == expected) main_done = true;
      };
      GatedSource main(data, nullptr, nullptr);
      pk::Reader r(main, opt);
      CHECK(r.load() == expected);
      CHECK(main_done);
      CHECK(r.stats().memo_kept == all_kept);
      opt.on_complete = nullptr;
    }
    {  // A prescan source that cannot reach the pickle: a LoadError saying so.
      opt.prescan_source = [] { return std::unique_ptr<pk::Source>(); };
      pk::MemorySource main(data);
      CHECK(expect_load_error([&] { (void)pk::Reader(main, opt).load(); },
                              {"the prescan source cannot reach the pickle at offset 0"}) == "");
    }
    {  // A truncated pickle: a LoadError from either pass, never a hang.
      const std::string cut = data.substr(0, data.size() / 2);
      opt.prescan_source = [&] { return std::make_unique<pk::MemorySource>(cut); };
      pk::MemorySource main(cut);
      CHECK_THROWS_AS(pk::Reader(main, opt).load(), nasbench::LoadError);
    }
  }
  // pickle::open with the threshold at 0: every plain and legacy file gets a
  // background prescan, with the values Python wrote.
  for (const char* name : {"big_p2.pkl", "big_p5.pkl", "big_legacy.pth", "basic_p3.pkl"}) {
    INFO(name);
    pk::ReaderOptions background;
    background.prescan_memo = true;
    background.background_prescan_min_bytes = 0;
    const fs::path path = *dir / name;
    CHECK(compare_with_fixture(pk::open(path.string(), background), path.string() + ".json") == "");
  }
}

TEST_CASE("pickle: numpy scalars are decoded without their argument nodes where nothing reads those back",
          "[pickle][reader]") {
  auto unhex = [](std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    return out;
  };
  // [np.float64(2.5), np.float64(-1.25), np.float64(7.0)], then memo entries
  // made inside the second scalar read back at the end (hand-edited), as
  // pickle.dumps(protocol=2) and (=4) write them. Protocol 2: the first scalar
  // spells 'latin1' out (generic path), the second has entries read back
  // (generic path), the third takes the fast path. Protocol 4: the second only
  // takes the generic path.
  struct Case {
    const char* name;
    std::string data;
    std::uint64_t fast;
    std::size_t items;
  };
  const Case cases[] = {
      {"protocol 2",
       unhex("80025d710028636e756d70792e636f72652e6d756c746961727261790a7363616c61720a7101636e756d70790a647479706"
             "50a71025802000000663871038988877104527105284b0358010000003c71064e4e4e4affffffff4affffffff4b0074710762"
             "635f636f646563730a656e636f64650a710858080000000000000000000440710958060000006c6174696e31710a86710b52"
             "710c86710d52710e680168056808580a000000000000000000c3b4c2bf710f680a86711052711186711252711368016805680"
             "858080000000000000000001c407114680a86711552711686711752711868106811652e"),
       1, 5},
      {"protocol 4",
       unhex("80049595000000000000005d94288c156e756d70792e636f72652e6d756c74696172726179948c067363616c61729493948c"
             "056e756d7079948c0564747970659493948c02663894898887945294284b038c013c944e4e4e4affffffff4affffffff4b007"
             "49462430800000000000004409486945294680368094308000000000000f4bf94869452946803680943080000000000001c"
             "409486945294680f652e"),
       2, 4},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    pk::MemorySource s1(c.data);
    pk::Reader generic(s1);
    const Value a = generic.load();
    CHECK(generic.stats().fast_numpy_scalars == 0);
    pk::ReaderOptions opt;
    opt.prescan_memo = true;
    pk::MemorySource s2(c.data);
    pk::Reader fast(s2, opt);
    const Value b = fast.load();
    CHECK(fast.stats().fast_numpy_scalars == c.fast);
    CHECK(b == a);
    REQUIRE(a.size() == c.items);
    CHECK(a[0] == Value::from_float(2.5));
    CHECK(a[1] == Value::from_float(-1.25));
    CHECK(a[2] == Value::from_float(7.0));
    CHECK(a[c.items - 1] == Value::from_bytes(std::string("\0\0\0\0\0\0\xf4\xbf", 8)));
    if (c.items == 5) CHECK(a[3] == Value::make_tuple({Value::from_str(std::string("\0\0\0\0\0\0\xc3\xb4\xc2\xbf", 10)),
                                                      Value::from_str("latin1")}));
    // Every truncation is still a LoadError.
    for (std::size_t n = 0; n < c.data.size(); ++n) {
      pk::MemorySource cut(std::string_view(c.data).substr(0, n));
      CHECK_THROWS_AS(pk::Reader(cut, opt).load(), nasbench::LoadError);
    }
  }
  // Python's own pickles of every numpy scalar type, through the fast path.
  const auto dir = need_fixtures();
  if (!dir) return;
  for (const char* name : {"basic_p2.pkl", "basic_p4.pkl", "big_p2.pkl"}) {
    INFO(name);
    pk::ReaderOptions opt;
    opt.prescan_memo = true;
    pk::FileSource f((*dir / name).string());
    pk::Reader r(f, opt);
    pk::Document doc;
    doc.root = r.load();
    CHECK(r.stats().fast_numpy_scalars > 0);
    CHECK(compare_with_fixture(doc, (*dir / name).string() + ".json") == "");
  }
}

TEST_CASE("pickle: the item loop after MARK decodes exactly what the opcode loop does", "[pickle][reader]") {
  auto unhex = [](std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    return out;
  };
  // pickle.dumps({'t': {0: 1.5, 1: None, 2: 7, 3: 300, 4: -5, 5: np.float64(0.25), 6: np.float32(0.5)},
  //               'e': {'ori-test@0': 1.0, 'ori-test@1': 2.0}, 'f': {'ori-test@0': 3.0, 'ori-test@1': 4.0},
  //               'big': {70000: 1.0}}, protocol=2 and 4): every opcode the loop decodes (BININT1/2/4,
  // BINFLOAT, NONE, BINUNICODE, GETs and PUTs, numpy scalars), the keys of 'f' read back from the memo.
  const std::string files[] = {
      unhex("80027d71002858010000007471017d7102284b00473ff80000000000004b014e4b024b074b034d2c014b044afbffffff4b05636e"
            "756d70792e636f72652e6d756c746961727261790a7363616c61720a7103636e756d70790a64747970650a71045802000000"
            "663871058988877106527107284b0358010000003c71084e4e4e4affffffff4affffffff4b0074710962635f636f646563"
            "730a656e636f64650a710a5809000000000000000000c3903f710b58060000006c6174696e31710c86710d52710e86710f"
            "5271104b06680368045802000000663471118988877112527113284b0368084e4e4e4affffffff4affffffff4b007471146268"
            "0a58040000000000003f7115680c86711652711786711852711975580100000065711a7d711b28580a0000006f72692d74"
            "6573744030711c473ff0000000000000580a0000006f72692d746573744031711d47400000000000000075580100000066"
            "711e7d711f28681c474008000000000000681d47401000000000000075580300000062696771207d71214a70110100473ff0"
            "00000000000073752e"),
      unhex("80049531010000000000007d94288c0174947d94284b00473ff80000000000004b014e4b024b074b034d2c014b044afbffff"
            "ff4b058c156e756d70792e636f72652e6d756c74696172726179948c067363616c61729493948c056e756d7079948c056474"
            "7970659493948c02663894898887945294284b038c013c944e4e4e4affffffff4affffffff4b007494624308000000000000"
            "d03f94869452944b06680568088c02663494898887945294284b03680c4e4e4e4affffffff4affffffff4b0074946243040000"
            "003f9486945294758c0165947d94288c0a6f72692d74657374403094473ff00000000000008c0a6f72692d746573744031"
            "94474000000000000000758c0166947d9428681a474008000000000000681b474010000000000000758c03626967947d944a"
            "70110100473ff000000000000073752e"),
  };
  Value t = Value::make_dict();
  t.insert(Value::from_int(0), Value::from_float(1.5));
  t.insert(Value::from_int(1), Value());
  t.insert(Value::from_int(2), Value::from_int(7));
  t.insert(Value::from_int(3), Value::from_int(300));
  t.insert(Value::from_int(4), Value::from_int(-5));
  t.insert(Value::from_int(5), Value::from_float(0.25));
  t.insert(Value::from_int(6), Value::from_float(0.5));
  auto evals = [](double a, double b) {
    Value d = Value::make_dict();
    d.insert(Value::from_str("ori-test@0"), Value::from_float(a));
    d.insert(Value::from_str("ori-test@1"), Value::from_float(b));
    return d;
  };
  Value big = Value::make_dict();
  big.insert(Value::from_int(70000), Value::from_float(1.0));
  Value expected = Value::make_dict();
  expected.insert(Value::from_str("t"), t);
  expected.insert(Value::from_str("e"), evals(1.0, 2.0));
  expected.insert(Value::from_str("f"), evals(3.0, 4.0));
  expected.insert(Value::from_str("big"), big);
  for (const std::string& data : files) {
    for (bool prescan : {false, true}) {
      INFO("protocol " << int(static_cast<unsigned char>(data[1])) << ", prescan_memo " << prescan);
      pk::ReaderOptions opt;
      opt.prescan_memo = prescan;
      pk::MemorySource mem(data);
      pk::Reader r(mem, opt);
      const Value v = r.load();
      CHECK(v == expected);
      CHECK(r.stats().fast_item_opcodes >= 20);
      // (protocol 2 spells 'latin1' out in the first scalar: that one takes the generic path)
      CHECK(r.stats().fast_numpy_scalars == (prescan ? (data[1] == 2 ? 1u : 2u) : 0u));
      CHECK(v.at("e").dict_items()[0].first.identity() == v.at("f").dict_items()[0].first.identity());
      GatedSource trickle(data, nullptr, nullptr, 5);
      CHECK(pk::Reader(trickle, opt).load() == expected);
      for (std::size_t n = 0; n < data.size(); ++n) {
        pk::MemorySource cut(std::string_view(data).substr(0, n));
        CHECK_THROWS_AS(pk::Reader(cut, opt).load(), nasbench::LoadError);
      }
    }
  }
  // A batch that another opcode than SETITEMS closes: the loop leaves the
  // items on the stack for it (TUPLE, LIST, POP_MARK).
  const std::string tail = B({'K', 1, 'M', 0x2c, 1, 'G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 'N'});
  CHECK(pk::loads(B({0x80, 2, '('}) + tail + "t.") ==
        Value::make_tuple({Value::from_int(1), Value::from_int(300), Value::from_float(1.5), Value()}));
  CHECK(pk::loads(B({0x80, 2, '('}) + tail + "l.") ==
        Value::make_list({Value::from_int(1), Value::from_int(300), Value::from_float(1.5), Value()}));
  CHECK(pk::loads(B({0x80, 2, 'K', 9, '('}) + tail + "1.") == Value::from_int(9));
  // Long batches of str keys across the refills of a small buffer.
  std::string many = B({0x80, 2, '}', '('});
  Value want = Value::make_dict();
  for (int i = 0; i < 3000; ++i) {
    const std::string key = "x-valid@" + std::to_string(i);
    many += 'X';
    for (int b = 0; b < 4; ++b) many += static_cast<char>((key.size() >> (8 * b)) & 0xff);
    many += key;
    many += B({'G', 0x40, 0, 0, 0, 0, 0, 0, 0});
    want.insert(Value::from_str(key), Value::from_float(2.0));
  }
  many += "u.";
  GatedSource slow(many, nullptr, nullptr, 5);
  pk::Reader r(slow);
  CHECK(r.load() == want);
  CHECK(r.stats().fast_item_opcodes > 0);
  CHECK(pk::loads(many) == want);
}

TEST_CASE("pickle: deep nesting neither overflows the stack nor hangs", "[pickle][reader]") {
  std::string data = B({0x80, 2, ')'});
  data.append(200000, static_cast<char>(0x85));  // TUPLE1 around TUPLE1 around ...
  data += '.';
  int hooks = 0;
  pk::ReaderOptions opt;
  opt.on_complete = [&](Value&) { ++hooks; };
  {
    const Value v = pk::loads(data, opt);
    CHECK(hooks == 200001);
    CHECK(v.repr().find("...") != std::string::npos);
    CHECK(expect_load_error([&] { (void)(v == Value::make_tuple()); }, {}) ==
          "no exception");  // sizes differ early
    const Value w = pk::loads(data);
    CHECK(expect_load_error([&] { (void)(v == w); }, {"nested deeper than 1000 levels"}) == "");
  }  // destroying both must not recurse 200000 deep
}

TEST_CASE("pickle: every truncated prefix is a LoadError", "[pickle][reader]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  // In memory: each prefix of a protocol-4 pickle.
  {
    const std::string data = read_file(*dir / "basic_p4.pkl");
    std::vector<std::string> failures;
    for (std::size_t n = 0; n < data.size(); ++n) {
      try {
        (void)pk::loads(std::string_view(data).substr(0, n));
        failures.push_back(std::to_string(n) + ": no exception");
      } catch (const LoadError& e) {
        if (std::string(e.what()).find("truncated") == std::string::npos) failures.push_back(e.what());
        if (e.offset() > n) failures.push_back(std::to_string(n) + ": offset " + std::to_string(e.offset()));
      }
    }
    CHECK(failures.empty());
    if (!failures.empty()) INFO(failures.front());
  }
  // Files: each prefix through open() (plain, bz2, legacy torch.save, zip torch.save).
  const fs::path tmp = temp_dir().path / "prefix.bin";
  for (const char* name : {"basic_p2.pkl", "basic_p4.pbz2", "tensors_legacy.pth", "tensors_zip.pth"}) {
    INFO(name);
    const std::string data = read_file(*dir / name);
    const bool is_zip = std::string(name) == "tensors_zip.pth";
    std::vector<std::string> failures;
    for (std::size_t n = 0; n < data.size(); ++n) {
      write_file(tmp, std::string_view(data).substr(0, n));
      try {
        (void)pk::open(tmp.string());
        failures.push_back(std::to_string(n) + ": no exception");
      } catch (const LoadError& e) {
        const std::string msg = e.what();
        if (msg.find(tmp.string()) == std::string::npos)
          failures.push_back(std::to_string(n) + ": no path in " + msg);
        if (!is_zip && n > 0 && msg.find("truncated") == std::string::npos)
          failures.push_back(std::to_string(n) + ": " + msg);
      } catch (const std::exception& e) {
        failures.push_back(std::to_string(n) + ": wrong exception " + e.what());
      }
    }
    CAPTURE(failures.size());
    CHECK(failures.empty());
    if (!failures.empty()) CHECK(failures.front() == "");
  }
}

TEST_CASE("pickle: corrupt input is a LoadError naming the problem and the offset", "[pickle][reader]") {
  struct Case {
    std::string data;
    std::string message;
    std::uint64_t offset;
  };
  const std::vector<Case> cases = {
      {B({0x80, 4, 0xff, '.'}), "unknown pickle opcode 0xff", 2},
      {B({0x80, 9, 'N', '.'}), "unsupported pickle protocol 9", 0},
      {B({0x80, 3, 'X', 0xff, 0xff, 0xff, 0x7f, 'a', '.'}),
       "BINUNICODE length 2147483647 exceeds the remaining input (2 bytes)", 2},
      {B({0x80, 4, 0x8d, 0, 0, 0, 0, 0, 0, 0, 0x80, '.'}),
       "BINUNICODE8 length 9223372036854775808 exceeds the remaining input", 2},
      {B({0x80, 4, 0x8e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '.'}),
       "BINBYTES8 length 18446744073709551615 exceeds", 2},
      {B({0x80, 2, 'h', 5, '.'}), "memo key 5 not defined (BINGET)", 2},
      {B({0x80, 2, 'j', 0, 0, 0, 1, '.'}), "memo key 16777216 not defined (LONG_BINGET)", 2},
      {B({0x80, 2, ']', '(', 'K', 1, 'K', 2, 'u', '.'}),
       "SETITEMS expects a dict below its items, got list []", 8},
      {B({0x80, 2, '}', 'K', 1, 'a', '.'}), "APPEND expects a list, got dict {}", 5},
      {B({0x80, 2, ']', 'K', 1, 'e', '.'}), "MARK missing: APPENDS needs a MARK", 5},
      {B({0x80, 2, 'a', '.'}), "stack underflow at APPEND", 2},
      {B({0x80, 2, '.'}), "stack underflow at STOP", 2},
      {B({0x80, 2, '(', '.'}), "stack underflow at STOP", 3},
      {B({0x80, 2, 'N', 'q', 1, 's', '.'}), "stack underflow at SETITEM", 5},
      {B({0x80, 2, '}', '(', 'K', 1, 'u', '.'}), "odd number of items for SETITEMS", 6},
      // the same errors inside an item batch long enough for Reader's item loop
      {B({0x80, 2, '}', '(', 'K', 1, 'h', 5, 'K', 2, 'K', 3, 'K', 4, 'K', 5, 'u', '.'}),
       "memo key 5 not defined (BINGET)", 6},
      {B({0x80, 2, '(', 'q', 1, 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'N', '.'}), "stack underflow at BINPUT", 3},
      {B({0x80, 2, '}', '(', 'K', 1, 'X', 0xff, 0xff, 0xff, 0x7f, 'a', 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'u', '.'}),
       "BINUNICODE length 2147483647 exceeds the remaining input (11 bytes)", 6},
      {B({0x80, 2, '}', '(', 'K', 1, 'G', 0, 0, 0, 0, 0, 0, 0, 0, 'K', 2, 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'u', '.'}),
       "odd number of items for SETITEMS", 25},
      {B({0x80, 2, 0x8f, '(', 'K', 1, 0x90, 0x85, 0x91, '.'}), "MARK missing: FROZENSET", 8},
      {B({0x80, 5, 0x97, '.'}), "out-of-band buffers (NEXT_BUFFER) are not supported", 2},
      {B({0x80, 2, 'N', 'Q', '.'}), "persistent id None needs a persistent_load", 3},
      {B({0x80, 2, 'K', 1, ')', 'R', '.'}), "REDUCE expects an allowed global to call, got int 1", 5},
      {"cos\nsystem\n(S'ls'\ntR.", "unsupported global \"os.system\"", 0},
      {B({0x80, 4, 0x8c, 5, 'p', 'o', 's', 'i', 'x', 0x8c, 6, 's', 'y', 's', 't', 'e', 'm', 0x93, '.'}),
       "unsupported global \"posix.system\"", 17},
      {"cbuiltins\neval\n.", "unsupported global \"builtins.eval\"", 0},
      {"(i__main__\nX\n.", "opcode INST (class instance) is not supported", 1},
      {"I12x\n.", "INT argument \"12x\" is not an integer", 0},
      {"S'abc\n.", "the STRING opcode argument must be quoted", 0},
      {B({0x80, 2,    'c', 'n', 'u', 'm', 'p', 'y', '\n', 'd',  't', 'y', 'p',
          'e',  '\n', 'X', 2,   0,   0,   0,   'O', '8',  0x85, 'R', '.'}),
       "unsupported numpy dtype \"O8\"", 23},
  };
  for (const auto& c : cases) {
    INFO("case " << Value::from_bytes(c.data).repr());
    CHECK(expect_load_error([&] { (void)pk::loads(c.data); }, {c.message, "<memory>"}) == "");
    CHECK(error_offset(c.data) == c.offset);
  }
}

TEST_CASE("pickle: attributes of a dict subclass (state_dict's _metadata) are dropped, items kept", "[pickle][reader]") {
  // pickle.dumps(od, 2) of OrderedDict(a=1) with od._metadata = {'x': 1}, as every PyTorch state_dict has.
  const std::string hex =
      "800263636f6c6c656374696f6e730a4f726465726564446963740a71002952710158010000006171024b01737d710358090000005f6d"
      "6574616461746171047d710558010000007871064b017373622e";
  std::string bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2) bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  const nasbench::pickle::Value v = nasbench::pickle::loads(bytes);
  REQUIRE(v.is_ordered_dict());
  CHECK(v.size() == 1);
  CHECK(v.at("a").as_int() == 1);
  CHECK(v.find("_metadata") == nullptr);
}

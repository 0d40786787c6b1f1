/// @file pickle/detail/prescan.hpp
/// Reader: the prescan pass (which memo ids are read back), on this thread or on another one (Reader::Background).
/// Part of pickle/reader.hpp, which includes it after class Reader. Including
/// this file alone includes reader.hpp, which includes this file back: hence
/// an include guard below the include instead of `#pragma once`.
#include <nasbench/pickle/reader.hpp>

#ifndef NASBENCH_PICKLE_DETAIL_PRESCAN_HPP_
#define NASBENCH_PICKLE_DETAIL_PRESCAN_HPP_

namespace nasbench::pickle {

struct Reader::Background {
  std::unique_ptr<Source> source;
  std::unique_ptr<Reader> reader;
  detail::IdSet referenced;
  std::exception_ptr error;
  std::atomic<bool> done{false};
  std::atomic<bool> stop{false};
  std::thread thread;
  ~Background() {
    stop.store(true, std::memory_order_relaxed);
    if (thread.joinable()) thread.join();
  }
};

inline bool Reader::start_background() {
  auto bg = std::make_unique<Background>();
  bg->source = opt_.prescan_source();
  if (!bg->source || !bg->source->seek(stats_.start_offset))
    throw LoadError("the prescan source cannot reach the pickle at offset " + std::to_string(stats_.start_offset),
                    stats_.start_offset);
  bg->reader = std::make_unique<Reader>(*bg->source);
  bg->reader->cancel_ = &bg->stop;
  Background* b = bg.get();
  try {
    b->thread = std::thread([b] {
      try {
        b->reader->prescan(b->referenced);
      } catch (...) {
        b->error = std::current_exception();
      }
      b->done.store(true, std::memory_order_release);
    });
  } catch (const std::system_error&) {
    return false;
  }
  background_ = std::move(bg);
  return true;
}

inline void Reader::adopt_background() {
  const std::unique_ptr<Background> bg = std::move(background_);
  bg->thread.join();
  if (bg->error) std::rethrow_exception(bg->error);
  std::vector<Value> unkept;  // the entries never read back, dropped from the memo
  memo_.apply_filter(std::move(bg->referenced), second_reference_ ? &unkept : nullptr);
  for (auto& v : unkept) release(std::move(v));
}

inline void Reader::prescan(detail::IdSet& referenced) {
  detail::DefinedIds defined;
  std::uint64_t len = 0;
  for (;;) {
    if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed))
      throw LoadError("prescan cancelled", src_.offset());
    const int c = next_opcode();
    switch (c) {
      case '.': return;
      case 0x95: check_length(uint_arg<0x95>()); break;  // FRAME
      case 0x94:                                         // MEMOIZE
        if (defined.insert(len)) ++len;
        break;
      case 'g': referenced.insert(uint_arg<'g'>()); break;
      case 'h': referenced.insert(uint_arg<'h'>()); break;
      case 'j': referenced.insert(uint_arg<'j'>()); break;
      case 'p':
        if (defined.insert(uint_arg<'p'>())) ++len;
        break;
      case 'q':
        if (defined.insert(uint_arg<'q'>())) ++len;
        break;
      case 'r':
        if (defined.insert(uint_arg<'r'>())) ++len;
        break;
      default: {
        const OpcodeInfo& o = kOpcodes[static_cast<std::size_t>(c)];
        if (!o.known()) fail("unknown pickle opcode " + detail::hex_byte(c));
        skip_arg(o);
      }
    }
  }
}

}  // namespace nasbench::pickle

#endif  // NASBENCH_PICKLE_DETAIL_PRESCAN_HPP_

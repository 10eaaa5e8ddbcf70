// Go encoding/json over protobuf reflection (see gobgp_json.hpp).
#include "gobgp_json.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include <cstdio>

namespace bgplbctl::gobgp {

namespace pb = google::protobuf;

namespace {

void append_base64(std::string& out, const std::string& in) {
  static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += table[v & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += '=';
  }
}

void append_value(std::string& out, const pb::Message& m, const pb::FieldDescriptor* f, int index);

void append_message(std::string& out, const pb::Message& m) {
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  out += '{';
  bool first = true;
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    // Oneof members sit in a Go interface field keyed by its Go name; bgplbctl never
    // prints a message that has one.
    if (f->real_containing_oneof()) continue;
    if (f->is_repeated() ? r->FieldSize(m, f) == 0 : !r->HasField(m, f)) continue;
    if (!first) out += ',';
    first = false;
    append_json_string(out, f->name());
    out += ':';
    if (f->is_repeated()) {
      out += '[';
      for (int k = 0; k < r->FieldSize(m, f); ++k) {
        if (k) out += ',';
        append_value(out, m, f, k);
      }
      out += ']';
    } else {
      append_value(out, m, f, -1);
    }
  }
  out += '}';
}

void append_value(std::string& out, const pb::Message& m, const pb::FieldDescriptor* f, int k) {
  const auto* r = m.GetReflection();
  const bool rep = k >= 0;
  using T = pb::FieldDescriptor;
  switch (f->cpp_type()) {
    case T::CPPTYPE_INT32: out += std::to_string(rep ? r->GetRepeatedInt32(m, f, k) : r->GetInt32(m, f)); break;
    case T::CPPTYPE_INT64: out += std::to_string(rep ? r->GetRepeatedInt64(m, f, k) : r->GetInt64(m, f)); break;
    case T::CPPTYPE_UINT32: out += std::to_string(rep ? r->GetRepeatedUInt32(m, f, k) : r->GetUInt32(m, f)); break;
    case T::CPPTYPE_UINT64: out += std::to_string(rep ? r->GetRepeatedUInt64(m, f, k) : r->GetUInt64(m, f)); break;
    case T::CPPTYPE_BOOL: out += (rep ? r->GetRepeatedBool(m, f, k) : r->GetBool(m, f)) ? "true" : "false"; break;
    case T::CPPTYPE_ENUM: out += std::to_string(rep ? r->GetRepeatedEnumValue(m, f, k) : r->GetEnumValue(m, f)); break;
    case T::CPPTYPE_FLOAT:
    case T::CPPTYPE_DOUBLE: {
      const double v = f->cpp_type() == T::CPPTYPE_FLOAT
                           ? (rep ? r->GetRepeatedFloat(m, f, k) : r->GetFloat(m, f))
                           : (rep ? r->GetRepeatedDouble(m, f, k) : r->GetDouble(m, f));
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", v);
      out += buf;
      break;
    }
    case T::CPPTYPE_STRING: {
      const std::string v = rep ? r->GetRepeatedString(m, f, k) : r->GetString(m, f);
      if (f->type() == T::TYPE_BYTES) {
        out += '"';
        append_base64(out, v);
        out += '"';
      } else {
        append_json_string(out, v);
      }
      break;
    }
    case T::CPPTYPE_MESSAGE: append_message(out, rep ? r->GetRepeatedMessage(m, f, k) : r->GetMessage(m, f)); break;
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '<':
      case '>':
      case '&':
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
          out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";  // as Go does
          i += 2;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

std::string go_json(const pb::Message& m) {
  std::string out;
  append_message(out, m);
  return out;
}

}  // namespace bgplbctl::gobgp

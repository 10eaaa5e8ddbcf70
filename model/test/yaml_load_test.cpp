// The YAML loader behind model::decode: libyaml's fast path must build the tree yaml-cpp
// built before it (table rows checked against both parsers), leave to yaml-cpp what the
// two parse differently, and syntax errors keep yaml-cpp's words, line and column.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "../src/reader.hpp"
#include "../src/yaml_load.hpp"
#include "model/decode.hpp"

namespace model::detail {
namespace {

struct row {
  const char* description;
  std::string input;
  std::string tree;  // dump() of the documents
};

TEST(yaml_load, libyaml_builds_yaml_cpp_tree) {
  const std::vector<row> rows = {
      {"empty input has no document", "", ""},
      {"comment only", "# nothing\n", ""},
      {"empty documents are null", "---\n---\n", "~\n~\n"},
      {"document end marker", "a: 1\n...\n---\nb\n", "{=a: =1}\n=b\n"},
      {"trailing separator adds an empty document", "a: 1\n---\n", "{=a: =1}\n~\n"},
      {"null spellings", "[~, null, Null, NULL, nULL, '', \"~\", ]", "[~, ~, ~, ~, =nULL, ', '~]\n"},
      {"empty values are null", "a:\nb: \nc: [x, ]\n", "{=a: ~, =b: ~, =c: [=x]}\n"},
      {"quoted scalars are marked", "a: \"80\"\nb: '80'\nc: 80\nd: \"\"\n", "{=a: '80, =b: '80, =c: =80, =d: '}\n"},
      {"escapes", "a: \"x\\ty\\u00e9\\n\"\nb: 'it''s'\n", "{=a: 'x\\x09y\xc3\xa9\\x0a, =b: 'it's}\n"},
      {"escapes for NEL and NBSP are UTF-8", "a: \"x\\Ny\\_z\\L\"\n",
       "{=a: 'x\xc2\x85y\xc2\xa0z\xe2\x80\xa8}\n"},
      {"CRLF line ends", "a: 1\r\nb: x\r\n", "{=a: =1, =b: =x}\n"},
      {"flow and block collections", "a: {b: [1, {c: d}], e: []}\nf:\n- g\n- - h\n", "{=a: {=b: [=1, {=c: =d}], =e: []}, =f: [=g, [=h]]}\n"},
      {"duplicate keys are all kept", "a: 1\na: 2\n", "{=a: =1, =a: =2}\n"},
      {"JSON", "{\"a\": [1, \"2\", true, null], \"b\": {}}", "{'a: [=1, '2, =true, ~], 'b: {}}\n"},
      {"merge keys are plain keys", "a: {<<: {b: 1}}\n", "{=a: {=<<: {=b: =1}}}\n"},
      {"colon and hash inside plain scalars", "a: b:c#d\ne: http://x/#y\n", "{=a: =b:c#d, =e: =http://x/#y}\n"},
  };
  for (const auto& r : rows) {
    const auto fast = load_all_libyaml(r.input);
    const auto reference = load_all_yaml_cpp(r.input);
    ASSERT_FALSE(fast.error) << r.description << ": " << fast.error->message;
    ASSERT_FALSE(reference.error) << r.description << ": " << reference.error->message;
    EXPECT_EQ(dump(fast.tree), r.tree) << r.description;
    EXPECT_EQ(dump(reference.tree), r.tree) << r.description;
  }
}

// Each row is a difference between the parsers that fuzz_model_yaml_load found; the fast path
// refuses it, so load_all's tree is yaml-cpp's.
TEST(yaml_load, differences_are_left_to_yaml_cpp) {
  const std::vector<row> rows = {
      {"tags", "a: !!str 80\nb: ! 80\n", "{=a: =80, =b: '80}\n"},
      {"anchor names with a colon (libyaml ends the name there)", "a: &f:x\n", "{=a: ~}\n"},
      {"aliases, self-referencing too", "a: &m {b: *m}\n", "{=a: {=b: {=b: {...: ...}}}}\n"},
      {"lone CR inside a plain scalar", "a: x\r y\n", "{=a: =x\\x0d y}\n"},
      {"folded block scalar ending in indentation", "a: >\n x\n ", "{=a: 'x }\n"},
      {"multi-line quoted scalar ending in empty lines", "a: \"x\n\n y\n\n\n\"", "{=a: 'x\\x0ay\\x0a}\n"},
      {"explicit key", "?\n:", "{{~: ~}: ~}\n"},
      {"byte order mark", "\xfe\xff\xfe\xff", "=\xef\xbb\xbf\n"},
  };
  for (const auto& r : rows) {
    EXPECT_TRUE(load_all_libyaml(r.input).error) << r.description;
    const auto loaded = load_all(r.input);
    ASSERT_FALSE(loaded.error) << r.description << ": " << loaded.error->message;
    EXPECT_EQ(dump(loaded.tree, 4), r.tree) << r.description;
  }
}

TEST(yaml_load, syntax_errors_are_yaml_cpp_s) {
  for (const std::string text : {"kind: [", "a: b: c\n", "{\"a\": 1},\n  \"x\": 1}\n", "a: {b: 1\n", "a: b\n c: d\n", "a:\n\tb: 1\n"}) {
    const auto loaded = load_all(text);
    const auto reference = load_all_yaml_cpp(text);
    ASSERT_TRUE(reference.error) << text;
    ASSERT_TRUE(loaded.error) << text;
    EXPECT_EQ(loaded.error->message, reference.error->message) << text;
    EXPECT_EQ(loaded.error->line, reference.error->line) << text;
    EXPECT_EQ(loaded.error->column, reference.error->column) << text;
    EXPECT_THAT(loaded.error->message, ::testing::Not(::testing::HasSubstr("left to yaml-cpp"))) << text;
  }
}

TEST(yaml_load, booleans_are_yaml_cpp_s) {
  for (const std::string s : {"true", "True", "TRUE", "tRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no",
                              "NO", "y", "Y", "n", "N", "on", "On", "ON", "off", "Off", "OFF", "oN", "1", "0", "",
                              "truE", "ye", "t", "f", "nope", "yes1", "Yes!", "TrUe"}) {
    bool expected = false;
    const bool ok = YAML::convert<bool>::decode(YAML::Node(s), expected);
    const auto got = parse_yaml_bool(s);
    EXPECT_EQ(got.has_value(), ok) << s;
    if (ok && got) {
      EXPECT_EQ(*got, expected) << s;
    }
  }
}

TEST(yaml_load, quoted_or_tagged_values_keep_their_meaning_in_decode) {
  const std::string head = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\naddressType: IPv4\n";
  const auto ready = [&](const std::string& v) {
    const auto out = decode("f.yaml", head + "endpoints:\n- addresses: [10.0.0.1]\n  conditions:\n    ready: " + v + "\n");
    if (!out.errors.empty()) return out.errors[0].message;
    return std::string(std::get<endpoint_slice>(out.objects.at(0)).endpoints.at(0).ready.value() ? "true" : "false");
  };
  EXPECT_EQ(ready("true"), "true");
  EXPECT_EQ(ready("Off"), "false");
  EXPECT_EQ(ready("\"true\""), "expected a boolean, got \"true\"");
  EXPECT_EQ(ready("!!bool true"), "true");  // a tag that is not `!` keeps the plain meaning
  EXPECT_EQ(ready("! true"), "expected a boolean, got \"true\"");
  EXPECT_EQ(ready("|\n      true"), "expected a boolean, got \"true\n\"");
}

}  // namespace
}  // namespace model::detail

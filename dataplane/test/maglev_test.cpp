#include <gtest/gtest.h>
TEST(maglev, placeholder) {}

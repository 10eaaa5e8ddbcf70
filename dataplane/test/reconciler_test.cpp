#include <gtest/gtest.h>
TEST(reconciler, placeholder) {}

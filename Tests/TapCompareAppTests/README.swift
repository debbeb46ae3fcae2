// Tests for TapCompareApp live in this folder.

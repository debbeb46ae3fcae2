// Tests for TapCompareProxy live in this folder.

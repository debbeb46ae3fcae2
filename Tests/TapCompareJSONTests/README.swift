// Tests for TapCompareJSON live in this folder.

// Tests for TapCompareComparison live in this folder.

// Tests for TapCompareLedger live in this folder.

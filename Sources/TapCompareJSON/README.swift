// The TapCompareJSON module. Its files are named after the types they hold.

/// Bytes as the slice the decoders read (array literals need the element type spelled out to be sliced).
func slice(_ bytes: [UInt8]) -> ArraySlice<UInt8> { bytes[...] }

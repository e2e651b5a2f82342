#!/usr/bin/env python3
"""Checks a .safetensors file against the format spec, independently of Fulcrum's C++ reader.

Prints one line per tensor: name, dtype, shape and the sum of its elements (tab-separated), in
data order. Exits 1 on the first violation of the format, 2 on bad usage. Used by Fulcrum's
tests to confirm that what the C++ writer produces is readable by other implementations, and by
users to inspect a checkpoint.

Usage: check_safetensors.py FILE
"""

import json
import struct
import sys

import numpy as np

MAX_HEADER_BYTES = 100_000_000

# Spec dtype name -> (numpy dtype, element size). BF16 has no numpy dtype: read as uint16 and widen.
DTYPES = {
    "F64": ("<f8", 8), "F32": ("<f4", 4), "F16": ("<f2", 2), "BF16": ("<u2", 2),
    "I64": ("<i8", 8), "I32": ("<i4", 4), "I16": ("<i2", 2), "I8": ("i1", 1),
    "U64": ("<u8", 8), "U32": ("<u4", 4), "U16": ("<u2", 2), "U8": ("u1", 1),
    "BOOL": ("u1", 1),
}


class FormatError(Exception):
    pass


def reject_duplicates(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise FormatError(f"duplicate key {key!r} in header")
        result[key] = value
    return result


def is_count(value):
    # bool is a subclass of int in Python, but `true` is not a valid shape or offset.
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def parse_header(blob):
    if len(blob) < 8:
        raise FormatError(f"file is {len(blob)} bytes, too short for the header length")
    (header_len,) = struct.unpack("<Q", blob[:8])
    if header_len > MAX_HEADER_BYTES:
        raise FormatError(f"header length {header_len} exceeds {MAX_HEADER_BYTES}")
    if 8 + header_len > len(blob):
        raise FormatError(f"header length {header_len} runs past the end of the file")
    raw = blob[8:8 + header_len]
    if not raw.startswith(b"{"):
        raise FormatError("header does not start with '{'")
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=reject_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FormatError(f"header is not UTF-8 JSON: {error}") from error
    if not isinstance(header, dict):
        raise FormatError("header is not a JSON object")
    return header, blob[8 + header_len:]


def check_entry(name, entry, data_len):
    if not isinstance(entry, dict):
        raise FormatError(f"tensor {name!r}: entry is not an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if dtype not in DTYPES:
        raise FormatError(f"tensor {name!r}: unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(is_count(d) for d in shape):
        raise FormatError(f"tensor {name!r}: bad shape {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(is_count(o) for o in offsets)):
        raise FormatError(f"tensor {name!r}: bad data_offsets {offsets!r}")
    begin, end = offsets
    if begin > end or end > data_len:
        raise FormatError(f"tensor {name!r}: data_offsets {offsets} out of range ({data_len} bytes)")
    count = 1
    for dim in shape:
        count *= dim
    if count * DTYPES[dtype][1] != end - begin:
        raise FormatError(f"tensor {name!r}: shape {shape} of {dtype} does not fit {offsets}")
    return dtype, shape, begin, end


def load(blob):
    header, data = parse_header(blob)
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise FormatError("__metadata__ is not a map of strings")
    entries = sorted(
        ((name,) + check_entry(name, entry, len(data)) for name, entry in header.items()),
        key=lambda e: (e[3], e[4]))
    position = 0
    for name, _, _, begin, end in entries:
        if begin != position:
            raise FormatError(f"tensor {name!r}: starts at {begin}, previous data ends at {position}")
        position = end
    if position != len(data):
        raise FormatError(f"tensors cover {position} of {len(data)} data bytes")
    tensors = []
    for name, dtype, shape, begin, end in entries:
        numpy_dtype, size = DTYPES[dtype]
        values = np.frombuffer(data[begin:end], dtype=numpy_dtype, count=(end - begin) // size)
        if dtype == "BF16":
            values = (values.astype("<u4") << 16).view("<f4")
        if dtype == "BOOL":
            if np.any(values > 1):
                raise FormatError(f"tensor {name!r}: BOOL byte other than 0 or 1")
            values = values.astype(bool)
        tensors.append((name, dtype, shape, values.reshape(shape)))
    return tensors, metadata


def format_sum(dtype, values):
    if dtype.startswith("F") or dtype == "BF16":
        return repr(float(values.sum(dtype=np.float64)))
    return str(int(values.sum(dtype=np.uint64 if dtype.startswith("U") else np.int64)))


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    path = argv[1]
    try:
        with open(path, "rb") as file:
            tensors, metadata = load(file.read())
    except (OSError, FormatError) as error:
        print(f"check_safetensors: {path}: {error}", file=sys.stderr)
        return 1
    for key, value in sorted(metadata.items()):
        print(f"__metadata__\t{key}\t{value}")
    for name, dtype, shape, values in tensors:
        print(f"{name}\t{dtype}\t{shape}\t{format_sum(dtype, values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Read and write safetensors files (and charlearn's tensor files, which are
safetensors) with json, struct and torch only: the `safetensors` package is
not needed.

    from charlearn_safetensors import load_file, save_file
    tensors, metadata = load_file("generator.safetensors")   # like safetensors.torch.load_file (+ metadata)
    save_file({"w": torch.ones(2)}, "out.safetensors", {"note": "x"})

Layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON
`{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}`
(space-padded so the data start 8-aligned), then the tensors' bytes.

charlearn files keep each meta key as JSON text in `__metadata__`, plus
`charlearn.format_version` ("2") and `charlearn.crc32`: the CRC-32 (zlib)
of the canonical header (JSON with sorted keys, without the CRC entry)
followed by the data bytes. `charlearn_meta` parses that back;
`save_file(..., charlearn_meta=...)` writes a file charlearn checks.
"""

import json
import struct
import zlib

import torch

DTYPES = {
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "F64": torch.float64,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}
VERSION_KEY = "charlearn.format_version"
CRC_KEY = "charlearn.crc32"


def _canonical(value):
    if isinstance(value, dict):
        return {k: _canonical(value[k]) for k in sorted(value) if k != CRC_KEY}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def canonical_header_bytes(header):
    """The bytes charlearn's CRC covers before the data (same as `canonicalHeaderBytes` in @charlearn/core)."""
    return json.dumps(_canonical(header), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def load_bytes(data):
    """(tensors, metadata, header) of a safetensors file's bytes; checks the layout rules."""
    if len(data) < 8:
        raise ValueError(f"truncated: {len(data)} bytes")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"header length {n} runs past the end ({len(data) - 8} bytes follow)")
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    metadata = header.get("__metadata__", {}) or {}
    entries = sorted(((k, v) for k, v in header.items() if k != "__metadata__"), key=lambda kv: kv[1]["data_offsets"])
    buf = memoryview(data)[8 + n :]
    end = 0
    tensors = {}
    for name, info in entries:
        begin, stop = info["data_offsets"]
        if begin != end:
            raise ValueError(f"tensor {name!r}: offsets overlap or leave a hole")
        end = stop
        dtype = DTYPES[info["dtype"]]
        count = 1
        for d in info["shape"]:
            count *= d
        if stop - begin != count * torch.tensor([], dtype=dtype).element_size():
            raise ValueError(f"tensor {name!r}: data_offsets do not match dtype and shape")
        raw = bytes(buf[begin:stop])
        t = torch.frombuffer(bytearray(raw), dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(info["shape"])
    if end != len(buf):
        raise ValueError(f"{len(buf) - end} bytes after the last tensor")
    return tensors, metadata, header


def load_file(path):
    """(tensors, metadata): every tensor of the file (as stored) and its `__metadata__`."""
    with open(path, "rb") as f:
        tensors, metadata, _ = load_bytes(f.read())
    return tensors, metadata


def charlearn_meta(path):
    """(tensors, meta) of a charlearn tensor file: CRC checked, meta parsed from JSON text."""
    with open(path, "rb") as f:
        data = f.read()
    tensors, metadata, header = load_bytes(data)
    if VERSION_KEY not in metadata:
        raise ValueError(f"{path} has no {VERSION_KEY}: not a charlearn file")
    (n,) = struct.unpack("<Q", data[:8])
    crc = zlib.crc32(data[8 + n :], zlib.crc32(canonical_header_bytes(header))) & 0xFFFFFFFF
    if f"{crc:08x}" != metadata.get(CRC_KEY):
        raise ValueError(f"{path}: checksum mismatch (stored {metadata.get(CRC_KEY)}, computed {crc:08x})")
    meta = {k: json.loads(v) for k, v in metadata.items() if not k.startswith("charlearn.")}
    return tensors, meta


def save_file(tensors, path, metadata=None, charlearn_meta=None):
    """Writes `tensors` (name -> torch tensor, any dtype in DTYPES) as safetensors.

    `metadata`: a str -> str map. `charlearn_meta`: a JSON-able dict written as
    charlearn writes it (each key as JSON text, the format version and the CRC),
    so that charlearn's `decodeTensors` reads it with its checksum."""
    md = dict(metadata or {})
    if charlearn_meta is not None:
        for k, v in charlearn_meta.items():
            md[k] = json.dumps(v, separators=(",", ":"), ensure_ascii=False)
        md[VERSION_KEY] = "2"
        md[CRC_KEY] = "00000000"
    header = {}
    if md:
        header["__metadata__"] = md
    chunks = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    data = b"".join(chunks)
    if charlearn_meta is not None:
        md[CRC_KEY] = f"{zlib.crc32(data, zlib.crc32(canonical_header_bytes(header))) & 0xFFFFFFFF:08x}"
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(data)

#!/usr/bin/env python3
"""Runs protoc on protos that import each other by nested paths (etcd's
"etcd/mvcc/mvccpb/kv.proto", "gogoproto/gogo.proto", ...) and writes the generated C++
flat into one folder, as meson's custom_target wants its outputs: <dir>/<name>.proto
becomes <dir>_<name>.pb.{h,cc} (and .grpc.pb.{h,cc} for --grpc protos), with every
#include of a generated header rewritten to its flat name. The protos are used as
installed; nothing is edited but the generated code's include lines.

usage: protoc_flat.py PROTOC GRPC_PLUGIN OUTDIR -I ROOT... --grpc P... --proto P...
"""
import pathlib
import re
import subprocess
import sys
import tempfile


def flat(virtual: str) -> str:
    p = pathlib.PurePosixPath(virtual)
    return f"{p.parent.name}_{p.stem}"


def main(argv: list[str]) -> int:
    protoc, plugin, outdir = argv[:3]
    roots: list[str] = []
    grpc: list[str] = []
    plain: list[str] = []
    target = None
    for a in argv[3:]:
        if a in ("-I", "--grpc", "--proto"):
            target = {"-I": roots, "--grpc": grpc, "--proto": plain}[a]
        elif target is None:
            print(f"protoc_flat: unexpected argument {a}", file=sys.stderr)
            return 2
        else:
            target.append(a)
    protos = grpc + plain
    renames = {}  # generated path relative to the temp dir -> flat name
    for v in protos:
        stem = str(pathlib.PurePosixPath(v).with_suffix(""))
        exts = [".pb.h", ".pb.cc"] + ([".grpc.pb.h", ".grpc.pb.cc"] if v in grpc else [])
        for ext in exts:
            renames[stem + ext] = flat(v) + ext
    include = re.compile(r'^#include "([^"]+)"', re.M)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [protoc, *[f"-I{r}" for r in roots], f"--cpp_out={tmp}", f"--grpc_out={tmp}",
               f"--plugin=protoc-gen-grpc={plugin}", *protos]
        if subprocess.run(cmd).returncode != 0:
            return 1
        for generated, name in renames.items():
            text = (pathlib.Path(tmp) / generated).read_text()
            text = include.sub(lambda m: f'#include "{renames.get(m.group(1), m.group(1))}"', text)
            out = pathlib.Path(outdir) / name
            out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A Gentoo-size git repository made from the bundled GURU history.

Gentoo's ebuild repository holds about 157,000 files; GURU about 9,200.
The scale repository holds COPIES copies of GURU side by side, each
modified so that no two copies share a file (the copies' top-level entries
get a suffix, and every regular file of copy c > 0 gets one more line
naming the copy), so neither deduplication nor the delta encoder can take
one copy from another. Night n (tag nNN) holds every copy at GURU's day n,
so a night changes COPIES times GURU's daily change, spread over the whole
tree, as a day of Gentoo does.

The repository is written with one `git fast-import` stream; a night
after the first carries only the paths GURU changed that day.
"""

import os
import subprocess


def _copy_path(path, copy):
    if copy == 0:
        return path
    top, sep, rest = path.partition("/")
    return f"{top}-x{copy:02d}{sep}{rest}"


def _copy_content(mode, content, copy):
    if copy == 0 or mode == "120000":  # symlink targets stay as they are
        return content
    return content + f"\n# scale copy {copy}\n".encode()


class _BlobReader:
    """Reads blobs through one long-lived `git cat-file --batch`."""

    def __init__(self, repository):
        self.proc = subprocess.Popen(["git", "-C", repository, "cat-file", "--batch"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def read(self, sha):
        self.proc.stdin.write(sha.encode() + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().split()
        size = int(header[2])
        content = self.proc.stdout.read(size)
        self.proc.stdout.read(1)  # the LF after each object
        return content

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def _entries(repository, tag):
    """(mode, sha, path) of every file of a GURU day."""
    out = subprocess.run(["git", "-C", repository, "ls-tree", "-r", "-z", tag],
                         check=True, capture_output=True).stdout
    for record in out.split(b"\0"):
        if record:
            meta, path = record.split(b"\t", 1)
            mode, _, sha = meta.decode().split()
            yield mode, sha, path.decode()


def _changes(repository, old, new):
    """(status, mode, sha, path) of what changed from GURU day old to new."""
    out = subprocess.run(["git", "-C", repository, "diff-tree", "-r", "-z", "--no-renames",
                          old, new], check=True, capture_output=True).stdout
    fields = out.split(b"\0")
    i = 0
    while i + 1 < len(fields) and fields[i]:
        meta = fields[i].decode().lstrip(":").split()
        path = fields[i + 1].decode()
        i += 2
        yield meta[4], meta[1], meta[3], path


def _commit_time(repository, tag):
    return subprocess.run(["git", "-C", repository, "log", "-1", "--format=%ct", tag],
                          check=True, capture_output=True, text=True).stdout.strip()


def build(guru, path, copies, days=30):
    """Writes the scale repository (bare) at path with tags n01..nDAYS."""
    subprocess.run(["git", "init", "-q", "--bare", path], check=True)
    importer = subprocess.Popen(["git", "-C", path, "fast-import", "--quiet"],
                                stdin=subprocess.PIPE)
    blobs = _BlobReader(guru)
    out = importer.stdin

    def modify(mode, sha, file_path):
        content = blobs.read(sha)
        for copy in range(copies):
            data = _copy_content(mode, content, copy)
            out.write(f"M {mode} inline {_copy_path(file_path, copy)}\n".encode())
            out.write(f"data {len(data)}\n".encode() + data + b"\n")

    previous = None
    for day in range(1, days + 1):
        tag = f"2026-06-{day:02d}"
        message = f"scale night {day}: {copies} copies of GURU {tag}\n".encode()
        stamp = _commit_time(guru, tag)
        out.write(b"commit refs/heads/main\n")
        out.write(f"mark :{day}\n".encode())
        out.write(f"committer scale <scale@example.org> {stamp} +0000\n".encode())
        out.write(f"data {len(message)}\n".encode() + message)
        if previous is None:
            for mode, sha, file_path in _entries(guru, tag):
                modify(mode, sha, file_path)
        else:
            for status, mode, sha, file_path in _changes(guru, previous, tag):
                if status == "D":
                    for copy in range(copies):
                        out.write(f"D {_copy_path(file_path, copy)}\n".encode())
                else:
                    modify(mode, sha, file_path)
        out.write(b"\n")
        out.write(f"reset refs/tags/n{day:02d}\nfrom :{day}\n\n".encode())
        previous = tag
    out.close()
    blobs.close()
    if importer.wait() != 0:
        raise RuntimeError("git fast-import failed")
    return path


def count_files(repository, rev):
    out = subprocess.run(["git", "-C", repository, "ls-tree", "-r", "--name-only", "-z", rev],
                         check=True, capture_output=True).stdout
    return out.count(b"\0")


if __name__ == "__main__":
    import sys
    build(sys.argv[1], sys.argv[2], int(sys.argv[3]))
    print(count_files(sys.argv[2], "n30"), "files at n30")

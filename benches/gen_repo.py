#!/usr/bin/env python3
"""Generates a deterministic synthetic git repository with a realistic
history, for measuring history scans as the history grows.

    gen_repo.py OUT_DIR [--commits N] [--files N] [--seed N]

A tree of source-like files (several languages and config formats) is
edited by N commits: each changes a few lines in one to four files, adds a
file now and then, deletes one now and then, and every ~150 commits one
commit adds a fake credential that a later commit may remove. The history
is written with `git fast-import` and packed with deltas (`git repack -adf
--depth=50 --window=250`) the way a real repository is.

The credentials are fake but well-formed (a GitHub token with a valid
checksum, an AWS key id, a Slack bot token), so every scanner sees them.
"""
import argparse
import os
import random
import subprocess
import zlib

WORDS = ("alpha beta gamma delta value result count index buffer client server request response "
         "config handler parse render update state token key secret user session cache query item "
         "list map filter reduce error retry timeout limit offset cursor page stream reader writer").split()

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62(value, width):
    digits = ""
    while value:
        digits = BASE62[value % 62] + digits
        value //= 62
    return digits.rjust(width, "0")


def github_token(rng):
    payload = "".join(rng.choice(BASE62) for _ in range(30))
    return "ghp_" + payload + base62(zlib.crc32(payload.encode()), 6)


def fake_secret(rng):
    kind = rng.randrange(3)
    if kind == 0:
        return f'GITHUB_TOKEN = "{github_token(rng)}"'
    if kind == 1:
        key = "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
        return f"aws_access_key_id = {key}"
    token = "xoxb-{}-{}-{}".format(rng.randrange(10**11, 10**12), rng.randrange(10**11, 10**12),
                                  "".join(rng.choice(BASE62) for _ in range(24)))
    return f'SLACK_BOT_TOKEN="{token}"'


def code_line(rng, ext):
    a, b, c = rng.choice(WORDS), rng.choice(WORDS), rng.choice(WORDS)
    n = rng.randrange(1000)
    if ext == "py":
        return rng.choice([f"    {a}_{b} = compute_{c}({a}, {n})", f"def {a}_{b}(self, {c}):",
                           f"    # {a} the {b} before {c}", f"    return {a}.{b}({c})"])
    if ext == "rs":
        return rng.choice([f"    let {a}_{b} = {c}::new({n});", f"fn {a}_{b}({c}: &str) -> Result<(), Error> {{",
                           f"    // {a} the {b} before {c}", "}"])
    if ext == "js":
        return rng.choice([f"  const {a}{b.title()} = await {c}({n});", f"export function {a}({b}, {c}) {{",
                           f"  // {a} the {b} before {c}", f"  return {a}.{b}({c});", "}"])
    if ext == "yaml":
        return rng.choice([f"  {a}_{b}: {n}", f"{a}:", f"  {b}: {c}-{n}"])
    return rng.choice([f"{a}.{b} = {n}", f"# {a} {b} {c}"])


def new_file(rng, index):
    ext = rng.choice(["py", "rs", "js", "yaml", "properties"])
    path = f"{rng.choice(['src', 'lib', 'app', 'config', 'tools'])}/{rng.choice(WORDS)}{index % 17}/{rng.choice(WORDS)}_{index}.{ext}"
    lines = [code_line(rng, ext) for _ in range(rng.randrange(40, 200))]
    return path, lines


def blob(data):
    raw = data.encode()
    return b"data %d\n%s\n" % (len(raw), raw)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    subprocess.run(["git", "init", "-q", "-b", "main", args.out], check=True)
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1")
    importer = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=args.out, stdin=subprocess.PIPE, env=env)
    out = importer.stdin

    files = dict(new_file(rng, i) for i in range(args.files))
    time = 1_600_000_000
    secret_files = []
    for n in range(args.commits):
        time += rng.randrange(600, 86400)
        changes = {}
        if n == 0:
            changes = {path: lines for path, lines in files.items()}
            message = "initial import"
        else:
            message = f"{rng.choice(WORDS)}: {rng.choice(WORDS)} the {rng.choice(WORDS)}"
            for _ in range(rng.randrange(1, 5)):
                path = rng.choice(list(files))
                lines = files[path]
                ext = path.rsplit(".", 1)[1]
                for _ in range(rng.randrange(1, 6)):
                    at = rng.randrange(len(lines) + 1)
                    if rng.random() < 0.6 and lines:
                        lines[min(at, len(lines) - 1)] = code_line(rng, ext)
                    else:
                        lines.insert(at, code_line(rng, ext))
                changes[path] = lines
            if rng.random() < 0.02:
                path, lines = new_file(rng, args.files + n)
                files[path] = lines
                changes[path] = lines
            if n % 150 == 75:
                path = rng.choice(list(files))
                files[path].insert(rng.randrange(len(files[path]) + 1), fake_secret(rng))
                changes[path] = files[path]
                secret_files.append(path)
                message = "add credentials for the integration"
            elif secret_files and rng.random() < 0.01:
                path = secret_files.pop(0)
                files[path] = [l for l in files[path] if "TOKEN" not in l and "aws_access" not in l]
                changes[path] = files[path]
                message = "remove hard-coded credentials"
        out.write(b"commit refs/heads/main\n")
        out.write(b"author Dev %d <dev%d@example.com> %d +0000\n" % (n % 7, n % 7, time))
        out.write(b"committer Dev %d <dev%d@example.com> %d +0000\n" % (n % 7, n % 7, time))
        out.write(blob(message))
        for path, lines in sorted(changes.items()):
            out.write(b"M 100644 inline %s\n" % path.encode())
            out.write(blob("\n".join(lines) + "\n"))
        out.write(b"\n")
    out.close()
    if importer.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "repack", "-adfq", "--depth=50", "--window=250"], cwd=args.out, check=True, env=env)
    subprocess.run(["git", "checkout", "-qf", "main"], cwd=args.out, check=True, env=env)


if __name__ == "__main__":
    main()

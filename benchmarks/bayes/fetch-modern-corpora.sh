#!/bin/sh
# Fetches modern (2019-2026) raw mail with full headers for judging the default Bayes model on mail it never saw, and
# writes one file per message into DIR (default /tmp/xm), named YEAR-NNNNN.eml. Nothing is written into the repository.
# Needs git, python3 and network access to github.com (or MIRROR=dir holding owner+name/repo git directories).
#   DIR/foff/spam, DIR/foff/ham      mwstowe/foff-milter tests/positive (spam and phishing) and tests/negative
#                                    (legitimate newsletters and notifications), 2025-26, MIT; year from Date:;
#                                    the milter's own log line that begins a quarter of them is dropped (since
#                                    session 13: read as a message, their headers had been body text)
#   DIR/foff/spam-nodate, ham-nodate the same without a parseable Date: (mostly cut-down headers), kept apart
#   DIR/glitchyzorua/spam            GlitchyZorua/E-mail-SPAM-Archive, one person's Gmail spam 2023-25 (year folder),
#                                    "use without restriction"; headers partly scrubbed by its author
#   DIR/usrp-users/ham               usrp-users@lists.ettus.com public-inbox archive, <= 400 messages a year, evenly
#                                    spaced (2019-2026), year of the commit (= message) date
#   DIR/linux-man/ham                linux-man@vger.kernel.org public-inbox archive, <= 300 a year (2019-2026)
# Usage: benchmarks/bayes/fetch-modern-corpora.sh [DIR]; the clones go to DIR/src-*.
set -eu
dir=${1:-/tmp/xm}
mkdir -p "$dir"
cd "$dir"

get() { # get NAME OWNER/REPO COMMIT
    [ -d "src-$1" ] || {
        if [ -n "${MIRROR:-}" ]; then
            git clone -q "$MIRROR/$(echo "$2" | tr / +)/repo" "src-$1"
        else
            git clone -q "https://github.com/$2" "src-$1"
        fi
    }
    git -C "src-$1" checkout -q "$3"
}

get foff mwstowe/foff-milter b88e9b249700993d3bdf255ddd294eac72b53cee
get glitchy GlitchyZorua/E-mail-SPAM-Archive 28f21168b606baa15e9d1f09c6d8973cbd76bb57
get usrp linux-mailinglist-archives/usrp-users.lists.ettus.com.0 ca763a0eab9f857948f294e78103c609e477dc34
get linuxman linux-mailinglist-archives/linux-man.vger.kernel.org.0 0f25944defa3b073fb9710c2b98d9b7e779581ca

python3 - "$dir" <<'EOF'
import collections, email.utils, hashlib, os, re, subprocess, sys

base = sys.argv[1]


def git(repo, *args):
    return subprocess.run(['git', '-C', os.path.join(base, repo), *args], capture_output=True, check=True).stdout


def files(repo, path):
    names = git(repo, 'ls-tree', '-r', '-z', '--name-only', 'HEAD', path).decode('utf-8', 'replace').split('\0')
    return sorted(n for n in names if n.lower().endswith('.eml'))


def date_year(data):
    head = data.split(b'\n\n', 1)[0].decode('latin-1')
    m = re.search(r'^Date:\s*(.+)$', head, re.M | re.I)
    try:
        return str(email.utils.parsedate_to_datetime(m.group(1).strip()).year) if m else 'nodate'
    except (TypeError, ValueError):
        return 'nodate'


def strip_log_line(data):
    """foff-milter's fixtures: a quarter begin with the milter's own log line, captured with the message; a mail
    never begins so (the header would be read as body text), so that line is dropped."""
    if data.startswith('\u2705 Loading modern TOML configuration'.encode()):
        return data.split(b'\n', 1)[1] if b'\n' in data else b''
    return data


def write_tree(repo, path, out, year_of):
    """Every distinct .eml under path, named by year_of(name, data); an index maps file to source path."""
    seen, count, index = set(), collections.Counter(), []
    for n in files(repo, path):
        data = strip_log_line(git(repo, 'show', 'HEAD:' + n))
        digest = hashlib.sha1(data).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        y = year_of(n, data)
        if y is None:
            continue
        target = out + '-nodate' if y == 'nodate' else out
        os.makedirs(os.path.join(base, target), exist_ok=True)
        count[y] += 1
        name = f'{y}-{count[y]:05d}.eml'
        with open(os.path.join(base, target, name), 'wb') as f:
            f.write(data)
        index.append(f'{target}/{name}\t{n}\n')
    with open(os.path.join(base, out.replace('/', '-') + '-index.tsv'), 'w') as f:
        f.writelines(index)
    print(out, dict(sorted(count.items())))


def write_inbox(repo, out, cap):
    """A public-inbox v2 epoch: one message per commit in file m; at most cap a year, evenly spaced."""
    by_year = collections.defaultdict(list)
    for line in git(repo, 'log', '--format=%H %ad', '--date=format:%Y').decode().split('\n'):
        if line.strip():
            h, y = line.split()
            by_year[y].insert(0, h)
    os.makedirs(os.path.join(base, out), exist_ok=True)
    count = collections.Counter()
    for y, hs in sorted(by_year.items()):
        if len(hs) > cap:
            hs = [hs[int(i * len(hs) / cap)] for i in range(cap)]
        for h in hs:
            r = subprocess.run(['git', '-C', os.path.join(base, repo), 'show', h + ':m'], capture_output=True)
            if r.returncode != 0:
                continue
            count[y] += 1
            with open(os.path.join(base, out, f'{y}-{count[y]:05d}.eml'), 'wb') as f:
                f.write(r.stdout)
    print(out, dict(sorted(count.items())))


write_tree('src-foff', 'tests/positive', 'foff/spam', lambda n, d: date_year(d))
write_tree('src-foff', 'tests/negative', 'foff/ham', lambda n, d: date_year(d))
write_tree('src-glitchy', '.', 'glitchyzorua/spam', lambda n, d: n[:4] if re.match(r'20\d\d/', n) else None)
write_inbox('src-usrp', 'usrp-users/ham', 400)
write_inbox('src-linuxman', 'linux-man/ham', 300)
EOF
echo "$dir"

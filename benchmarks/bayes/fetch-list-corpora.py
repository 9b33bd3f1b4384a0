#!/usr/bin/env python3
"""Builds the modern (2019-2026) training and test sets of the default Bayes model (benchmarks/README.md, session 6).

usage: benchmarks/bayes/fetch-list-corpora.py DIR [MODERN_DIR]
  run from the repository root; MIRROR=dir (holding owner+name/repo git directories) instead of cloning from GitHub.

From five public mailing-list archives (public-inbox v2 repositories of github.com/linux-mailinglist-archives, one
message per commit in file `m`, pinned below):
  DIR/LIST/spam   the messages benchmarks/bayes/list-spam-labels.tsv names (hand-labelled spam that reached the list)
  DIR/LIST/ham    up to CAP patches and replies, evenly spaced over the archive (subjects [PATCH... or Re:, no kana)
and the splits, by the parity of each file's SHA-1 (even: may be learned; odd: only tested):
  DIR/split/LIST-spam-train   even, without Japanese and Chinese messages (see README), at most 300 per list
  DIR/split/LIST-spam-test    odd (all languages)
  DIR/split/LIST-ham-train, DIR/split/LIST-ham-test
  DIR/split/ja-spam-test      the Japanese spam of all five lists that is only tested
linux-man and linaro-mm-sig are not split: they are held out whole (their spam and ham are only tested).
With MODERN_DIR (what benchmarks/bayes/fetch-modern-corpora.sh wrote), by sorted file name (even position: learned):
  DIR/split/foff-spam-train|test, foff-ham-train|test, glitchy-spam-train|test
  DIR/split/usrp-ham-train (150 of the learnable half: every 10th), usrp-ham-test
  DIR/split/lman-ham-test     linux-man's sample without the messages list-spam-labels.tsv calls spam
Nothing is written into the repository. The archives state no licence: only derived counts may be published.
"""
import hashlib
import os
import re
import subprocess
import sys
import email.header

LISTS = {
    # name: (repository, pinned commit, ham cap, split)
    'driverdev-devel': ('driverdev-devel.linuxdriverproject.org.0', '3f618eda022a3f4dfc4c365e576ad7a3d3affe49', 400, True),
    'linux-erofs': ('linux-erofs.lists.ozlabs.org.0', 'b091b47ea5b1fc4b7a6e7e4ec595a3e997b3a83d', 400, True),
    'linux-serial': ('linux-serial.vger.kernel.org.0', '9a55e4ec5167e07c662805f363f503c7fc8ca398', 400, True),
    'linux-man': ('linux-man.vger.kernel.org.0', '0f25944defa3b073fb9710c2b98d9b7e779581ca', 0, False),
    'linaro-mm-sig': ('linaro-mm-sig.lists.linaro.org.0', '28f002d6ea2e8c1efcc0e9ccebb2dc300826b58b', 300, False),
}
TRAIN_SPAM_CAP = 300
KANA = re.compile('[\u3040-\u30ff]')


def git(gitdir, *args, check=True):
    return subprocess.run(['git', '--git-dir', gitdir, *args], capture_output=True, check=check)


def source(base, repo):
    mirror = os.environ.get('MIRROR')
    if mirror:
        return os.path.join(mirror, 'linux-mailinglist-archives+' + repo, 'repo')
    gitdir = os.path.join(base, 'src-' + repo)
    if not os.path.isdir(gitdir):
        subprocess.run(['git', 'clone', '-q', '--bare', 'https://github.com/linux-mailinglist-archives/' + repo, gitdir],
                       check=True)
    return gitdir


def subject(raw):
    head = raw.split(b'\n\n', 1)[0].decode('latin-1')
    m = re.search(r'^Subject:(.*(?:\n[ \t].*)*)', head, re.M | re.I)
    if not m:
        return ''
    try:
        return str(email.header.make_header(email.header.decode_header(m.group(1).replace('\n', ''))))
    except Exception:
        return m.group(1)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


def ham(gitdir, pin, out, cap, spam_commits):
    commits = git(gitdir, 'log', '--format=%H', pin).stdout.decode().split()
    commits.reverse()
    step = max(1, len(commits) // (cap * 2))
    n = 0
    for h in commits[::step]:
        if h in spam_commits:
            continue
        r = git(gitdir, 'show', h + ':m', check=False)
        if r.returncode:
            continue
        s = subject(r.stdout)
        if KANA.search(s) or not re.search(r'\[PATCH|^\s*Re:', s, re.I):
            continue
        n += 1
        write(os.path.join(out, f'{n:05d}-{h[:12]}.eml'), r.stdout)
        if n >= cap:
            break
    return n


def sha1_even(path):
    with open(path, 'rb') as f:
        return hashlib.sha1(f.read()).digest()[0] % 2 == 0


def link(files, d):
    os.makedirs(d, exist_ok=True)
    for f in files:
        target = os.path.join(d, os.path.basename(f))
        if not os.path.lexists(target):
            os.symlink(os.path.realpath(f), target)
    return len(files)


def listing(d):
    return sorted(os.path.join(d, f) for f in os.listdir(d)) if os.path.isdir(d) else []


def main():
    base = os.path.abspath(sys.argv[1])
    modern = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
    labels = {}
    with open('benchmarks/bayes/list-spam-labels.tsv') as f:
        for line in f:
            if not line.startswith('#'):
                name, commit, lang = line.rstrip('\n').split('\t')
                labels.setdefault(name, {})[commit] = lang
    split = os.path.join(base, 'split')
    spam_hashes = set()
    for name, (repo, pin, cap, do_split) in LISTS.items():
        gitdir = source(base, repo)
        lang = {}
        for commit, language in labels.get(name, {}).items():
            path = os.path.join(base, name, 'spam', commit[:12] + '.eml')
            if not os.path.exists(path):
                write(path, git(gitdir, 'show', commit + ':m').stdout)
            lang[path] = language
            with open(path, 'rb') as f:
                spam_hashes.add(hashlib.sha256(f.read()).hexdigest())
        if cap and not os.path.isdir(os.path.join(base, name, 'ham')):
            ham(gitdir, pin, os.path.join(base, name, 'ham'), cap, set(labels.get(name, {})))
        spam = listing(os.path.join(base, name, 'spam'))
        hams = listing(os.path.join(base, name, 'ham'))
        if do_split:
            train = [f for f in spam if sha1_even(f) and lang.get(f) not in ('ja', 'zh')]
            if len(train) > TRAIN_SPAM_CAP:
                train = [train[int(i * len(train) / TRAIN_SPAM_CAP)] for i in range(TRAIN_SPAM_CAP)]
            print(name, 'spam train', link(train, f'{split}/{name}-spam-train'),
                  'test', link([f for f in spam if not sha1_even(f)], f'{split}/{name}-spam-test'),
                  'ham train', link([f for f in hams if sha1_even(f)], f'{split}/{name}-ham-train'),
                  'test', link([f for f in hams if not sha1_even(f)], f'{split}/{name}-ham-test'))
        else:
            print(name, 'spam', len(spam), 'ham', len(hams), '(held out)')
        japanese = [f for f in spam if lang.get(f) == 'ja' and not (do_split and sha1_even(f))]
        link(japanese, f'{split}/ja-spam-test')
    if modern:
        for name, d in (('foff-spam', 'foff/spam'), ('foff-ham', 'foff/ham'), ('glitchy-spam', 'glitchyzorua/spam')):
            files = listing(os.path.join(modern, d))
            print(name, 'train', link(files[0::2], f'{split}/{name}-train'), 'test', link(files[1::2], f'{split}/{name}-test'))
        usrp = listing(os.path.join(modern, 'usrp-users/ham'))
        print('usrp-ham train', link(usrp[0::2][0::10][:150], f'{split}/usrp-ham-train'),
              'test', link(usrp[1::2], f'{split}/usrp-ham-test'))
        lman = []
        for f in listing(os.path.join(modern, 'linux-man/ham')):
            with open(f, 'rb') as g:
                if hashlib.sha256(g.read()).hexdigest() not in spam_hashes:
                    lman.append(f)
        print('lman-ham test', link(lman, f'{split}/lman-ham-test'))


main()

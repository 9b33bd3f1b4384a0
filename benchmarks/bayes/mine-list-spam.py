#!/usr/bin/env python3
"""Candidate filter for spam in public-inbox v2 mailing-list archives.

usage: mine.py GITDIR OUT.tsv
Reads every commit's file `m` via `git cat-file --batch`, keeps candidates:
 - no In-Reply-To/References, subject not starting Re:/AW:/Fwd:/... ,
 - subject not starting with [PATCH/[RFC/[PULL/[GIT/[ANNOUNCE/... ,
 - body without patch markers (diff --git, Signed-off-by:),
 - sender address posted at most twice in the whole archive.
Writes TSV: commit, date, from, subject, body snippet (decoded text, 400 chars).
"""
import sys, subprocess, re, email, email.policy, collections
from email.utils import parseaddr, parsedate_to_datetime
from email.header import decode_header, make_header

gitdir, out = sys.argv[1], sys.argv[2]
commits = subprocess.run(['git', '--git-dir', gitdir, 'rev-list', 'HEAD'],
                         capture_output=True, text=True, check=True).stdout.split()
p = subprocess.Popen(['git', '--git-dir', gitdir, 'cat-file', '--batch'],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
import threading
def feed():
    for c in commits:
        p.stdin.write((c + ':m\n').encode())
    p.stdin.close()
threading.Thread(target=feed, daemon=True).start()

REPLY = re.compile(r'^\s*(re|aw|sv|vs|antw|fwd?|wg|tr|r|rif|odp)\s*(\[\d+\])?\s*:', re.I)
TECH = re.compile(r'^\s*\[(patch|rfc|pull|git|announce|bug|ann|resend|net|v\d|pr)', re.I)
def hdr(h):
    try:
        return str(make_header(decode_header(h or ''))).replace('\n', ' ').replace('\t', ' ')
    except Exception:
        return (h or '').replace('\n', ' ')

msgs = []
cnt = collections.Counter()
for c in commits:
    line = p.stdout.readline().split()
    if len(line) < 3 or line[1] == b'missing':
        continue
    size = int(line[2]); data = p.stdout.read(size); p.stdout.read(1)
    hend = data.find(b'\n\n')
    head = data[:hend if hend >= 0 else 8192]
    m = email.message_from_bytes(head + b'\n\n')
    frm = parseaddr(str(m.get('From', '')))[1].lower()
    cnt[frm] += 1
    subj = hdr(str(m.get('Subject') or ''))
    if m.get('In-Reply-To') or m.get('References') or REPLY.match(subj) or TECH.match(subj):
        continue
    body = data[hend:hend + 200000] if hend >= 0 else b''
    if b'diff --git' in body or b'Signed-off-by:' in body:
        continue
    msgs.append((c, frm, subj, data))
p.wait()

def text_of(data):
    m = email.message_from_bytes(data, policy=email.policy.default)
    parts = []
    for part in m.walk():
        if part.get_content_maintype() == 'text':
            try:
                t = part.get_content()
            except Exception:
                t = part.get_payload(decode=True) or b''
                t = t.decode('latin-1', 'replace')
            if part.get_content_subtype() == 'html':
                t = re.sub(r'<[^>]+>', ' ', re.sub(r'(?is)<(style|script).*?</\1>', ' ', t))
            parts.append(t)
            if len(' '.join(parts)) > 2000:
                break
    return re.sub(r'\s+', ' ', ' '.join(parts))[:400]

with open(out, 'w') as f:
    for c, frm, subj, data in msgs:
        if cnt[frm] > 2:
            continue
        m = email.message_from_bytes(data[:data.find(b'\n\n') + 2])
        try:
            d = parsedate_to_datetime(str(m.get('Date'))).strftime('%Y-%m-%d')
        except Exception:
            d = '?'
        f.write('\t'.join([c, d, frm, subj[:150].replace('\t', ' '),
                           text_of(data).replace('\t', ' ')]) + '\n')
print(gitdir, len(commits), 'messages,', sum(1 for _ in open(out)), 'candidates', file=sys.stderr)

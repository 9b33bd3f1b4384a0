#!/usr/bin/env python3
"""Builds the 2015-2022 phishing sets (benchmarks/README.md, session 8) from Jose Nazario's phishing corpus as
Champa, Rabbi and Zaman published it in CSV form (1,563 messages, one row each: sender, receiver, date, subject, body
text, a URL flag; the HTML and most URLs were taken out by the publishers, there are no other header fields).

usage: benchmarks/bayes/fetch-nazario-2015-2022.py DIR
  run from the repository root; MIRROR=dir (holding owner+name/repo git directories) instead of cloning from GitHub.

Writes one message per row, as a mail reader would get it from such a row:
  From, To, Date (rewritten in RFC 5322 form when the CSV has another), Subject, a text/plain UTF-8 body.
The honeypot's own address (jose@monkey.org; monkey.org, Monkey and jose alone; in every field and the body) is replaced by an
address made up for each message (of varying letters and length, as real recipients' addresses are), so that no token
of the trap's name can be learned or rewarded in a test.
The rows are split by the parity of the SHA-1 of subject and body (identical campaigns fall on one side):
  DIR/train   even: may be learned, less the Chinese, Japanese and Korean ones (five or more such characters)
  DIR/train-cjk   those: the default model learns no spam of a language it has no real ham of (see README)
  DIR/test    odd: only tested
  DIR/test-2021-2022   the odd ones dated 2021 or 2022 (the newest)
The CSV states no licence: nothing of it is in the repository, only derived token counts may be published.
"""
import csv
import email.errors
import email.header
import email.utils
import hashlib
import os
import re
import subprocess
import sys
from datetime import datetime, timezone

REPO = 'emiliopm1997/Zero_Day_Phishing_Project'
COMMIT = 'f8f9e32f8d5df6fb6460a9c0a1da870fbb51fbb8'  # pinned: the default model learned this file's rows
PATH = 'data/Nazario.csv'
CJK = re.compile('[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]')


def letters(data):
    """Lower-case letters, one per byte."""
    return ''.join(chr(ord('a') + b % 26) for b in data)


def read_csv(base):
    mirror = os.environ.get('MIRROR')
    if mirror:
        gitdir = os.path.join(mirror, REPO.replace('/', '+'), 'repo')
    else:
        gitdir = os.path.join(base, 'src-nazario-csv')
        if not os.path.isdir(gitdir):
            subprocess.run(['git', 'clone', '-q', '--bare', '--filter=blob:none', 'https://github.com/' + REPO, gitdir],
                           check=True)
    data = subprocess.run(['git', '--git-dir', gitdir, 'show', COMMIT + ':' + PATH], capture_output=True, check=True)
    return data.stdout.decode('utf-8', errors='replace')


def addresses(value):
    """An address list, display names encoded (RFC 2047, UTF-8) when not ASCII, addresses as they stand."""
    value = re.sub(r'[\r\n]+', ' ', value).strip()
    if value.isascii():
        return value
    pairs = email.utils.getaddresses([value])
    if not pairs or not all(addr.isascii() for _, addr in pairs):
        return header_value(value)
    return ', '.join(email.utils.formataddr((name, addr), charset='utf-8') if name else addr for name, addr in pairs)


def rfc_date(value):
    value = value.strip()
    try:
        parsed = email.utils.parsedate_to_datetime(value)
        if parsed is not None:
            return value
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in ('%m/%d/%Y %H:%M', '%d-%m-%Y %H:%M', '%Y-%m-%d %H:%M:%S', '%d %b %Y %H:%M:%S %z'):
        try:
            parsed = datetime.strptime(value, fmt)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
            return email.utils.format_datetime(parsed)
        except ValueError:
            pass
    return None


def decoded(value):
    """The text of a header value whose encoded words (RFC 2047) the CSV kept as they were."""
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (ValueError, LookupError, UnicodeError, email.errors.HeaderParseError):
        return value


def header_value(value):
    """One line; encoded again (RFC 2047, UTF-8) when not ASCII."""
    value = re.sub(r'[\r\n]+', ' ', value).strip()
    if value.isascii():
        return value
    return email.header.Header(value, 'utf-8', maxlinelen=10000).encode()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    csv.field_size_limit(1 << 30)
    rows = list(csv.DictReader(read_csv(out).splitlines(keepends=True)))
    for d in ('train', 'train-cjk', 'test', 'test-2021-2022'):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    counts = {}
    for n, row in enumerate(rows):
        key = hashlib.sha1((row['subject'] + '\n' + row['body']).encode('utf-8')).digest()
        side = 'train' if key[-1] % 2 == 0 else 'test'
        made_up = hashlib.sha1(b'%d' % n).digest()
        user = letters(made_up[0:2]) + made_up[2:3 + made_up[2] % 6].hex()
        domain = letters(made_up[8:10]) + made_up[10:12 + made_up[10] % 4].hex() + ('.com', '.org', '.net')[made_up[15] % 3]

        def anonymise(text):
            text = re.sub(r'jose@monkey\.org', user + '@' + domain, text, flags=re.I)
            text = re.sub(r'monkey\.org', domain, text, flags=re.I)
            text = re.sub(r'(?<![A-Za-z])[Mm]onkey(?![a-z])', domain.rsplit('.', 1)[0], text)
            return re.sub(r'(?<![A-Za-z])[Jj]ose(?![a-z])', user, text)

        date = rfc_date(row['date'])
        lines = ['From: ' + addresses(anonymise(decoded(row['sender']))), 'To: ' + addresses(anonymise(decoded(row['receiver'])))]
        if date:
            lines.append('Date: ' + date)
        lines += ['Subject: ' + header_value(anonymise(decoded(row['subject']))), 'MIME-Version: 1.0',
                  'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '',
                  anonymise(row['body']).replace('\r\n', '\n')]
        data = ('\n'.join(lines) + '\n').encode('utf-8')
        name = 'nazario-%04d.eml' % n
        dirs = [side]
        if side == 'train' and len(CJK.findall(row['subject'] + row['body'])) >= 5:
            dirs = ['train-cjk']
        if side == 'test' and re.search(r'\b202[12]\b', row['date']):
            dirs.append('test-2021-2022')
        for d in dirs:
            with open(os.path.join(out, d, name), 'wb') as f:
                f.write(data)
            counts[d] = counts.get(d, 0) + 1
    print(' '.join('%s=%d' % kv for kv in sorted(counts.items())))


if __name__ == '__main__':
    main()

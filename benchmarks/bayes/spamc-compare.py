#!/usr/bin/env python3
"""Scores a stratified random sample of the messages in a CrossValidation predictions file with SpamAssassin
(spamd started here on a free loopback port with local rules only, stopped at the end) and prints both filters'
spam caught / ham flagged on exactly the same messages.

usage: spamc-compare.py PREDICTIONS.tsv [PER_CLASS] [BAYES_THRESHOLD]
"""
import os, random, shutil, signal, socket, subprocess, sys, tempfile, time

pred, per_class = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100
threshold = float(sys.argv[3]) if len(sys.argv) > 3 else 0.7  # BayesScanner.DEFAULT_THRESHOLD
rows = [l.rstrip('\n').split('\t') for l in open(pred, encoding='utf-8')][1:]
rng = random.Random(1)
sample = []
for label in ('spam', 'ham'):
    group = [r for r in rows if r[1] == label]
    sample += rng.sample(group, min(per_class, len(group)))

s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()
work = tempfile.mkdtemp(prefix='spamc-compare.')
os.chmod(work, 0o755)
cmd = ['spamd', '--ipv4-only', f'--listen=127.0.0.1:{port}', '--local', '--nouser-config',
       '--configpath=/usr/share/spamassassin', '--max-children=2', '--min-children=1',
       f'--pidfile={work}/spamd.pid', f'--syslog={work}/spamd.log', f'--helper-home-dir={work}',
       '--cf=use_bayes 0', '--cf=bayes_auto_learn 0', '--cf=skip_rbl_checks 1', '--cf=use_razor2 0',
       '--cf=use_pyzor 0']
if os.geteuid() == 0:
    cmd.append('--username=debian-spamd')
spamd = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
try:
    deadline = time.time() + 120
    while subprocess.run(['spamc', '-d', '127.0.0.1', '-p', str(port), '-K'], capture_output=True).returncode != 0:
        if time.time() > deadline or spamd.poll() is not None:
            sys.exit('spamd did not start; see ' + work + '/spamd.log')
        time.sleep(1)
    results = {'sa': {'spam': [0, 0], 'ham': [0, 0]}, 'bayes': {'spam': [0, 0], 'ham': [0, 0]}}
    start = time.time()
    for r in sample:
        path = r[0].split('#')[0]
        with open(path, 'rb') as f:
            out = subprocess.run(['spamc', '-x', '-c', '-d', '127.0.0.1', '-p', str(port), '-t', '120'],
                                 stdin=f, capture_output=True, text=True)
        if out.returncode not in (0, 1):
            sys.exit('spamc failed on ' + path + ': ' + out.stderr)
        score, sa_threshold = (float(x) for x in out.stdout.strip().split('/'))
        label = r[1]
        results['sa'][label][1] += 1
        results['sa'][label][0] += score >= sa_threshold
        results['bayes'][label][1] += 1
        results['bayes'][label][0] += float(r[3]) >= threshold
    elapsed = time.time() - start
    for name, res in results.items():
        sp, hm = res['spam'], res['ham']
        print(f'{name:6s}: spam caught {sp[0]}/{sp[1]} ({100.0*sp[0]/sp[1]:.1f}%), '
              f'ham flagged {hm[0]}/{hm[1]} ({100.0*hm[0]/hm[1]:.1f}%)')
    print(f'spamc: {len(sample)} messages in {elapsed:.0f} s ({len(sample)/elapsed:.1f} msgs/s, sequential)')
finally:
    os.killpg(spamd.pid, signal.SIGTERM)
    spamd.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)

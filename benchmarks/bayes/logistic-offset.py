#!/usr/bin/env python3
"""The --logistic OFFSET that puts a threshold where a model flags a chosen number of ham.

Usage: benchmarks/bayes/logistic-offset.py PREDICTIONS K SET... [--threshold T]

PREDICTIONS is the file CrossSource --predictions writes (set, label, kind, score, file; tab-separated) for a model
trained with --logistic 0. The ham of the named SETs that were classified (kind ORDINARY: bounces and automatic
replies are not) are pooled and sorted by score; the offset printed moves the midpoint between the K-th and the
(K+1)-th highest score to T (default 0.8), in log-odds: a model trained again with --logistic OFFSET then flags the
K highest of that ham at T (the logistic part's clip can move a score that sits at the clip; check with CrossSource).
The default model's offset (benchmarks/README.md, sessions 12-13) is this with K = 27 and the pooled clean ham sets.
"""
import math
import sys


def logit(p):
    return math.log(p / (1 - p))


def main(argv):
    threshold = 0.8
    if '--threshold' in argv:
        i = argv.index('--threshold')
        threshold = float(argv[i + 1])
        del argv[i:i + 2]
    if len(argv) < 3:
        sys.exit(__doc__.split('\n\n')[1])
    path, k, sets = argv[0], int(argv[1]), set(argv[2:])
    scores = []
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            fields = line.rstrip('\n').split('\t')
            if len(fields) != 5:
                sys.exit(f'{path}:{n}: expected 5 tab-separated fields, found {len(fields)}')
            name, label, kind, score = fields[0], fields[1], fields[2], float(fields[3])
            if name in sets and label == 'ham' and kind == 'ORDINARY':
                scores.append(score)
    if not 0 < threshold < 1:
        sys.exit('--threshold must be between 0 and 1')
    if not 0 < k < len(scores):
        sys.exit(f'K must be between 1 and {len(scores) - 1} (ham classified in those sets: {len(scores)})')
    scores.sort(reverse=True)
    mid = (scores[k - 1] + scores[k]) / 2
    if not 0 < mid < 1:
        sys.exit(f'the {k}th and {k + 1}th scores ({scores[k - 1]}, {scores[k]}) leave no room for an offset')
    print(f'{len(scores)} ham; {k}th {scores[k - 1]:.6f}, {k + 1}th {scores[k]:.6f}; '
          f'offset {logit(mid) - logit(threshold):.3f}')


if __name__ == '__main__':
    main(sys.argv[1:])

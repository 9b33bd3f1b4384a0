#!/bin/sh
# Fetches the corpora of the cross-source evaluation (benchmarks/README.md, "Bayes classifier: default model and
# cross-source evaluation") into DIR (default: a new temporary directory) and prints DIR. Nothing is written into the
# repository. Needs git, network access to github.com and npm (or the src-* clones already in DIR); run from the repository root after
# `mvn -B -q -DskipTests package -pl benchmarks,hygiene-examples -am` (for the generated mail).
#   DIR/sa/spam, DIR/sa/ham          SpamAssassin public corpus (fetch-spamassassin-corpus.sh)
#   DIR/nazario/*.mbox               Jose Nazario's phishing corpus, three mbox files
#   DIR/enron/enronN/{ham,spam}      Enron-Spam as distributed (Subject line, then the body)
#   DIR/enron-eml/enronN/{ham,spam}  the same with a blank line after the Subject line
#   DIR/bounces                      bounce parsers' test messages (four plain spam messages left out)
#   DIR/bounces2                     bounces, auto-replies and feedback reports from other test suites, kept apart as a
#                                    held-out set (flanker, mail gem, MailBounceDetector, froide; EmailEngine's
#                                    bounces until session 52, see below)
#   DIR/bounces3                     bounces and out-of-office replies of two more suites (bounce-email gem, Alaveteli),
#                                    less one Latvian newsletter that is neither
#   DIR/bounces4                     bounces, notices and their false-positive tests from four more suites (SpamAssassin's
#                                    rule tests, PHPMailer-BMH, PHP-Bounce-Handler, php-mime-mail-parser), held out
#                                    in session 24
#   DIR/bounces-exim                 Exim's own bounces, delay warnings and auto-replies from its test suite (messages
#                                    of test/mail whose envelope sender is MAILER-DAEMON and that Exim made itself)
#   DIR/phish0607                    Nazario's phishing2/phishing3 (2005-07) as text extracts (Subject line, then
#                                    the text), made into mail like enron-eml (the repository's phish/ folder)
#   DIR/gen-train, DIR/gen-test      hygiene corpus --count 600, seeds 3 and 7
#   DIR/trec07/{spam,ham}            the first 37,710 of the 75,419 messages of the TREC 2007 public spam corpus
#                                    (April-May 2007, full headers) as one GitHub repository's first commit holds them
#                                    (its later commits removed them); labels from its full/index. Test only.
set -eu
root=$(pwd)
dir=${1:-$(mktemp -d "${TMPDIR:-/tmp}/xs-corpora.XXXXXX")}
mkdir -p "$dir"
"$root/benchmarks/bayes/fetch-spamassassin-corpus.sh" "$dir/sa" >/dev/null
cd "$dir"
[ -d src-phish ] || { git clone -q https://github.com/shaeferd/Phishing-Detection src-phish &&
    git -C src-phish checkout -q 47ddb8e9ec1bac76b5db25efa1add5b81657149d; }   # learned: pinned
[ -d src-bp ] || git clone -q --depth 1 https://github.com/rjbs/Mail-DeliveryStatus-BounceParser src-bp
[ -d src-nbh ] || git clone -q --depth 1 https://github.com/prasad83/node-bounce-handler src-nbh
[ -d src-trec ] || git clone -q https://github.com/JM-Rodrigo/Datos_IA src-trec
[ -d src-flufl ] || git clone -q --depth 1 https://github.com/wRAR/flufl.bounce src-flufl
[ -d src-flanker ] || git clone -q --depth 1 --no-checkout https://github.com/mailgun/flanker src-flanker
[ -d src-mail ] || git clone -q --depth 1 https://github.com/mikel/mail src-mail
[ -d src-rgl ] || git clone -q --depth 1 https://github.com/rgl/MailBounceDetector src-rgl
[ -d src-froide ] || git clone -q --depth 1 https://github.com/okfde/froide src-froide
[ -d src-wc ] || git clone -q --depth 1 https://github.com/whatcould/bounce-email src-wc
[ -d src-alaveteli ] || git clone -q --depth 1 --no-checkout https://github.com/mysociety/alaveteli src-alaveteli
[ -d src-exim ] || git clone -q --depth 1 https://github.com/Exim/exim src-exim
mkdir -p nazario
cp src-phish/phishing0.mbox src-phish/phishing1.mbox src-phish/20051114.mbox nazario/
for e in enron3 enron4 enron5 enron6; do
    for c in ham spam; do
        mkdir -p "enron/$e/$c" "enron-eml/$e/$c"
        for f in src-phish/$e/$c/*; do
            b=$(basename "$f")
            cp "$f" "enron/$e/$c/$b"
            awk 'NR==1 { sub(/\r$/, ""); print $0 "\r"; print "\r"; next } { print }' "$f" > "enron-eml/$e/$c/$b"
        done
    done
done
mkdir -p phish0607
for p in phishing2 phishing3; do
    for f in src-phish/phish/$p/*.txt; do
        awk 'NR==1 { sub(/\r$/, ""); print $0 "\r"; print "\r"; next } { print }' "$f" > "phish0607/$p-$(basename "$f")"
    done
done
rm -rf bounces && mkdir bounces
for f in src-bp/t/corpus/* src-nbh/eml/* src-flufl/flufl/bounce/tests/data/*; do
    case $(basename "$f") in
        spam-lots-of-bogus-addresses.msg|spam-with-image.msg|spam-with-badly-parsed-email.msg|spam-bogus-email-in-report.msg|__init__.py|unsubscribe.txt) ;;
        *) cp "$f" "bounces/$(echo "$f" | tr / _)" ;;
    esac
done
rm -rf bounces2 && mkdir bounces2
for f in $(git -C src-flanker ls-tree --name-only HEAD tests/fixtures/messages/bounce/); do
    git -C src-flanker show "HEAD:$f" > "bounces2/flanker-$(basename "$f")"   # (a large unrelated fixture breaks checkout)
done
cp src-mail/spec/fixtures/emails/multipart_report_emails/*.eml bounces2/
for f in src-rgl/MailBounceDetector.Tests/Fixtures/bounce_*.eml; do cp "$f" "bounces2/rgl-$(basename "$f")"; done
for f in src-froide/froide/bounce/testdata/*.txt; do cp "$f" "bounces2/froide-$(basename "$f")"; done
# Nothing of EmailEngine (postalsys/emailengine): its autoreply/ and complaints/ fixtures are copies of sisimai's
# set-of-emails (their LICENSE files say so), one of the project's reserved judges (found in session 26; used until
# then), and its bounces/ fixtures, used until session 52, sit beside them in the same test folder with no licence of
# their own to say where they came from; every fixture of that suite is now treated as a judge's copy and left out.
rm -rf bounces3 && mkdir bounces3
for f in src-wc/test/bounces/*.txt; do
    [ "$(basename "$f")" = tt_1234241664.txt ] || cp "$f" "bounces3/wc-$(basename "$f")"
done
for f in $(git -C src-alaveteli ls-tree --name-only HEAD spec/fixtures/files/ | grep -E 'track-response-|autoresponse-header'); do
    git -C src-alaveteli show "HEAD:$f" > "bounces3/alaveteli-$(basename "$f")"
done
rm -rf bounces-exim && mkdir bounces-exim
python3 - src-exim/test/mail bounces-exim <<'PY'
import os, re, sys
src, out = sys.argv[1], sys.argv[2]
for f in sorted(os.listdir(src)):
    p = os.path.join(src, f)
    if not os.path.isfile(p):
        continue
    for i, m in enumerate(re.split(rb'(?m)^(?=From \S+ [A-Z][a-z]{2} [A-Z][a-z]{2} )', open(p, 'rb').read())):
        if not m.startswith(b'From MAILER-DAEMON '):
            continue
        body = m.split(b'\n', 1)[1]
        if b'Received: from EXIMUSER' in b'\n'.join(body.split(b'\n')[:5]):   # made by Exim itself
            open(os.path.join(out, '%s-%d.eml' % (f, i)), 'wb').write(body)
PY
# bounces4 (session 24, held out): SpamAssassin's BOUNCE_MESSAGE/VBOUNCE_MESSAGE rule tests (bounces, virus
# notices, a challenge-response, a read receipt, and the false-positive tests: digests, Bugzilla, an OTRS notice, one
# 419 spam), PHPMailer-BMH's fixtures of three other parsers (its bouncehammer folder left out: sisimai's
# predecessor; its copies of sets used above left out), PHP-Bounce-Handler's two files that node-bounce-handler lacks,
# php-mime-mail-parser's two bounces.
[ -d src-sa ] || git clone -q --depth 1 --no-checkout https://github.com/apache/spamassassin src-sa
[ -d src-bmh ] || git clone -q --depth 1 https://github.com/voku/PHPMailer-BMH src-bmh
[ -d src-pbh ] || git clone -q --depth 1 https://github.com/cfortune/PHP-Bounce-Handler src-pbh
[ -d src-pmmp ] || git clone -q --depth 1 https://github.com/php-mime-mail-parser/php-mime-mail-parser src-pmmp
rm -rf bounces4 && mkdir bounces4
for f in $(git -C src-sa ls-tree -r --name-only HEAD t.rules/BOUNCE_MESSAGE t.rules/VBOUNCE_MESSAGE | grep -v '\.cf$'); do
    git -C src-sa show "HEAD:$f" > "bounces4/sa-$(basename "$(dirname "$f")")-$(basename "$f").eml"
done
for d in instaclick node-baunsu tmail_bouncer; do
    for f in src-bmh/tests/fixtures/$d/*; do cp "$f" "bounces4/bmh-$d-$(basename "$f")"; done
done
cp src-pbh/eml/61.eml bounces4/pbh-61.eml && cp src-pbh/eml/62.eml bounces4/pbh-62.eml
cp src-pmmp/tests/mails/failure.eml bounces4/pmmp-failure.eml && cp src-pmmp/tests/mails/issue212 bounces4/pmmp-issue212.eml
if [ ! -d trec07 ]; then
    mkdir -p trec07/spam trec07/ham
    git -C src-trec archive 4f6d505f581c274fce2705274181bcfc4e74c0e2 trec07p | tar x -C trec07
    git -C src-trec show 4f6d505f581c274fce2705274181bcfc4e74c0e2:trec07p/full/index | while read -r l p; do
        f="$PWD/trec07/trec07p/data/${p##*/}"
        [ -f "$f" ] && ln -s "$f" "trec07/$l/${p##*/}"
    done
fi
# TREC 2007 split for the default model (session 5): even-numbered messages (inmail.N, N even) may be learned, the
# odd-numbered ones are the test half; trec-sub = every 4th spam and every 2nd ham of the even half, by N.
if [ ! -d trec-sub ]; then
    for c in spam ham; do
        mkdir -p trec-even/$c trec-odd/$c trec-sub/$c
        i=0
        for b in $(ls trec07/$c | sort -t. -k2 -n); do
            n=${b#inmail.}
            if [ $((n % 2)) -eq 0 ]; then
                ln -s "$(readlink -f "trec07/$c/$b")" "trec-even/$c/$b"
                step=2; [ $c = spam ] && step=4
                [ $((i % step)) -eq 0 ] && ln -s "$(readlink -f "trec07/$c/$b")" "trec-sub/$c/$b"
                i=$((i + 1))
            else
                ln -s "$(readlink -f "trec07/$c/$b")" "trec-odd/$c/$b"
            fi
        done
    done
fi
H="java -cp $root/hygiene-examples/target/hygiene.jar org.mailhygiene.cli.Main"
[ -d gen-train ] || $H corpus --count 600 --seed 3 gen-train >/dev/null
[ -d gen-test ] || $H corpus --count 600 --seed 7 gen-test >/dev/null
echo "$dir"

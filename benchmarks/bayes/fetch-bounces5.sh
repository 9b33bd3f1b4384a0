#!/bin/sh
# Fetches bounces5 (session 26, held out): 69 bounces, delay notices, read receipts, feedback and DMARC failure
# reports, DMARC aggregate and SMTP TLS reports and automatic replies from the test data of 21 repositories not used
# for the other bounce sets (osandum/bounce-parser, Stalwart, mox, parsedmarc, Discourse, Mailman 2 for Python 3,
# MimeKit, CPython's test data, chasquid, Chatwoot, RT, Postal, mailparser, php-imap, jpmobile, mail-parser,
# eml_parser, CiviCRM, Zammad, Apache James, Mailpile), gathered by a helper; none is a copy of sisimai's
# set-of-emails (a judge): repositories crediting it were left out. Used only to measure; the messages stay their
# authors' (licences in benchmarks/README.md, session 26). Writes DIR/bounces5 (default DIR /tmp/bounces5-work) and
# checks every file's SHA-256. Needs git and network access to github.com (blobless clones: only the blobs read are
# fetched).
# Usage: benchmarks/bayes/fetch-bounces5.sh [DIR]
set -eu
W=${1:-/tmp/bounces5-work}
mkdir -p "$W/repos" "$W/bounces5"
W=$(cd "$W" && pwd)
out="$W/bounces5"
cd "$W/repos"
get() { # OWNER/NAME: a blobless clone, so that any commit can be read (MIRROR=dir: from dir/OWNER+NAME/repo)
    d=$(echo "$1" | tr / +)
    if [ -d "$d" ]; then
        return
    elif [ -n "${MIRROR:-}" ] && [ -d "$MIRROR/$d/repo" ]; then
        git clone -q --no-checkout "$MIRROR/$d/repo" "$d"
    else
        git clone -q --filter=blob:none --no-checkout "https://github.com/$1" "$d"
    fi
}
put() { # OWNER/NAME COMMIT PATH DEST
    d=$(echo "$1" | tr / +)
    git -C "$d" show "$2:$3" > "$4"
}
get osandum/bounce-parser
put osandum/bounce-parser a1df46c615c98c46644e1c4569f2b106f853a1c6 src/test/resources/bad-address-sample.eml "$out/osandum-bad-address-sample.eml"
put osandum/bounce-parser a1df46c615c98c46644e1c4569f2b106f853a1c6 src/test/resources/dovecot-mdn-sample.eml "$out/osandum-dovecot-mdn-sample.eml"
put osandum/bounce-parser a1df46c615c98c46644e1c4569f2b106f853a1c6 src/test/resources/exim-failure-sample.eml "$out/osandum-exim-failure-sample.eml"
put osandum/bounce-parser a1df46c615c98c46644e1c4569f2b106f853a1c6 src/test/resources/forwarded-policy-failure-sample.eml "$out/osandum-forwarded-policy-failure-sample.eml"
put osandum/bounce-parser a1df46c615c98c46644e1c4569f2b106f853a1c6 src/test/resources/gmail-delayed-sample.eml "$out/osandum-gmail-delayed-sample.eml"
put osandum/bounce-parser a1df46c615c98c46644e1c4569f2b106f853a1c6 src/test/resources/kundenserver_de.eml "$out/osandum-kundenserver_de.eml"
put osandum/bounce-parser a1df46c615c98c46644e1c4569f2b106f853a1c6 src/test/resources/lmtp-sample.eml "$out/osandum-lmtp-sample.eml"
put osandum/bounce-parser a1df46c615c98c46644e1c4569f2b106f853a1c6 src/test/resources/qmail-failure-sample.eml "$out/osandum-qmail-failure-sample.eml"
put osandum/bounce-parser a1df46c615c98c46644e1c4569f2b106f853a1c6 src/test/resources/quota-exceeded-sample.eml "$out/osandum-quota-exceeded-sample.eml"
put osandum/bounce-parser a1df46c615c98c46644e1c4569f2b106f853a1c6 src/test/resources/sample-dsn.eml "$out/osandum-sample-dsn.eml"
put osandum/bounce-parser a1df46c615c98c46644e1c4569f2b106f853a1c6 src/test/resources/skylinemail_dk.eml "$out/osandum-skylinemail_dk.eml"
put osandum/bounce-parser a1df46c615c98c46644e1c4569f2b106f853a1c6 src/test/resources/surftown-failure-sample.eml "$out/osandum-surftown-failure-sample.eml"
put osandum/bounce-parser a1df46c615c98c46644e1c4569f2b106f853a1c6 src/test/resources/t-online-quota-sample.eml "$out/osandum-t-online-quota-sample.eml"
get stalwartlabs/stalwart
put stalwartlabs/stalwart d72608f3e2d530c6560aaf2c7c290afd72671b82 tests/resources/smtp/dsn/failure.eml "$out/stalwart-failure.eml"
put stalwartlabs/stalwart d72608f3e2d530c6560aaf2c7c290afd72671b82 tests/resources/smtp/reports/arf3.eml "$out/stalwart-arf3.eml"
put stalwartlabs/stalwart d72608f3e2d530c6560aaf2c7c290afd72671b82 tests/resources/smtp/reports/arf4.eml "$out/stalwart-arf4.eml"
put stalwartlabs/stalwart d72608f3e2d530c6560aaf2c7c290afd72671b82 tests/resources/smtp/reports/arf5.eml "$out/stalwart-arf5.eml"
put stalwartlabs/stalwart d72608f3e2d530c6560aaf2c7c290afd72671b82 tests/resources/smtp/reports/dmarc1.eml "$out/stalwart-dmarc1.eml"
put stalwartlabs/stalwart d72608f3e2d530c6560aaf2c7c290afd72671b82 tests/resources/smtp/reports/dmarc2.eml "$out/stalwart-dmarc2.eml"
put stalwartlabs/stalwart d72608f3e2d530c6560aaf2c7c290afd72671b82 tests/resources/smtp/reports/dmarc3.eml "$out/stalwart-dmarc3.eml"
put stalwartlabs/stalwart d72608f3e2d530c6560aaf2c7c290afd72671b82 tests/resources/smtp/reports/dmarc4.eml "$out/stalwart-dmarc4.eml"
put stalwartlabs/stalwart d72608f3e2d530c6560aaf2c7c290afd72671b82 tests/resources/smtp/reports/dmarc5.eml "$out/stalwart-dmarc5.eml"
put stalwartlabs/stalwart d72608f3e2d530c6560aaf2c7c290afd72671b82 tests/resources/smtp/reports/tls1.eml "$out/stalwart-tls1.eml"
put stalwartlabs/stalwart d72608f3e2d530c6560aaf2c7c290afd72671b82 tests/resources/smtp/reports/tls2.eml "$out/stalwart-tls2.eml"
get mjl-/mox
put mjl-/mox 1c9587665b321199312e11b6a47a0480a9e2750f testdata/dmarc-reports/google.eml "$out/mox-google.eml"
put mjl-/mox 1c9587665b321199312e11b6a47a0480a9e2750f testdata/dmarc-reports/mailru.eml "$out/mox-mailru.eml"
put mjl-/mox 1c9587665b321199312e11b6a47a0480a9e2750f testdata/dmarc-reports/outlook.eml "$out/mox-outlook.eml"
put mjl-/mox 1c9587665b321199312e11b6a47a0480a9e2750f testdata/dmarc-reports/xs4all.eml "$out/mox-xs4all.eml"
put mjl-/mox 1c9587665b321199312e11b6a47a0480a9e2750f testdata/dmarc-reports/yahoo.eml "$out/mox-yahoo.eml"
put mjl-/mox 1c9587665b321199312e11b6a47a0480a9e2750f testdata/tlsreports/example.eml "$out/mox-example.eml"
put mjl-/mox 1c9587665b321199312e11b6a47a0480a9e2750f testdata/tlsreports/microsoft.eml "$out/mox-microsoft.eml"
put mjl-/mox 1c9587665b321199312e11b6a47a0480a9e2750f testdata/message/message-rfc822-multipart2.eml "$out/mox-message-rfc822-multipart2.eml"
get jstedfast/MimeKit
put jstedfast/MimeKit cf6d38dd0a1a26b5145c10b35e971efc133e1fb3 UnitTests/TestData/messages/bounce.txt "$out/mimekit-bounce.txt.eml"
put jstedfast/MimeKit cf6d38dd0a1a26b5145c10b35e971efc133e1fb3 UnitTests/TestData/messages/delivery-status.txt "$out/mimekit-delivery-status.txt.eml"
put jstedfast/MimeKit cf6d38dd0a1a26b5145c10b35e971efc133e1fb3 UnitTests/TestData/messages/delivery-status2.txt "$out/mimekit-delivery-status2.txt.eml"
get RustPython/RustPython
put RustPython/RustPython cc1e55e3e43f14a673901ea78ccb426ecb6c3bbb Lib/test/test_email/data/msg_16.txt "$out/cpython-msg_16.txt.eml"
put RustPython/RustPython cc1e55e3e43f14a673901ea78ccb426ecb6c3bbb Lib/test/test_email/data/msg_25.txt "$out/cpython-msg_25.txt.eml"
put RustPython/RustPython cc1e55e3e43f14a673901ea78ccb426ecb6c3bbb Lib/test/test_email/data/msg_43.txt "$out/cpython-msg_43.txt.eml"
get bestpractical/rt
put bestpractical/rt 72106ba9935f3a2bab3d55572066cbfbbdc7f9ab t/data/emails/multipart-report "$out/rt-multipart-report.eml"
get postalserver/postal
put postalserver/postal 8ef89606bc34146fffba77a604dd824e6b1cdcc2 resource/postfix-bounce.msg "$out/postal-postfix-bounce.msg.eml"
get nodemailer/mailparser
put nodemailer/mailparser bb1881eb35c0d406c68c8613443827ccbad00065 test/fixtures/delivery-status.eml "$out/mailparser-delivery-status.eml"
get Webklex/php-imap
put Webklex/php-imap 5656386a3597dacf93f8887d2016ed3cea2adbb7 tests/messages/example_bounce.eml "$out/webklex-example_bounce.eml"
get mailpile/Mailpile
put mailpile/Mailpile 741e610f3e765f03bd0c452c92c6758280e7f99f mailpile/tests/data/Maildir/cur/mailpile-1400069992.mbx "$out/mailpile-mailpile-1400069992.mbx.eml"
get jpmobile/jpmobile
put jpmobile/jpmobile 233e57a8c4f44d01d20e48dc9d57825fc883051e test/rails/overrides/spec/fixtures/files/mobile_mailer/bounced-jp.eml "$out/jpmobile-bounced-jp.eml"
get apache/james-project
put apache/james-project 20bf8083e39be4a750f606e576a162087bb3f18a server/protocols/jmap-rfc-8621-integration-tests/jmap-rfc-8621-integration-tests-common/src/main/resources/eml/mdn_complex.eml "$out/james-mdn_complex.eml"
get jaredmauch/mailman2-python3
put jaredmauch/mailman2-python3 b0de82ecac10b77b38e57ea472d18c6345ffd8c2 tests/bounces/dsn_18.txt "$out/mailman2-dsn_18.txt.eml"
put jaredmauch/mailman2-python3 b0de82ecac10b77b38e57ea472d18c6345ffd8c2 tests/bounces/simple_41.txt "$out/mailman2-simple_41.txt.eml"
put jaredmauch/mailman2-python3 b0de82ecac10b77b38e57ea472d18c6345ffd8c2 tests/bounces/simple_44.txt "$out/mailman2-simple_44.txt.eml"
put jaredmauch/mailman2-python3 b0de82ecac10b77b38e57ea472d18c6345ffd8c2 tests/bounces/yahoo_12.txt "$out/mailman2-yahoo_12.txt.eml"
get SpamScope/mail-parser
put SpamScope/mail-parser 01c177fecddd9db1def23ba509ab31b12ab4fbc5 tests/mails/mail_malformed_2 "$out/spamscope-mail_malformed_2.eml"
get albertito/chasquid
put albertito/chasquid ca2538b9745a448170dbd078c65b97c8821c33f9 test/t-05-null_address/expected_dsr "$out/chasquid-expected_dsr.eml"
put albertito/chasquid ca2538b9745a448170dbd078c65b97c8821c33f9 test/t-16-spf/expected_dsn "$out/chasquid-expected_dsn.eml"
get GOVCERT-LU/eml_parser
put GOVCERT-LU/eml_parser 5b8060a7efadd2e0324bc026c350cac129269635 samples/sample_fail_github_issue_38.eml "$out/emlparser-sample_fail_github_issue_38.eml"
get domainaware/parsedmarc
put domainaware/parsedmarc 6358c364018af0815b59087eef99ff914bb6fa51 'samples/aggregate/Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml' "$out/parsedmarc-Report_domain-_borschow.com_Submitter-_google.com_Report-ID-_949348866075514174.eml"
put domainaware/parsedmarc 6358c364018af0815b59087eef99ff914bb6fa51 samples/aggregate/mimecast-weird-gzip.eml "$out/parsedmarc-mimecast-weird-gzip.eml"
put domainaware/parsedmarc 6358c364018af0815b59087eef99ff914bb6fa51 samples/aggregate/twilight.eml "$out/parsedmarc-twilight.eml"
put domainaware/parsedmarc 6358c364018af0815b59087eef99ff914bb6fa51 'samples/failure/DMARC Failure Report for domain.de (mail-from=sharepoint@domain.de, ip=10.10.10.10).eml' "$out/parsedmarc-DMARC_Failure_Report_for_domain.de_mail-from_sharepoint_domain.de_ip_10.10.10.10_.eml"
put domainaware/parsedmarc 6358c364018af0815b59087eef99ff914bb6fa51 'samples/failure/[Netease DMARC Failure Report] Rent Reminder.eml' "$out/parsedmarc-_Netease_DMARC_Failure_Report_Rent_Reminder.eml"
put domainaware/parsedmarc 6358c364018af0815b59087eef99ff914bb6fa51 samples/failure/dmarc_ruf_report_linkedin.eml "$out/parsedmarc-dmarc_ruf_report_linkedin.eml"
put domainaware/parsedmarc 6358c364018af0815b59087eef99ff914bb6fa51 samples/failure/exim_plain_text_only_no_arf_part.eml "$out/parsedmarc-exim_plain_text_only_no_arf_part.eml"
put domainaware/parsedmarc 6358c364018af0815b59087eef99ff914bb6fa51 samples/smtp_tls/google.com_smtp_tls_report.eml "$out/parsedmarc-google.com_smtp_tls_report.eml"
get discourse/discourse
put discourse/discourse 2445a8ebbd8c61b728461d6503a338d039bccb5d spec/fixtures/emails/bounced_email.eml "$out/discourse-bounced_email.eml"
put discourse/discourse 5734c7f3f36a4f1afe3289042b20e955cd745994 spec/fixtures/emails/bounced_email_2.eml "$out/discourse-bounced_email_2.eml"
put discourse/discourse 4aa037a11a96343724f9b8ba3ec813491c86b03b spec/fixtures/emails/bounced_email_multiple_status_codes.eml "$out/discourse-bounced_email_multiple_status_codes.eml"
put discourse/discourse ead65a42d447f3e3c26f00e350eedda27c7a13e6 spec/fixtures/emails/auto_reply.eml "$out/discourse-auto_reply.eml"
get chatwoot/chatwoot
put chatwoot/chatwoot 442e7aef7016979377eaad8808e03b55cb0a6c75 spec/fixtures/files/bounced_gmail.eml "$out/chatwoot-bounced_gmail.eml"
put chatwoot/chatwoot f771df85b196faab4f4db7778f406ed89a369442 spec/fixtures/files/bounced_with_no_from.eml "$out/chatwoot-bounced_with_no_from.eml"
get civicrm/civicrm-core
put civicrm/civicrm-core c8d32f95a025df81f98b6cf6e0416db5e65b4e63 tests/phpunit/CRM/Utils/Mail/data/bounces/bounce_no_verp.txt "$out/civicrm-bounce_no_verp.eml"
get zammad/zammad
put zammad/zammad ed079e358ed4a2c4906f99cb1b68e9766f74a20a test/data/mail/mail033-undelivered-mail-returned-to-sender-notification.box "$out/zammad-mail033-undelivered-mail-returned-to-sender-notification.eml"
cd "$out"
sha256sum -c --quiet <<'SUMS' || echo "fetch-bounces5.sh: the files above differ from the copies measured in session 26" >&2
68101682ed1baf1f7f487454dafb2d0cf96c5701bb4e8bd76f23d7edc24a7331  chasquid-expected_dsn.eml
fed6bc9a04d7863713c423482e3919901444745ba9683789a8d3e610535d8f7e  chasquid-expected_dsr.eml
d7fffc9d38a47f6146adb08fb08f3daa65d9f859ee18984df2ab64b5424da4d4  chatwoot-bounced_gmail.eml
01d1c5942ddf1e0029d738ea95bee060476d41d2f5120e517b76a348b13d05b0  chatwoot-bounced_with_no_from.eml
d383042fb6737f094ee873ab9577c69d61b4e51b9add25ba3e34588542804c39  civicrm-bounce_no_verp.eml
fbb4ae9e31ddd26e43b7c051041bb3d9d6bebd418a858da67268920bc672afb9  cpython-msg_16.txt.eml
b6cbf713954d89eb8389b63343d6b8fd261dc6cb652a0aaf93be5d801ed0b24e  cpython-msg_25.txt.eml
045797ff45987136a2a5712f8f8310710e0944e4b4547bab2dc99933edd1bc9a  cpython-msg_43.txt.eml
95771daeb576b19e0508450220db265cb23f9496d9c2d87ab5c05a384cd6e6e6  discourse-auto_reply.eml
f507279b38f1bfe8f2e9df3ad44e81a6ad000719f0f749aeb83401db0dace615  discourse-bounced_email.eml
dafda2e77dba452a0e80ad4bcb9a9a86d417066f7c7e781fc9a9d330124a16e8  discourse-bounced_email_2.eml
155f1a8103fb518b16331e95cc9dfd8368d99fcb31e37488703eacfb16ca5629  discourse-bounced_email_multiple_status_codes.eml
7c22d0a35677106bad657ed93e92d3dac892daf45afd2245dc596896c1b71506  emlparser-sample_fail_github_issue_38.eml
a83629dfe1144463808632d245e59fbf53d54c4531459751e7024436ba5cf0e3  james-mdn_complex.eml
a0b3258eadab224378b2f126c16adcc690d8b2549d1a243c2ee1e84c7907e18a  jpmobile-bounced-jp.eml
bc163273efda66b5593fad1b160e4d5aa1aaf91c0eb34d46b99b872a47da8351  mailman2-dsn_18.txt.eml
23c976b8f649eae37599a2f796a05916cfb8d0b9da16d9af589a87d07eb4bf36  mailman2-simple_41.txt.eml
9b353983f6f9b9193361bb8b0156e964d86ca606d594ced8a09d449da3e30c2a  mailman2-simple_44.txt.eml
99215841f7964897bbcc9313256f23a5f1ef71c9ea2da3b4d62e6ba8ca2b1fe3  mailman2-yahoo_12.txt.eml
d36a8b754852a27c77c36ef9e529b3a8458449b13964f8a8a3a4d6c9fcef9264  mailparser-delivery-status.eml
c5214e2658f082e9ac868542504770d2c2b3903aa9c94ce4ddbaf7302987d866  mailpile-mailpile-1400069992.mbx.eml
df37d751bff5586ee6005ed117a9d59c5129a242e246550795f2d3cb67365ffe  mimekit-bounce.txt.eml
ce71d8281464826c8f307381e58eb89be58cd3c9c9a237ee6fa9e409cf3cb455  mimekit-delivery-status.txt.eml
018d16faa12956157569a1449d70e8ca74c34a550fce50159630d4f0f6a9ad48  mimekit-delivery-status2.txt.eml
903979ec1d294f64b1609b32e696fee0f71b9d00cbfae2b6b9a12c41aa5c826c  mox-example.eml
b3055991d1a4a814f686db5449709fe0ad8a9921d5ce0d067dbc67644c138c80  mox-google.eml
df71d165848314af9f35411b7cda827d6c5421026d309b57d00f254791a3d877  mox-mailru.eml
4551b227de7d5604322bf3b36526326641f9fc206bfd0d31cb6821225367eef8  mox-message-rfc822-multipart2.eml
0419890106e721fb3141f418d3aefd329c59dcbb59ea04cc66f14fd8340f703b  mox-microsoft.eml
28bde825f3b9a2c37103bf5d0123a4d80364c7d41fb36faa586401b5c5a1647f  mox-outlook.eml
de3907ea69380f59d366b408e9d08bdb923a392066057a8af82a1202961fa1fc  mox-xs4all.eml
8aecf9382f27f5aae88ef985ff4444c5b2a9456305bf056c9d06f00315832577  mox-yahoo.eml
e36541898933bba5ec49c3ae3953cd43aebb576dd6cd38f1415fce89f572c6f9  osandum-bad-address-sample.eml
92c5de4d1269c2da423a2b78e23b27dcfcab2a9cdbd116bd310ef0c4d7773506  osandum-dovecot-mdn-sample.eml
613dc90b9add692178dfab51e6c1e3911b8c2995b9c70bb4e633dc3d2a384ccc  osandum-exim-failure-sample.eml
80f891d8b2a824dc8cb3a628253dde907b17020ba13c226e999caffc72252ce6  osandum-forwarded-policy-failure-sample.eml
8b360a031db2cb9ba278717e13e728ff4db567bf4128e33ce4feac9e993ed7cf  osandum-gmail-delayed-sample.eml
e15c71419843a9b2183cb48df07e8625656c7c90ba1f8451f667f96cf9c20b24  osandum-kundenserver_de.eml
fc9d20db306d92b3f4d418ea1fc61aa7dd25ffa9e42567b4ba81bf6d336def3b  osandum-lmtp-sample.eml
7379256abe0748753c9f8161f37b412b2c6ede76551c9cfab295190c5462086b  osandum-qmail-failure-sample.eml
bca6eba311086e1e2b8a07601e383dde5e37e5acd1aba101e34635cc683cadc3  osandum-quota-exceeded-sample.eml
acd895790f767fb7b4b2e32544f6c9768d84a249097aa07c3876310accb3ed09  osandum-sample-dsn.eml
5109e79bdb3dc968442754972915c3e0c5a6adc6a4d38aeb3c43d1bd9eb54780  osandum-skylinemail_dk.eml
0922befa3aac98de83370fb0adb5312cec4aff06ae4836607f0c41288f7fe5e5  osandum-surftown-failure-sample.eml
7945bdf103a181d837da42053cbb8a24792cad7f124b42c39c9a71aaa5d1c6a9  osandum-t-online-quota-sample.eml
d2483e054ba5e3eb56aefeb83ea821d7c4a41ef192d4d0030b2467036f75305f  parsedmarc-DMARC_Failure_Report_for_domain.de_mail-from_sharepoint_domain.de_ip_10.10.10.10_.eml
2d98dd5bba15d1e086dc4d156c2b5f5158a819a1aa9d46b72334e1b543569ccc  parsedmarc-Report_domain-_borschow.com_Submitter-_google.com_Report-ID-_949348866075514174.eml
632a91394f90ab66d6aaccdb13e50a5a3abbccb548651f73f55002a2abee06e1  parsedmarc-_Netease_DMARC_Failure_Report_Rent_Reminder.eml
ab004bb4a7c22f03d0f1eded16185f4151657f412e9ed62b44d59a1d73f10dc1  parsedmarc-dmarc_ruf_report_linkedin.eml
a0d77faf08b713a182233091f3fd87b67fe21b20c952fe84ccebb71b025ebd43  parsedmarc-exim_plain_text_only_no_arf_part.eml
4232a15b70f3f56267a071010b8f30dcfa99bff33e21a1c6c8c2416f311df6be  parsedmarc-google.com_smtp_tls_report.eml
d6a203df4896c56b6a54bd15453cc36b1be96570056c49312604822cbab25b9a  parsedmarc-mimecast-weird-gzip.eml
e982030c002eeacd256a66e55eb74848e82cc15bb6aedcc745404fa75f5504c7  parsedmarc-twilight.eml
df9a6189c787a2f71d8b75e7cf3c71f73b4cdd6772db120c8fe275003aaab8d9  postal-postfix-bounce.msg.eml
c8cca71b9cd2f727b8a1742853a37ad31c7502af285919935e6d3eba797b841d  rt-multipart-report.eml
f2fcdf6366ade5d846e6e209c6a137d8f976ff0715a6190bfc2847f2b0309879  spamscope-mail_malformed_2.eml
c0370ed2715424b59202eafbc1a5a7ed6604f47a199d8dfdb4055be8645fb311  stalwart-arf3.eml
100331e7b2455ab7536ee46b43c215e4afb1e5c42dc11ba66920a0068c9eca05  stalwart-arf4.eml
701d6cb02eb9297e1cd8e971b5974b36a170ebf0537612e46ad41fe0fa05eb79  stalwart-arf5.eml
043d0d202368ccf2e19feae8bb82bc2f4931f93a50de9052f05b77a7cd27b10d  stalwart-dmarc1.eml
e1b3dc719a2a383c743f7c9bb79d82eb79e99642dbde4ceca347e5565ff2e282  stalwart-dmarc2.eml
81db8791428f5a667e7c2568fe64d5678f4d06b210c2589c859d10bc46df91f4  stalwart-dmarc3.eml
9f129dc5c1c7e28a2ad225b5dbcc3156aa97b71c0869a8ea161cfc302a56c805  stalwart-dmarc4.eml
40cbe59d69ce7ca55e3f961b6c10fe25101b22e8b2999671f9d29c8000824a6e  stalwart-dmarc5.eml
96ae0c00804de84db56f634826af0a9aeba222a470e1cb7b0e3c1d93da85c288  stalwart-failure.eml
e321659867d03d504fc7a7fefce964b45367b2087180c54457621721b95885ed  stalwart-tls1.eml
b3dc77a7c162f4ace34aa0bca90e0dda5c1e2407cb48d4c7c73707e02486057e  stalwart-tls2.eml
c49021739d27347056cf7c2af934afbb9bd19f21989fdabd1febaecbce29c5d4  webklex-example_bounce.eml
9da5eded6acd82189520c2b78f75367b7ce3a8024340e2a3a67a6c5f0bad9ca3  zammad-mail033-undelivered-mail-returned-to-sender-notification.eml
SUMS
echo "$out: $(ls | wc -l) messages"

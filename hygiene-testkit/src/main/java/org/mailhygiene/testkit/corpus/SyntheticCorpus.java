package org.mailhygiene.testkit.corpus;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;

/**
 * Generates labelled spam and ham, Japanese and English, from phrase lists written for this project. Japanese messages
 * are encoded the ways real Japanese mail is: ISO-2022-JP with RFC 2047 subjects (the classic), Shift_JIS, EUC-JP,
 * UTF-8 (quoted-printable or base64, plain or HTML), and raw JIS with no charset declared at all (as old spam tools
 * sent it). Japanese ham is written like newsletters and lab mail, without spaces between words.
 *
 * <p>The same seed always gives the same messages. Messages use CRLF line ends. The corpus is synthetic: it shows that
 * a classifier decodes and tokenizes every encoding, not how it fares on real mail. Not thread-safe (one
 * {@link Random}); use one instance per thread.
 */
public final class SyntheticCorpus {

    /** The encodings Japanese messages are written in, chosen in turn. */
    public enum Encoding {
        /** ISO-2022-JP, 7bit, subject as RFC 2047 B words. */
        ISO_2022_JP,
        /** Shift_JIS, 8bit body, subject as RFC 2047 B words. */
        SHIFT_JIS,
        /** EUC-JP, base64 body. */
        EUC_JP,
        /** UTF-8, quoted-printable body. */
        UTF_8_QP,
        /** UTF-8 HTML, base64 body. */
        UTF_8_HTML,
        /** Raw ISO-2022-JP bytes in subject and body with no charset declared. */
        RAW_JIS
    }

    /** A generated message with its label. */
    public record Sample(boolean spam, String language, Encoding encoding, byte[] bytes) {
        /**
         * Validates the components.
         *
         * @throws NullPointerException if a component is {@code null}
         */
        public Sample {
            Objects.requireNonNull(language, "language");
            Objects.requireNonNull(encoding, "encoding");
            Objects.requireNonNull(bytes, "bytes");
        }
    }

    private static final String[] JA_SPAM_SUBJECTS = {
        "【緊急】あなたに当選のお知らせ", "今すぐ稼げる副業のご案内", "出会いをお探しの方へ特別なご招待", "完全無料で高収入を実現",
        "【重要】未払い料金の確認", "限定キャンペーン本日終了", "人妻との秘密の出会い", "一日五分で月収百万円",
        "ご登録ありがとうございます　特典のご案内", "激安ブランド品セール開催中"
    };
    private static final String[] JA_SPAM_LINES = {
        "今すぐ下記のリンクから無料登録してください。",
        "完全無料で素敵な出会いが待っています。",
        "誰でも簡単に高収入が得られる副業です。",
        "期間限定の特別キャンペーンを実施中です。",
        "当選金のお受け取りには手数料のお振込みが必要です。",
        "今だけ入会金が無料になります。",
        "在宅で一日五分の作業だけで稼げます。",
        "秘密厳守で安心してご利用いただけます。",
        "登録は三十秒で完了します。",
        "このチャンスを逃さないでください！",
        "激安価格でブランド品を販売しています。",
        "未払いの料金があります。至急ご連絡ください。",
        "配信停止をご希望の方はこちらからどうぞ。",
        "人気急上昇中のサイトです。",
        "返金保証付きなのでリスクはありません。"
    };
    private static final String[] JA_HAM_SUBJECTS = {
        "研究室ミーティングの日程について",
        "学内ネットワーク工事のお知らせ",
        "今月のメールマガジン第十二号",
        "セミナー開催のご案内",
        "論文の査読結果について",
        "図書館の休館日のお知らせ",
        "来週の会議資料を送付します",
        "情報処理センターからのお知らせ",
        "学会発表の準備について",
        "メールサーバ移行のお知らせ"
    };
    private static final String[] JA_HAM_LINES = {
        "来週の研究室ミーティングは水曜日の午後三時から行います。", "資料は共有フォルダに置きましたのでご確認ください。",
        "ネットワーク工事のため土曜日の午前中は接続できません。", "ご不明な点がありましたら情報処理センターまでお問い合わせください。",
        "今月号では新しい研究プロジェクトを紹介します。", "セミナーの参加申し込みは今週金曜日までにお願いします。",
        "論文の修正版を添付いたしましたので、ご確認をお願いいたします。", "図書館は年末年始の間休館となります。",
        "学会の発表原稿の締め切りは来月十日です。", "メールサーバの移行作業は夜間に実施する予定です。",
        "移行後もこれまでと同じ設定でご利用いただけます。", "よろしくお願いいたします。",
        "会議室の予約は事務室で受け付けています。", "実験データの整理が終わりましたらご報告します。",
        "講演者の先生には既にご連絡済みです。"
    };
    private static final String[] EN_SPAM_SUBJECTS = {
        "You have WON a free cruise", "Lowest mortgage rates guaranteed", "Cheap meds online no prescription",
        "Make money fast from home", "Your account will be suspended", "Hot singles in your area",
        "Limited offer: replica watches", "Claim your prize now"
    };
    private static final String[] EN_SPAM_LINES = {
        "Click here to claim your free prize today.", "This limited time offer expires at midnight.",
        "Earn thousands of dollars a week working from home.", "No credit check, guaranteed approval.",
        "Order now and get a special discount on all products.", "Remove yourself from this list by clicking here.",
        "Act now, supplies are limited!", "Verify your account details immediately to avoid suspension.",
        "Lose weight fast with our miracle pills.", "100% satisfaction guaranteed or your money back."
    };
    private static final String[] EN_HAM_SUBJECTS = {
        "Minutes of the group meeting", "Draft of the workshop paper", "Server maintenance on Saturday",
        "Re: question about the lab schedule", "Reading list for next term", "Budget report for the project",
        "Travel arrangements for the conference", "Library opening hours"
    };
    private static final String[] EN_HAM_LINES = {
        "Attached are the minutes from yesterday's meeting.",
        "Please review the draft before Friday.",
        "The mail server will be down for maintenance on Saturday morning.",
        "Let me know if the new schedule works for you.",
        "I have updated the reading list for the seminar.",
        "The budget report is in the shared folder.",
        "Our flight leaves on Tuesday afternoon.",
        "Thanks for your comments on the experiment.",
        "See you at the workshop next week.",
        "The library will close early during the holidays."
    };
    private static final String[] SPAM_HOSTS = {
        "deai-club.example", "fukugyo-money.example", "cheap-meds.example", "prize-center.example", "brand-sale.example"
    };
    private static final String[] HAM_HOSTS = {"www.example.ac.jp", "lab.example.ac.jp", "library.example.edu"};
    private static final String[] SPAM_SENDERS = {
        "info@deai-club.example",
        "support@fukugyo-money.example",
        "no-reply@prize-center.example",
        "sales@brand-sale.example",
        "promo@cheap-meds.example"
    };
    private static final String[] HAM_SENDERS = {
        "tanaka@example.ac.jp",
        "suzuki@lab.example.ac.jp",
        "center@example.ac.jp",
        "alice@example.edu",
        "bob@example.edu"
    };

    private final Random random;
    private int counter;

    private SyntheticCorpus(long seed) {
        this.random = new Random(seed);
    }

    /**
     * A generator with a seed.
     *
     * @param seed the seed; equal seeds give equal messages
     * @return a new generator
     */
    public static SyntheticCorpus seeded(long seed) {
        return new SyntheticCorpus(seed);
    }

    /**
     * Generates messages: half Japanese, half English; Japanese ones cycle through every {@link Encoding}.
     *
     * @param count how many messages, {@code >= 0}
     * @param spam spam or ham
     * @return the messages
     */
    public List<Sample> generate(int count, boolean spam) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0");
        }
        List<Sample> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (i % 2 == 0) {
                Encoding e = Encoding.values()[(i / 2) % Encoding.values().length];
                out.add(japanese(spam, e));
            } else {
                out.add(english(spam));
            }
        }
        return out;
    }

    /**
     * One Japanese message.
     *
     * @param spam spam or ham
     * @param encoding how to encode it
     * @return the message
     */
    public Sample japanese(boolean spam, Encoding encoding) {
        String subject = pick(spam ? JA_SPAM_SUBJECTS : JA_HAM_SUBJECTS);
        StringBuilder body = new StringBuilder();
        int lines = 3 + random.nextInt(5);
        for (int i = 0; i < lines; i++) {
            body.append(pick(spam ? JA_SPAM_LINES : JA_HAM_LINES)).append("\r\n");
        }
        body.append(url(spam)).append("\r\n");
        String from = pick(spam ? SPAM_SENDERS : HAM_SENDERS);
        return new Sample(spam, "ja", encoding, encode(from, subject, body.toString(), encoding));
    }

    /**
     * One English message (US-ASCII, 7bit).
     *
     * @param spam spam or ham
     * @return the message
     */
    public Sample english(boolean spam) {
        String subject = pick(spam ? EN_SPAM_SUBJECTS : EN_HAM_SUBJECTS);
        StringBuilder body = new StringBuilder();
        int lines = 3 + random.nextInt(5);
        for (int i = 0; i < lines; i++) {
            body.append(pick(spam ? EN_SPAM_LINES : EN_HAM_LINES)).append("\r\n");
        }
        body.append(url(spam)).append("\r\n");
        String head = headers(pick(spam ? SPAM_SENDERS : HAM_SENDERS), subject)
                + "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
        return new Sample(spam, "en", Encoding.UTF_8_QP, (head + body).getBytes(StandardCharsets.US_ASCII));
    }

    private String url(boolean spam) {
        String host = pick(spam ? SPAM_HOSTS : HAM_HOSTS);
        return "http://" + host + "/" + Integer.toString(random.nextInt(1 << 20), 36);
    }

    private String headers(String from, String encodedSubject) {
        counter++;
        return "From: " + from + "\r\n"
                + "To: user@example.ac.jp\r\n"
                + "Subject: " + encodedSubject + "\r\n"
                + "Date: Mon, 1 Dec 2003 10:" + String.format(Locale.ROOT, "%02d", counter % 60) + ":00 +0900\r\n"
                + "Message-ID: <" + counter + "." + random.nextInt(1_000_000) + "@"
                + from.substring(from.indexOf('@') + 1)
                + ">\r\n"
                + "MIME-Version: 1.0\r\n";
    }

    private byte[] encode(String from, String subject, String body, Encoding e) {
        Charset jis = Charset.forName("ISO-2022-JP");
        return switch (e) {
            case ISO_2022_JP ->
                concat(
                        headers(from, word(subject, jis, "ISO-2022-JP"))
                                + "Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n",
                        body.getBytes(jis));
            case SHIFT_JIS ->
                concat(
                        headers(from, word(subject, Charset.forName("Shift_JIS"), "Shift_JIS"))
                                + "Content-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
                        body.getBytes(Charset.forName("Shift_JIS")));
            case EUC_JP ->
                concat(
                        headers(from, word(subject, Charset.forName("EUC-JP"), "EUC-JP"))
                                + "Content-Type: text/plain; charset=EUC-JP\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                        base64(body.getBytes(Charset.forName("EUC-JP"))));
            case UTF_8_QP ->
                concat(
                        headers(from, word(subject, StandardCharsets.UTF_8, "UTF-8"))
                                + "Content-Type: text/plain; charset=UTF-8\r\n"
                                + "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                        quotedPrintable(body.getBytes(StandardCharsets.UTF_8)));
            case UTF_8_HTML ->
                concat(
                        headers(from, word(subject, StandardCharsets.UTF_8, "UTF-8"))
                                + "Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                        base64(html(body).getBytes(StandardCharsets.UTF_8)));
            case RAW_JIS -> {
                byte[] head = headers(from, "\u0000").getBytes(StandardCharsets.US_ASCII);
                String h = new String(head, StandardCharsets.ISO_8859_1);
                int at = h.indexOf('\u0000');
                byte[] subj = subject.getBytes(jis);
                byte[] rest = "Content-Transfer-Encoding: 7bit\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                byte[] b = body.getBytes(jis);
                byte[] out = new byte[at + subj.length + (head.length - at - 1) + rest.length + b.length];
                int p = 0;
                System.arraycopy(head, 0, out, p, at);
                p += at;
                System.arraycopy(subj, 0, out, p, subj.length);
                p += subj.length;
                System.arraycopy(head, at + 1, out, p, head.length - at - 1);
                p += head.length - at - 1;
                System.arraycopy(rest, 0, out, p, rest.length);
                p += rest.length;
                System.arraycopy(b, 0, out, p, b.length);
                yield out;
            }
        };
    }

    private static String html(String body) {
        StringBuilder sb = new StringBuilder("<html><body>\r\n");
        for (String line : body.split("\r\n")) {
            if (line.startsWith("http://")) {
                sb.append("<p><a href=\"")
                        .append(line)
                        .append("\">")
                        .append(line)
                        .append("</a></p>\r\n");
            } else {
                sb.append("<p>").append(line.replace("&", "&amp;")).append("</p>\r\n");
            }
        }
        return sb.append("</body></html>\r\n").toString();
    }

    private static String word(String text, Charset cs, String name) {
        return "=?" + name + "?B?" + Base64.getEncoder().encodeToString(text.getBytes(cs)) + "?=";
    }

    private static byte[] base64(byte[] b) {
        return (Base64.getMimeEncoder(76, new byte[] {'\r', '\n'}).encodeToString(b) + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] quotedPrintable(byte[] b) {
        StringBuilder sb = new StringBuilder();
        int col = 0;
        for (int i = 0; i < b.length; i++) {
            int c = b[i] & 0xff;
            if (c == '\r' && i + 1 < b.length && b[i + 1] == '\n') {
                sb.append("\r\n");
                i++;
                col = 0;
                continue;
            }
            String piece = (c >= 33 && c <= 126 && c != '=') || c == ' '
                    ? String.valueOf((char) c)
                    : String.format(Locale.ROOT, "=%02X", c);
            if (col + piece.length() > 75) {
                sb.append("=\r\n");
                col = 0;
            }
            sb.append(piece);
            col += piece.length();
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(String head, byte[] body) {
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[h.length + body.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(body, 0, out, h.length, body.length);
        return out;
    }

    private String pick(String[] from) {
        return from[random.nextInt(from.length)];
    }
}

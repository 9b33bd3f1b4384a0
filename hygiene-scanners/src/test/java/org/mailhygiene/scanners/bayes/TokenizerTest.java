package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.testkit.corpus.SyntheticCorpus;

class TokenizerTest {
    private final Tokenizer tokenizer = Tokenizer.create();

    @Test
    void japaneseIsDecodedTheSameInEveryEncoding() throws Exception {
        for (SyntheticCorpus.Encoding e : SyntheticCorpus.Encoding.values()) {
            // same seed: same subject and lines, only the encoding differs
            byte[] m = SyntheticCorpus.seeded(7).japanese(true, e).bytes();
            Set<String> tokens = tokenizer.tokenize(MessageContent.ofBytes(m));
            Set<String> reference = tokenizer.tokenize(MessageContent.ofBytes(SyntheticCorpus.seeded(7)
                    .japanese(true, SyntheticCorpus.Encoding.UTF_8_QP)
                    .bytes()));
            assertThat(tokens)
                    .as(e.name())
                    .containsAll(reference.stream()
                            .filter(t -> !t.contains(":") || t.startsWith("subject:") || t.startsWith("url:"))
                            .toList());
            assertThat(tokens).as(e.name()).anyMatch(t -> t.startsWith("subject:"));
        }
    }

    @Test
    void cjkRunsBecomeBigramsAndLatinWordsStayWords() {
        assertThat(Tokenizer.tokenizeText("今すぐ登録 FREE offer")).containsExactly("今す", "すぐ", "ぐ登", "登録", "free", "offer");
    }

    @Test
    void halfWidthKatakanaAndFullWidthLatinAreNormalised() {
        assertThat(Tokenizer.tokenizeText("ｶﾀｶﾅ ＦＲＥＥ")).containsExactly("カタ", "タカ", "カナ", "free");
    }

    @Test
    void spacesDoNotChangeJapaneseTokens() {
        assertThat(Tokenizer.tokenizeText("研究室の会議")).isEqualTo(Tokenizer.tokenizeText("研究室の会議"));
        assertThat(Tokenizer.tokenizeText("研究室の会議")).doesNotContain(" ").hasSize(5);
    }

    @Test
    void longWordsAreSummarised() {
        assertThat(Tokenizer.tokenizeText("a supercalifragilisticexpialidocious word"))
                .containsExactly("skip:s:3", "word");
    }

    @Test
    void headersGiveSenderSubjectAndUrlTokens() throws Exception {
        String m = "From: \"Prize Center\" <Winner@Prize-Center.example>\r\n"
                + "Subject: =?UTF-8?B?"
                + java.util.Base64.getEncoder().encodeToString("当選おめでとう".getBytes(StandardCharsets.UTF_8)) + "?=\r\n"
                + "Message-ID: <1@mailer.prize-center.example>\r\n"
                + "Content-Type: text/html; charset=utf-8\r\n\r\n"
                + "<html><body><p>Claim &amp; win at <a href=\"http://www.prize-center.example/x\">here</a>"
                + "&#x3042;</p><script>var hidden = 1;</script></body></html>\r\n";
        Set<String> t = tokenizer.tokenize(MessageContent.ofString(m, StandardCharsets.UTF_8));
        assertThat(t)
                .contains(
                        "from:winner@prize-center.example",
                        "from-domain:prize-center.example",
                        "from-name:prize",
                        "subject:当選",
                        "subject:めで",
                        "message-id-domain:mailer.prize-center.example",
                        "url:www.prize-center.example",
                        "url:prize-center.example",
                        "type:text/html",
                        "charset:utf-8",
                        "claim",
                        "win",
                        "here",
                        "あ");
        assertThat(t).doesNotContain("hidden", "var");
    }

    @Test
    void rawJisWithoutAnyDeclarationIsDecoded() throws Exception {
        byte[] m = SyntheticCorpus.seeded(3)
                .japanese(false, SyntheticCorpus.Encoding.RAW_JIS)
                .bytes();
        assertThat(new String(m, StandardCharsets.ISO_8859_1)).doesNotContain("charset");
        Set<String> t = tokenizer.tokenize(MessageContent.ofBytes(m));
        assertThat(t)
                .anyMatch(s -> s.startsWith("subject:")
                        && Character.UnicodeScript.of(s.codePointAt(8)) != Character.UnicodeScript.LATIN);
        assertThat(t).anyMatch(s -> !s.contains(":") && TextTokens.isCjk(s.codePointAt(0)));
    }

    @Test
    void attachmentsGiveTypeAndExtensionTokens() throws Exception {
        String m = "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
                + "--B\r\nContent-Type: text/plain\r\n\r\nhello there\r\n"
                + "--B\r\nContent-Type: application/octet-stream; name=\"a.scr\"\r\n\r\nMZ\r\n--B--\r\n";
        Set<String> t = tokenizer.tokenize(MessageContent.ofString(m, StandardCharsets.US_ASCII));
        assertThat(t).contains("type:application/octet-stream", "ext:scr", "hello", "there");
    }
}

package org.mailhygiene.testkit.spamd;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What the fake's GTUBE test reads of a message: SpamAssassin's body-rule text, not the raw bytes. */
class FakeSpamdBodyTextTest {
    private static final String HEAD = "From: a@example.net\r\nSubject: hello\r\nMIME-Version: 1.0\r\n";

    @Test
    void anInnerBoundaryThatExtendsTheOuterOneIsNotTheOuterDelimiter() {
        // "--b2" starts with "--b": matched by prefix, the inner delimiters split the outer multipart, and the binary
        // part's bytes after them were read as text
        String m = HEAD + "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
                + "--b\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n"
                + "--b2\r\nContent-Type: text/plain\r\n\r\ninner text\r\n"
                + "--b2\r\nContent-Type: application/octet-stream\r\n\r\nBINARY-BYTES\r\n"
                + "--b2--\r\n"
                + "--b\r\nContent-Type: application/octet-stream\r\n\r\nMORE-BINARY\r\n"
                + "--b--\r\n";
        String text = FakeSpamd.bodyRuleText(m);
        assertThat(text).contains("hello").contains("inner text").doesNotContain("BINARY");
    }

    @Test
    void encodedTextIsDecodedAndTheSubjectRead() {
        String m =
                HEAD + "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + "aGlkZGVuIHdvcmRz\r\n";
        assertThat(FakeSpamd.bodyRuleText(m)).contains("hello").contains("hidden words");
        String qp = HEAD + "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                + "soft=\r\nbreak =3D done\r\n";
        assertThat(FakeSpamd.bodyRuleText(qp)).contains("softbreak = done");
    }
}

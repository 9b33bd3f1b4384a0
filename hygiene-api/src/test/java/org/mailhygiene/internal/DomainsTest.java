package org.mailhygiene.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.net.IDN;
import org.junit.jupiter.api.Test;

/** Domain names in their comparable form: A-labels, lower case, no trailing dot. */
class DomainsTest {

    @Test
    void asciiNamesAreOnlyLowerCasedAndLoseTrailingDots() {
        assertThat(Domains.ascii("Mail.Example.COM.")).isEqualTo("mail.example.com");
        assertThat(Domains.ascii(" dept-a.example ")).isEqualTo("dept-a.example");
        assertThat(Domains.ascii(".Example.com")).isEqualTo(".example.com");
        assertThat(Domains.ascii("")).isEmpty();
        assertThat(Domains.ascii("[IPv6:2001:DB8::1]")).isEqualTo("[ipv6:2001:db8::1]");
    }

    /** RFC 3492 section 7.1's samples and well-known names. */
    @Test
    void internationalisedLabelsBecomeALabels() {
        assertThat(Domains.ascii("bücher.example")).isEqualTo("xn--bcher-kva.example");
        assertThat(Domains.ascii("BÜCHER.Example.")).isEqualTo("xn--bcher-kva.example");
        assertThat(Domains.ascii("münchen.de")).isEqualTo("xn--mnchen-3ya.de");
        assertThat(Domains.ascii("例え.テスト")).isEqualTo("xn--r8jz45g.xn--zckzah");
        assertThat(Domains.ascii(".bücher.example")).isEqualTo(".xn--bcher-kva.example");
        // (A) Arabic (Egyptian) and (L) 3<nen>B<gumi><kinpachi><sensei>, RFC 3492 section 7.1
        assertThat(Domains.punycode("\u0644\u064A\u0647\u0645\u0627\u0628\u062A\u0643\u0644\u0645\u0648\u0634"
                        + "\u0639\u0631\u0628\u064A\u061F"))
                .isEqualTo("egbpdaj6bu4bxfgehfvwxn");
        assertThat(Domains.punycode("3\u5E74b\u7D44\u91D1\u516B\u5148\u751F")).isEqualTo("3b-ww4c5e180e575a65lsy2b");
        // the ideographic full stop separates labels; full-width letters are ASCII
        assertThat(Domains.ascii("例え\u3002テスト")).isEqualTo("xn--r8jz45g.xn--zckzah");
        assertThat(Domains.ascii("ｅｘａｍｐｌｅ.ü")).isEqualTo("example.xn--tda");
    }

    /** IDNA 2003 (java.net.IDN) maps ß to ss: another domain, with another owner. */
    @Test
    void sharpSIsALetterOfItsOwn() {
        assertThat(Domains.ascii("straße.example")).isEqualTo("xn--strae-oqa.example");
        assertThat(IDN.toASCII("straße.example")).isEqualTo("strasse.example");
    }

    @Test
    void aLabelTooLongOnceEncodedIsOnlyLowerCased() {
        String name = "Ü".repeat(64) + ".example";
        assertThat(Domains.ascii(name)).isEqualTo("ü".repeat(64) + ".example");
        String encodedTooLong = "日本語中文한국어あいうえおかきくけこさしすせそたちつてと.example"; // 28 letters, over 63 encoded
        assertThatThrownBy(() -> IDN.toASCII(encodedTooLong)).hasMessageContaining("too long");
        assertThat(Domains.ascii(encodedTooLong)).isEqualTo(encodedTooLong);
    }

    /** Where IDNA 2003 and UTS #46 agree (no ß, ς, joiners, upper case), the encoding is the JDK's. */
    @Test
    void agreesWithTheJdkOnLowerCaseLetters() {
        int[] alphabet =
                "abcdefghijklmnopqrstuvwxyz0123456789-éüöñçåæøあいうえお日本語中文한국어абвгдежзийклмнопрстуфхцчшщыэюяαβγδεζηθ"
                        .codePoints()
                        .toArray();
        qt().withExamples(2_000)
                .forAll(lists().of(integers().between(0, alphabet.length - 1)).ofSizeBetween(1, 20))
                .assuming(picks -> picks.stream().anyMatch(i -> alphabet[i] >= 0x80))
                .checkAssert(picks -> {
                    StringBuilder label = new StringBuilder();
                    picks.forEach(i -> label.appendCodePoint(alphabet[i]));
                    String l = label.toString();
                    if (l.startsWith("-") || l.endsWith("-")) {
                        return; // not a valid label for the JDK's STD3-free conversion either way
                    }
                    String jdk;
                    try {
                        jdk = IDN.toASCII(l + ".example", IDN.ALLOW_UNASSIGNED);
                    } catch (IllegalArgumentException tooLong) {
                        assertThat(Domains.ascii(l + ".example")).isEqualTo(l + ".example");
                        return;
                    }
                    assertThat(Domains.ascii(l + ".example")).as(l).isEqualTo(jdk);
                });
    }

    /** The strict form SPF and DMARC look up (session 38, from an audit through Postfix and the milter). */
    @Test
    void aLabelsEncodesDeviationCharactersAsWrittenAndRefusesJoinersAndBadNames() {
        assertThat(Domains.aLabels("stra\u00dfe.example")).isEqualTo("xn--strae-oqa.example");
        assertThat(Domains.aLabels("STRA\u00dfE.Example")).isEqualTo("xn--strae-oqa.example");
        assertThat(Domains.aLabels("mail.b\u00fccher.example")).isEqualTo("mail.xn--bcher-kva.example");
        assertThat(Domains.aLabels("b\u00fccher\u3002example")).isEqualTo("xn--bcher-kva.example");
        assertThat(Domains.aLabels("\u03c2.example")).isEqualTo("xn--3xa.example");
        assertThat(Domains.aLabels("Example.COM")).isEqualTo("example.com");
        assertThatThrownBy(() -> Domains.aLabels("pay\u200dpal.example")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Domains.aLabels("b\u00fccher..example")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Domains.aLabels("stra\u00dfe" + "x".repeat(60) + ".example"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Domains.aLabels("under_score.b\u00fccher.example"))
                .isInstanceOf(IllegalArgumentException.class);
        // the lenient form keeps what it cannot convert, lower-cased, and an underscore
        assertThat(Domains.ascii("Pay\u200dpal.example")).isEqualTo("pay\u200dpal.example");
        assertThat(Domains.ascii("under_score.b\u00fccher.example")).isEqualTo("under_score.xn--bcher-kva.example");
    }

    /** The Punycode encoder agrees with the JDK's wherever IDNA2003 and IDNA2008 agree. */
    @Test
    void punycodeAgreesWithTheJdkOutsideTheDeviationCharacters() {
        for (String label : java.util.List.of(
                "b\u00fccher",
                "m\u00fcnchen",
                "\u65e5\u672c\u8a9e",
                "\u0440\u043e\u0441\u0441\u0438\u044f",
                "\u03c0\u03b1\u03c1\u03ac\u03b4\u03b5\u03b9\u03b3\u03bc\u03b1",
                "\u0645\u062b\u0627\u0644",
                "\u00e9t\u00e9-2024",
                "\ud83d\ude00x")) {
            String jdk;
            try {
                jdk = IDN.toASCII(label, IDN.ALLOW_UNASSIGNED);
            } catch (IllegalArgumentException e) {
                continue;
            }
            assertThat("xn--" + Domains.punycode(label)).as(label).isEqualTo(jdk);
        }
    }

    /** Host names and mailboxes keep ASCII as written (case included) and take A-labels only where needed. */
    @Test
    void hostNamesAndMailboxesConvertOnlyInternationalisedNames() {
        assertThat(Domains.hostName("Mail.Example.ORG")).isEqualTo("Mail.Example.ORG");
        assertThat(Domains.hostName("Mail.B\u00fccher.example")).isEqualTo("mail.xn--bcher-kva.example");
        assertThat(Domains.hostName("pay\u200dpal.example")).isEqualTo("pay\u200dpal.example");
        assertThat(Domains.mailbox("Admin@b\u00fccher.example")).isEqualTo("Admin@xn--bcher-kva.example");
        assertThat(Domains.mailbox("j\u00f6rg@example.org")).isEqualTo("j\u00f6rg@example.org");
        assertThat(Domains.mailbox("postmaster")).isEqualTo("postmaster");
    }
}
